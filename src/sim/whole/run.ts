/**
 * Running many whole-cluster seeds and reporting: the engine behind `vigil sim --whole`.
 * Seeds can run in worker threads (`jobs`); results are merged in seed order, so the report is
 * the same whatever the number of jobs.
 */
import { Worker } from 'node:worker_threads';
import { SHAPES } from './shapes.js';
import { runWhole, SCENARIOS, type ScenarioName, type WholeOptions, type WholeResult } from './scenario.js';
import type { TimelineEvent } from './world.js';

export interface WholeSeedsOptions {
  seed: number;
  count: number;
  shape?: string;
  scenario?: ScenarioName;
  skipWatchdogWait?: boolean;
  callIdsContinue?: boolean;
  /** Run every seed and count failures, instead of stopping at the first. */
  keepGoing?: boolean;
  /** Worker threads (default 1: this thread). */
  jobs?: number;
}

/** One seed's result without its timeline (what workers send back). */
export type SeedOutcome = Omit<WholeResult, 'timeline'>;

export interface Distribution { count: number; medianMs: number; p90Ms: number; maxMs: number }

export interface WholeSummary {
  seedsRun: number;
  firstSeed: number;
  shapes: Record<string, number>;
  scenarios: Record<string, { runs: number; boundMs: number; recovery: Distribution; settle: Distribution }>;
  operations: number;
  fences: number;
  selfFences: number;
  watchdogKills: number;
  events: number;
  virtualSeconds: number;
  wallMs: number;
  failures: Array<{ seed: number; shape: string; scenario: string; invariant: string; detail: string; time: number }>;
  /** The first failing seed, run again with its timeline. */
  replay?: WholeResult;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function dist(xs: number[]): Distribution {
  const s = [...xs].sort((a, b) => a - b);
  return { count: s.length, medianMs: percentile(s, 0.5), p90Ms: percentile(s, 0.9), maxMs: s.at(-1) ?? NaN };
}

export function seedOptions(o: WholeSeedsOptions, seed: number, record = false): WholeOptions {
  return {
    seed, ...(o.shape ? { shape: o.shape } : {}), ...(o.scenario ? { scenario: o.scenario } : {}),
    ...(o.skipWatchdogWait ? { skipWatchdogWait: true } : {}), ...(o.callIdsContinue ? { callIdsContinue: true } : {}), ...(record ? { record: true } : {}),
  };
}

export function outcome(r: WholeResult): SeedOutcome {
  const { timeline: _t, ...rest } = r;
  return rest;
}

/** Run seeds seed..seed+count-1 here (no workers). */
export function runSeedsHere(o: WholeSeedsOptions, seeds: number[]): SeedOutcome[] {
  const out: SeedOutcome[] = [];
  for (const seed of seeds) {
    const r = outcome(runWhole(seedOptions(o, seed)));
    out.push(r);
    if (!r.ok && !o.keepGoing) break;
  }
  return out;
}

function summarise(o: WholeSeedsOptions, results: SeedOutcome[], wallMs: number): WholeSummary {
  const s: WholeSummary = {
    seedsRun: results.length, firstSeed: o.seed, shapes: {}, scenarios: {}, operations: 0, fences: 0, selfFences: 0, watchdogKills: 0,
    events: 0, virtualSeconds: 0, wallMs, failures: [],
  };
  const rec = new Map<string, number[]>();
  const settle = new Map<string, number[]>();
  const bounds = new Map<string, number>();
  for (const r of results) {
    s.shapes[r.shape] = (s.shapes[r.shape] ?? 0) + 1;
    s.operations += r.operations;
    s.fences += r.fences;
    s.selfFences += r.selfFences;
    s.watchdogKills += r.watchdogKills;
    s.events += r.events;
    s.virtualSeconds += r.virtualMs / 1000;
    bounds.set(r.scenario, Math.max(bounds.get(r.scenario) ?? 0, r.boundMs));
    if (!r.ok && r.violation) {
      s.failures.push({ seed: r.seed, shape: r.shape, scenario: r.scenario, invariant: r.violation.invariant, detail: r.violation.detail, time: r.violation.time });
      continue;
    }
    rec.set(r.scenario, [...(rec.get(r.scenario) ?? []), r.recoveryMs]);
    settle.set(r.scenario, [...(settle.get(r.scenario) ?? []), r.settleMs]);
  }
  for (const sc of SCENARIOS) {
    if (!bounds.has(sc)) continue;
    s.scenarios[sc] = { runs: results.filter((r) => r.scenario === sc).length, boundMs: bounds.get(sc) ?? 0, recovery: dist(rec.get(sc) ?? []), settle: dist(settle.get(sc) ?? []) };
  }
  return s;
}

/** Run the seeds (in `jobs` worker threads when asked); replay the first failure with a timeline. */
export async function runWholeSeeds(o: WholeSeedsOptions, clock: () => number = () => 0): Promise<WholeSummary> {
  const start = clock();
  const seeds = Array.from({ length: o.count }, (_, i) => o.seed + i);
  const jobs = Math.max(1, Math.min(o.jobs ?? 1, o.count));
  let results: SeedOutcome[];
  if (jobs === 1) results = runSeedsHere(o, seeds);
  else {
    const parts = await Promise.all(Array.from({ length: jobs }, (_, j) => runInWorker(o, seeds.filter((_, i) => i % jobs === j))));
    results = parts.flat().sort((a, b) => a.seed - b.seed);
    if (!o.keepGoing) {
      // Same answer as one job: everything up to the first failing seed.
      const first = results.findIndex((r) => !r.ok);
      if (first >= 0) results = results.slice(0, first + 1);
    }
  }
  const s = summarise(o, results, 0);
  const f = s.failures[0];
  if (f) s.replay = runWhole(seedOptions(o, f.seed, true));
  s.wallMs = clock() - start;
  return s;
}

function runInWorker(o: WholeSeedsOptions, seeds: number[]): Promise<SeedOutcome[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { o, seeds } });
    w.once('message', (m: SeedOutcome[]) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`simulation worker exited with code ${code}`)); });
  });
}

