/**
 * `vigil sim`: run the deterministic simulator over a range of seeds (docs/coordination.md), or
 * with --whole the whole-node simulator (docs/simulation.md). The options are declared in index.ts.
 */
import { InputError } from '../../model/errors.js';
import type { PlantedBug } from '../../coordination/types.js';
import { formatSummary, formatTimeline, runSeeds } from '../../sim/run.js';
import { runWholeCommand } from '../../sim/whole/command.js';
import { SIM_BUGS } from './args.js';

const BUGS: readonly PlantedBug[] = SIM_BUGS;

export interface SimOptions { seed: number; count: number; nodes: number; witness?: boolean; membership: boolean; plantedBug?: string; timelineLines: number; fullTimeline?: boolean; json?: boolean; whole?: boolean; shape?: string; scenario?: string; jobs: number; keepGoing?: boolean; callIdsContinue?: boolean }

/** Exit 1 when an invariant was violated. */
export async function sim(opts: SimOptions): Promise<void> {
  if (opts.whole) {
    if (await runWholeCommand(opts) !== 0) process.exitCode = 1;
    return;
  }
  if (opts.plantedBug !== undefined && !BUGS.includes(opts.plantedBug as PlantedBug)) {
    throw new InputError(`unknown planted bug '${opts.plantedBug}'`, { file: '<command line>' }, { field: '--planted-bug', expected: BUGS.join(' or ') });
  }
  const summary = runSeeds(
    { seed: opts.seed, count: opts.count, nodes: opts.nodes, membership: opts.membership, ...(opts.witness ? { witness: true } : {}), ...(opts.plantedBug ? { plantedBug: opts.plantedBug as PlantedBug } : {}) },
    () => performance.now(),
  );
  if (opts.json) {
    const { failure, ...rest } = summary;
    process.stdout.write(`${JSON.stringify({ ...rest, ...(failure ? { violation: { seed: failure.seed, ...failure.violation } } : {}) })}\n`);
  } else {
    process.stdout.write(`${formatSummary(summary)}\n`);
  }
  const f = summary.failure;
  if (f) {
    const v = f.violation;
    process.stdout.write(`\nseed ${f.seed} violated ${v?.invariant} at ${((v?.time ?? 0) / 1000).toFixed(6)} s${v?.node ? ` on ${v.node}` : ''}: ${v?.detail}\n`);
    process.stdout.write(`replay: vigil sim --seed ${f.seed} --count 1 --nodes ${opts.nodes}${opts.witness ? ' --witness' : ''}${opts.membership ? '' : ' --no-membership'}${opts.plantedBug ? ` --planted-bug ${opts.plantedBug}` : ''} --full-timeline\n\n`);
    process.stdout.write(`${formatTimeline(f.timeline, opts.fullTimeline ? Infinity : opts.timelineLines)}\n`);
    process.exitCode = 1;
  }
}
