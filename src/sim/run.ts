/** Running many seeds and reporting: the engine behind `vigil sim`. */
import type { PlantedBug } from '../coordination/types.js';
import { runSeed, type SimOptions, type SimResult, type TimelineEvent } from './simulation.js';

export interface SeedsOptions {
  seed: number;
  count: number;
  nodes: number;
  witness?: boolean;
  plantedBug?: PlantedBug;
  /** Simulate the membership layer too (default true). */
  membership?: boolean;
}

export interface SeedsSummary {
  seedsRun: number;
  firstSeed: number;
  nodes: number;
  witness: boolean;
  faults: Record<string, number>;
  faultsTotal: number;
  elections: number;
  events: number;
  messages: number;
  committedEntries: number;
  virtualSeconds: number;
  failovers: { count: number; medianMs: number; p99Ms: number; maxMs: number };
  maxDcGapMs: number;
  maxRecoveryMs: number;
  wallMs: number;
  /** The first failing seed, re-run with a timeline. */
  failure?: SimResult;
}

export function seedOptions(o: SeedsOptions, seed: number, record = false): SimOptions {
  return {
    seed, nodes: o.nodes, record, membership: o.membership ?? true,
    ...(o.witness ? { witness: true } : {}), ...(o.plantedBug ? { plantedBug: o.plantedBug } : {}),
  };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Run seeds seed..seed+count-1; stop at the first violation and replay it with a timeline. */
export function runSeeds(o: SeedsOptions, clock: () => number = () => 0): SeedsSummary {
  const start = clock();
  const faults: Record<string, number> = {};
  const failovers: number[] = [];
  const s: SeedsSummary = {
    seedsRun: 0, firstSeed: o.seed, nodes: o.nodes, witness: o.witness ?? false, faults, faultsTotal: 0, elections: 0, events: 0, messages: 0,
    committedEntries: 0, virtualSeconds: 0, failovers: { count: 0, medianMs: NaN, p99Ms: NaN, maxMs: NaN }, maxDcGapMs: 0, maxRecoveryMs: 0, wallMs: 0,
  };
  for (let seed = o.seed; seed < o.seed + o.count; seed++) {
    const r = runSeed(seedOptions(o, seed));
    s.seedsRun++;
    for (const [k, v] of Object.entries(r.stats.faults)) { faults[k] = (faults[k] ?? 0) + v; s.faultsTotal += v; }
    s.elections += r.stats.elections;
    s.events += r.stats.events;
    s.messages += r.stats.messages;
    s.committedEntries += r.stats.committed;
    s.virtualSeconds += r.stats.virtualMs / 1000;
    failovers.push(...r.stats.failovers);
    s.maxDcGapMs = Math.max(s.maxDcGapMs, r.stats.maxDcGapMs);
    if (Number.isFinite(r.stats.recoveryMs)) s.maxRecoveryMs = Math.max(s.maxRecoveryMs, r.stats.recoveryMs);
    if (!r.ok) {
      s.failure = runSeed(seedOptions(o, seed, true));
      break;
    }
  }
  failovers.sort((a, b) => a - b);
  s.failovers = { count: failovers.length, medianMs: percentile(failovers, 0.5), p99Ms: percentile(failovers, 0.99), maxMs: failovers.at(-1) ?? NaN };
  s.wallMs = clock() - start;
  return s;
}

export function formatTimeline(events: TimelineEvent[], limit = Infinity): string {
  const shown = events.length > limit ? events.slice(events.length - limit) : events;
  const lines: string[] = [];
  if (shown.length < events.length) lines.push(`... ${events.length - shown.length} earlier events (use --full-timeline)`);
  for (const e of shown) lines.push(`${(e.t / 1000).toFixed(6).padStart(12)}s  ${e.node.padEnd(4)} ${e.text}`);
  return lines.join('\n');
}

const ms = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '-');

export function formatSummary(s: SeedsSummary): string {
  const f = Object.entries(s.faults).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `seeds run:        ${s.seedsRun} (${s.firstSeed}..${s.firstSeed + s.seedsRun - 1}), ${s.nodes} nodes${s.witness ? ' + witness' : ''}${s.nodes === 2 && !s.witness ? ' (two_node, wait_for_all)' : ''}`,
    `faults injected:  ${s.faultsTotal} (${f})`,
    `elections won:    ${s.elections}`,
    `DC failovers:     ${s.failovers.count} after a crash or pause of the DC; median ${ms(s.failovers.medianMs)}, p99 ${ms(s.failovers.p99Ms)}, max ${ms(s.failovers.maxMs)}`,
    `longest no-DC:    ${ms(s.maxDcGapMs)} while faults were active`,
    `recovery:         max ${ms(s.maxRecoveryMs)} from the end of faults to a DC with every node caught up`,
    `committed:        ${s.committedEntries} entries; ${s.messages} messages; ${s.events} events; ${s.virtualSeconds.toFixed(0)} s virtual time`,
    `wall time:        ${(s.wallMs / 1000).toFixed(1)} s`,
    s.failure ? `RESULT: VIOLATION in seed ${s.failure.seed}` : 'RESULT: all invariants held',
  ].join('\n');
}
