/**
 * `vigil sim --whole`: the whole-cluster simulator over a range of seeds (docs/simulation.md).
 * Kept here so that src/cli/commands/sim.ts only needs to hand over its options.
 */
import { InputError } from '../../model/errors.js';
import { SHAPES } from './shapes.js';
import { SCENARIOS, type ScenarioName } from './scenario.js';
import { formatTimeline, formatWholeSummary, runWholeSeeds } from './run.js';

export const WHOLE_BUGS = ['skip-watchdog-wait'] as const;

export interface WholeCommandOptions {
  seed: number;
  count: number;
  shape?: string;
  scenario?: string;
  jobs?: number;
  keepGoing?: boolean;
  callIdsContinue?: boolean;
  plantedBug?: string;
  timelineLines: number;
  fullTimeline?: boolean;
  json?: boolean;
}

function bad(field: string, value: string, expected: string): InputError {
  return new InputError(`unknown ${field.replace(/^--/, '')} '${value}'`, { file: '<command line>' }, { field, expected });
}

export async function runWholeCommand(opts: WholeCommandOptions, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  if (opts.shape !== undefined && !SHAPES.some((s) => s.name === opts.shape)) throw bad('--shape', opts.shape, SHAPES.map((s) => s.name).join(', '));
  if (opts.scenario !== undefined && !(SCENARIOS as readonly string[]).includes(opts.scenario)) throw bad('--scenario', opts.scenario, SCENARIOS.join(', '));
  if (opts.plantedBug !== undefined && !(WHOLE_BUGS as readonly string[]).includes(opts.plantedBug)) throw bad('--planted-bug', opts.plantedBug, WHOLE_BUGS.join(', '));
  const s = await runWholeSeeds({
    seed: opts.seed, count: opts.count, ...(opts.shape ? { shape: opts.shape } : {}), ...(opts.scenario ? { scenario: opts.scenario as ScenarioName } : {}),
    ...(opts.plantedBug ? { skipWatchdogWait: true } : {}), ...(opts.keepGoing ? { keepGoing: true } : {}), ...(opts.callIdsContinue ? { callIdsContinue: true } : {}), jobs: opts.jobs ?? 1,
  }, () => performance.now());
  if (opts.json) {
    const { replay: _replay, ...rest } = s;
    out(`${JSON.stringify(rest)}\n`);
  } else {
    out(`${formatWholeSummary(s)}\n`);
  }
  const f = s.replay;
  if (!f) return 0;
  const v = f.violation;
  out(`\nseed ${f.seed} (${f.shape}, ${f.scenario}) violated ${v?.invariant} at ${((v?.time ?? 0) / 1000).toFixed(3)} s${v?.node ? ` on ${v.node}` : ''}: ${v?.detail}\n`);
  out(`faults: ${f.faults.join('; ') || 'none yet'}\n`);
  out(`replay: vigil sim --whole --seed ${f.seed} --count 1${opts.shape ? ` --shape ${opts.shape}` : ''}${opts.scenario ? ` --scenario ${opts.scenario}` : ''}${opts.plantedBug ? ` --planted-bug ${opts.plantedBug}` : ''}${opts.callIdsContinue ? ' --call-ids-continue' : ''} --full-timeline\n\n`);
  out(`${formatTimeline(f.timeline, opts.fullTimeline ? Infinity : opts.timelineLines)}\n`);
  return 1;
}
