/**
 * `vigil simulate`: run the scheduler on a CIB (optionally with injected events) and print what
 * the cluster would do — in the spirit of crm_simulate — or the canonical JSON result.
 */
import type { Command } from 'commander';
import { schedule } from '../../scheduler/schedule.js';
import { toCanonical } from '../../scheduler/canonical.js';
import { formatSimulation } from './simulate-format.js';
import { inject, readInput, resolveNow } from './simulate-input.js';

interface SimulateOpts {
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

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function register(program: Command): void {
  program
    .command('simulate')
    .description('show where every resource would run and which actions the cluster would take')
    .option('--cib <file>', 'Pacemaker CIB XML (configuration and status)')
    .option('--config <file>', 'vigil.yaml (alone: all nodes online, nothing running; with --cib: the CIB supplies the status)')
    .option('--json', 'print the canonical pcmk-sched-result/1 JSON object')
    .option('--now <time>', "evaluation time: epoch seconds or ISO 8601 (default: the CIB's execution-date, else now)")
    .option('--node-down <node>', 'inject: node left cleanly', collect, [])
    .option('--node-up <node>', 'inject: node joined', collect, [])
    .option('--node-fail <node>', 'inject: node lost unexpectedly (needs fencing)', collect, [])
    .option('--op-fail <spec>', 'inject an operation result: RSC_OP_INTERVALMS@NODE=RC (e.g. web_monitor_10000@n1=7)', collect, [])
    .option('-q, --quiet', 'do not print loader warnings')
    .action(async (opts: SimulateOpts) => {
      const { cib: loaded, warnings } = await readInput(opts);
      const now = resolveNow(loaded, opts.now);
      const cib = opts.nodeDown.length + opts.nodeUp.length + opts.nodeFail.length + opts.opFail.length > 0
        ? inject(loaded, { nodeDown: opts.nodeDown, nodeUp: opts.nodeUp, nodeFail: opts.nodeFail, opFail: opts.opFail }, now)
        : loaded;
      const result = schedule(cib, now);
      if (!opts.quiet && !opts.json) for (const w of [...warnings, ...result.warnings]) process.stderr.write(`vigil: warning: ${w}\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify(toCanonical(result), null, 1)}\n`);
      else process.stdout.write(formatSimulation(cib, result));
    });
}
