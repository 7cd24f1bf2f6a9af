/**
 * `npm run bench -- scheduler [--sizes 1000,10000] [--runs N] [--crm-runs N] [--crm-modes s,S] [--crm-timeout SECONDS]`
 * Generated clusters of 32 nodes; median (and p99) wall time of Vigil's scheduler in process
 * (CIB XML parse + schedule) and via the CLI, and of `crm_simulate` when installed, on the same
 * CIB: `-s` (schedule and show scores: the scheduler proper) and `-S` (also simulate executing the
 * transition, which is far slower). The last line is one line of JSON with the figures and the ratios.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadCibXml } from '../src/config/cib/load.js';
import { schedule } from '../src/scheduler/schedule.js';
import { generateCib } from './scheduler-cib.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

function stats(samples: number[]): { median: number; p99: number; runs: number } {
  const s = samples.slice().sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { median: round(q(0.5)), p99: round(q(0.99)), runs: s.length };
}

const round = (x: number): number => Math.round(x * 10) / 10;

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function haveCrmSimulate(): boolean {
  return spawnSync('crm_simulate', ['--version'], { stdio: 'ignore' }).status === 0;
}

const sizes = arg('sizes', '1000,10000').split(',').map(Number);
const runs = Number(arg('runs', '7'));
const crmRuns = Number(arg('crm-runs', '3'));
// crm_simulate can take very long on big CIBs: a run that exceeds this is stopped and its
// figure is reported as a lower bound (timed_out: true).
const crmTimeoutS = Number(arg('crm-timeout', '900'));
const crmModes = arg('crm-modes', 's,S').split(',').filter((m) => m === 's' || m === 'S');
const nodes = 32;
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-sched-'));
const root = new URL('../..', import.meta.url).pathname;
const results: Record<string, unknown>[] = [];
try {
  for (const size of sizes) {
    const { xml, primitives } = generateCib(nodes, size);
    const file = join(dir, `cib-${nodes}n-${size}r.xml`);
    writeFileSync(file, xml);
    const text = readFileSync(file, 'utf8');
    // Warm up once (JIT), then measure.
    const first = schedule(loadCibXml(text, file), 1_700_000_100);
    const inproc: number[] = [];
    const schedOnly: number[] = [];
    for (let i = 0; i < runs; i++) {
      let cib = loadCibXml(text, file);
      inproc.push(time(() => { cib = loadCibXml(text, file); schedule(cib, 1_700_000_100); }));
      schedOnly.push(time(() => schedule(cib, 1_700_000_100)));
    }
    const cli: number[] = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      cli.push(time(() => { spawnSync(process.execPath, [join(root, 'bin', 'vigil'), 'simulate', '--json', '--cib', file], { stdio: 'ignore' }); }));
    }
    const row: Record<string, unknown> = {
      nodes, resources: primitives, placements: first.placements.length, actions: first.summary.length,
      vigil_inprocess_ms: stats(inproc), vigil_schedule_only_ms: stats(schedOnly), vigil_cli_ms: stats(cli),
    };
    console.log(`${nodes} nodes, ${primitives} resources: vigil in-process (parse+schedule) median ${stats(inproc).median} ms p99 ${stats(inproc).p99} ms; schedule only median ${stats(schedOnly).median} ms; CLI median ${stats(cli).median} ms`);
    if (haveCrmSimulate()) {
      for (const mode of crmModes) {
        const crm: number[] = [];
        let timedOut = false;
        for (let i = 0; i < crmRuns && !timedOut; i++) {
          crm.push(time(() => {
            const r = spawnSync('crm_simulate', ['-x', file, `-${mode}`], { stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' }, timeout: crmTimeoutS * 1000, killSignal: 'SIGKILL' });
            if (r.error || r.signal) timedOut = true;
          }));
        }
        const c = stats(crm);
        const key = mode === 's' ? 'crm_simulate_scores' : 'crm_simulate_simulate';
        row[`${key}_ms`] = { ...c, timed_out: timedOut };
        row[`ratio_${key}_vs_inprocess`] = round(c.median / stats(inproc).median);
        row[`ratio_${key}_vs_cli`] = round(c.median / stats(cli).median);
        console.log(`  crm_simulate -x FILE -${mode}: median ${timedOut ? '>' : ''}${c.median} ms p99 ${c.p99} ms; crm_simulate/vigil: ${timedOut ? '>' : ''}${String(row[`ratio_${key}_vs_inprocess`])}x in-process, ${timedOut ? '>' : ''}${String(row[`ratio_${key}_vs_cli`])}x CLI`);
      }
    } else {
      console.log('  crm_simulate not installed: no comparison');
    }
    results.push(row);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ bench: 'scheduler', results }));
