/**
 * `vigil sim`: run the deterministic simulator over a range of seeds (docs/coordination.md).
 */
import type { Command } from 'commander';
import { InputError } from '../../model/errors.js';
import type { PlantedBug } from '../../coordination/types.js';
import { formatSummary, formatTimeline, runSeeds } from '../../sim/run.js';
import { runWholeCommand, WHOLE_BUGS } from '../../sim/whole/command.js';

const BUGS: PlantedBug[] = ['double-vote', 'no-lease-wait'];

function int(name: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InputError(`invalid value '${text}'`, { file: '<command line>' }, { field: name, expected: `an integer from ${min} to ${max}` });
    }
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('run the deterministic cluster simulator for seeds S..S+N-1 and check the safety invariants')
    .option('--seed <S>', 'first seed', int('--seed', 0, 2 ** 31 - 1), 1)
    .option('--count <N>', 'number of seeds', int('--count', 1, 100_000_000), 100)
    .option('--nodes <K>', 'voting nodes (2 = two_node mode with wait_for_all and fencing)', int('--nodes', 1, 9), 3)
    .option('--witness', 'add a witness node (votes, never DC)')
    .option('--no-membership', 'leave out the membership layer (failure detection over two rings)')
    .option('--planted-bug <name>', `plant a bug to show the simulator catches it (${BUGS.join(', ')}; with --whole: ${WHOLE_BUGS.join(', ')})`)
    .option('--whole', 'simulate whole nodes: engine, controllers, scheduler, executor, fencing (docs/simulation.md)')
    .option('--shape <name>', 'with --whole: one cluster shape (default: chosen per seed)')
    .option('--scenario <name>', 'with --whole: one fault scenario (default: chosen per seed)')
    .option('--jobs <n>', 'with --whole: worker threads', int('--jobs', 1, 64), 1)
    .option('--keep-going', 'with --whole: run every seed and count the failures')
    .option('--call-ids-continue', 'with --whole: executor call ids keep increasing across node restarts (vigild today counts from 1 again)')
    .option('--timeline-lines <n>', 'lines of the failing timeline to print', int('--timeline-lines', 1, 10_000_000), 400)
    .option('--full-timeline', 'print the whole timeline of a failing seed')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { seed: number; count: number; nodes: number; witness?: boolean; membership: boolean; plantedBug?: string; timelineLines: number; fullTimeline?: boolean; json?: boolean; whole?: boolean; shape?: string; scenario?: string; jobs: number; keepGoing?: boolean; callIdsContinue?: boolean }) => {
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
    });
}
