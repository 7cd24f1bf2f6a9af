/**
 * `vigil simulate`: run the scheduler on a CIB (optionally with injected events) and print what
 * the cluster would do — in the spirit of crm_simulate — or the canonical JSON result.
 * The options are declared in index.ts.
 */
import { schedule } from '../../scheduler/schedule.js';
import { toCanonical } from '../../scheduler/canonical.js';
import { formatSimulation } from './simulate-format.js';
import { inject, readInput, resolveNow } from './simulate-input.js';

export interface SimulateOpts {
  cib?: string;
  config?: string;
  json?: boolean;
  now?: string;
  nodeDown: string[];
  nodeUp: string[];
  nodeFail: string[];
  opFail: string[];
  quiet?: boolean;
}

export async function simulate(opts: SimulateOpts): Promise<void> {
  const { cib: loaded, warnings } = await readInput(opts);
  const now = resolveNow(loaded, opts.now);
  const cib = opts.nodeDown.length + opts.nodeUp.length + opts.nodeFail.length + opts.opFail.length > 0
    ? inject(loaded, { nodeDown: opts.nodeDown, nodeUp: opts.nodeUp, nodeFail: opts.nodeFail, opFail: opts.opFail }, now)
    : loaded;
  const result = schedule(cib, now);
  if (!opts.quiet && !opts.json) for (const w of [...warnings, ...result.warnings]) process.stderr.write(`vigil: warning: ${w}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(toCanonical(result), null, 1)}\n`);
  else process.stdout.write(formatSimulation(cib, result));
}