// ------------------------------------------------------------------------------------------- text

export function formatTimeline(events: TimelineEvent[], limit = Infinity): string {
  const shown = events.length > limit ? events.slice(events.length - limit) : events;
  const lines: string[] = [];
  if (shown.length < events.length) lines.push(`... ${events.length - shown.length} earlier events (use --full-timeline)`);
  for (const e of shown) lines.push(`${(e.t / 1000).toFixed(3).padStart(10)}s  ${e.node.padEnd(7)} ${e.text}`);
  return lines.join('\n');
}

const ms = (x: number): string => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)} s` : '-');

export function formatWholeSummary(s: WholeSummary): string {
  const lines = [
    `seeds run:        ${s.seedsRun} (${s.firstSeed}..${s.firstSeed + s.seedsRun - 1})`,
    `shapes:           ${SHAPES.filter((x) => s.shapes[x.name]).map((x) => `${x.name} ${s.shapes[x.name]}`).join(', ')}`,
    `work done:        ${s.operations} agent operations, ${s.fences} fence requests, ${s.selfFences} self-fences, ${s.watchdogKills} watchdog resets; ${s.events} events; ${s.virtualSeconds.toFixed(0)} s virtual time`,
    '',
    'recovery per scenario (virtual time; first fault -> everything the scheduler wants runs again, for good;',
    '                       settle = from the end of the faults; bound = the liveness bound after the faults):',
    `  ${'scenario'.padEnd(24)}${'runs'.padStart(6)}  ${'median'.padStart(8)}${'p90'.padStart(8)}${'max'.padStart(8)}  | settle ${'median'.padStart(7)}${'p90'.padStart(8)}${'max'.padStart(8)}  ${'bound'.padStart(8)}`,
  ];
  for (const [name, v] of Object.entries(s.scenarios)) {
    lines.push(`  ${name.padEnd(24)}${String(v.runs).padStart(6)}  ${ms(v.recovery.medianMs).padStart(8)}${ms(v.recovery.p90Ms).padStart(8)}${ms(v.recovery.maxMs).padStart(8)}  |        ${ms(v.settle.medianMs).padStart(7)}${ms(v.settle.p90Ms).padStart(8)}${ms(v.settle.maxMs).padStart(8)}  ${ms(v.boundMs).padStart(8)}`);
  }
  lines.push('', `wall time:        ${(s.wallMs / 1000).toFixed(1)} s`);
  if (s.failures.length) {
    const by = new Map<string, number[]>();
    for (const f of s.failures) by.set(f.invariant, [...(by.get(f.invariant) ?? []), f.seed]);
    lines.push(`RESULT: ${s.failures.length} seed(s) violated an invariant: ${[...by].map(([k, v]) => `${k} ${v.length} (seeds ${v.slice(0, 12).join(', ')}${v.length > 12 ? ', ...' : ''})`).join('; ')}`);
  } else lines.push('RESULT: all invariants held');
  return lines.join('\n');
}
