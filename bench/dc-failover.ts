/**
 * DC failover: N `vigil engine` processes on loopback at default timings; each trial kills the
 * DC with kill -9 and measures the time until another node reports a valid DC lease. Both
 * instants come from CLOCK_MONOTONIC (the bench takes the kill time, the engine stamps its lease
 * event), so they are comparable. The killed node is restarted with its state directory and the
 * cluster settles (all nodes following one DC) before the next trial.
 *
 *   npm run bench -- dc-failover [--nodes 5] [--trials 20] [--busy]
 *
 * `--busy` keeps every core busy with spawned busy-loop processes (killed by PID afterwards).
 *
 * Prints every trial, median and p99, and ends with one line of JSON.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { EngineCluster } from '../test/engine/cluster.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const nodes = arg('nodes', 5);
const trials = arg('trials', 20);
const busy = process.argv.includes('--busy');
const hogs: ChildProcess[] = [];
if (busy) for (let i = 0; i < availableParallelism(); i++) hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
const c = new EngineCluster({ nodes });
const results: Array<{ trial: number; killed: string; newDc: string; failoverMs: number; detectMs: number | null }> = [];
try {
  c.startAll();
  await c.waitFor(() => c.stableDc(), 60_000, 'a first DC');
  for (let trial = 1; trial <= trials; trial++) {
    const dc = await c.waitFor(() => (c.live().length === nodes ? c.stableDc() : undefined), 60_000, 'a settled cluster');
    // Let the restarted node of the previous trial settle fully (its boot rule, its catch-up).
    await new Promise((r) => setTimeout(r, 1500));
    const again = c.stableDc();
    if (again !== dc) { trial--; continue; }
    const killedAt = await c.kill(dc);
    const ev = await c.waitFor(() => {
      for (const p of c.live()) {
        const e = p.events.find((x) => x.ev === 'lease' && x.valid === true && x.t > killedAt);
        if (e) return e;
      }
      return undefined;
    }, 30_000, 'a new DC lease');
    // When the first survivor noticed (a peer-down by membership, or an election started).
    const firstMove = Math.min(...c.live().map((p) => p.events.find((x) => x.t > killedAt && x.ev === 'role' && x.role === 'pre-candidate')?.t ?? Infinity));
    const r = { trial, killed: dc, newDc: ev.node, failoverMs: ev.t - killedAt, detectMs: Number.isFinite(firstMove) ? firstMove - killedAt : null };
    results.push(r);
    console.log(`trial ${String(trial).padStart(2)}: killed ${r.killed} -> ${r.newDc} DC with lease after ${r.failoverMs.toFixed(1)} ms (first pre-vote after ${r.detectMs?.toFixed(1) ?? '-'} ms)`);
    c.start(dc);
  }
} catch (e) {
  // Report why, with every node's state and log tail (waitFor's message), and the trials so far.
  console.error(`dc-failover: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await c.destroy();
  for (const h of hogs) if (h.pid !== undefined && h.exitCode === null) process.kill(h.pid, 'SIGKILL');
}
if (results.length === 0) process.exit(1);
const sorted = results.map((r) => r.failoverMs).sort((a, b) => a - b);
const median = quantile(sorted, 0.5);
const p99 = quantile(sorted, 0.99);
console.log(`dc-failover: ${nodes} nodes${busy ? ' (all cores busy)' : ''}, ${results.length} trials: median ${median.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, min ${sorted[0].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`);
console.log(JSON.stringify({
  bench: 'dc-failover', nodes, busy, trials: results.length, medianMs: Math.round(median * 10) / 10, p99Ms: Math.round(p99 * 10) / 10,
  minMs: Math.round(sorted[0] * 10) / 10, maxMs: Math.round(sorted[sorted.length - 1] * 10) / 10, targetMedianMs: 1000, met: median <= 1000,
  trialsMs: results.map((r) => Math.round(r.failoverMs * 10) / 10), at: new Date().toISOString(),
}));
