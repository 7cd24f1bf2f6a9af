/**
 * Executor overhead: how long an operation takes end to end through the executor, for a built-in
 * agent (no process), for a real OCF shell agent (ocf:heartbeat:Dummy, one process plus the
 * shell functions it sources), and how many independent monitors per second the node sustains.
 * Prints median/p99 per case and ends with one line of JSON.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor } from '../src/executor/index.js';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function timeOps(n: number, op: () => Promise<{ rc: number }>): Promise<{ median: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await op();
    if (r.rc !== 0) throw new Error(`operation failed with rc ${r.rc}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-'));
const ex = new Executor({ agents: { stateDir: dir, rscTmpDir: dir } });
try {
  const dummy = { class: 'builtin', type: 'dummy' } as const;
  await ex.execute({ resource: 'b', agent: dummy, action: 'start' });
  const builtin = await timeOps(500, () => ex.execute({ resource: 'b', agent: dummy, action: 'monitor' }));

  const ocf = { class: 'ocf', provider: 'heartbeat', type: 'Dummy' } as const;
  const params = { state: join(dir, 'ocf.state') };
  await ex.execute({ resource: 'o', agent: ocf, action: 'start', params });
  const ocfMon = await timeOps(60, () => ex.execute({ resource: 'o', agent: ocf, action: 'monitor', params }));

  // Baseline: the same agent run directly (execFile, same environment), without the executor.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'o', OCF_RESKEY_state: params.state, HA_RSCTMP: dir, OCF_RA_VERSION_MAJOR: '1', OCF_RA_VERSION_MINOR: '1', HA_LOGFACILITY: 'none' };
  const run = promisify(execFile);
  const direct = await timeOps(60, async () => { await run('/usr/lib/ocf/resource.d/heartbeat/Dummy', ['monitor'], { env }); return { rc: 0 }; });

  // Throughput: monitors of 40 resources at once through the node-wide limit.
  const resources = Array.from({ length: 40 }, (_, i) => `r${i}`);
  await Promise.all(resources.map((r) => ex.execute({ resource: r, agent: ocf, action: 'start', params: { state: join(dir, `${r}.state`) } })));
  const t0 = performance.now();
  const rounds = 3;
  for (let k = 0; k < rounds; k++) {
    await Promise.all(resources.map((r) => ex.execute({ resource: r, agent: ocf, action: 'monitor', params: { state: join(dir, `${r}.state`) } })));
  }
  const perSecond = (resources.length * rounds) / ((performance.now() - t0) / 1000);

  const f = (x: number) => x.toFixed(2);
  console.log(`builtin:dummy monitor       median ${f(builtin.median)} ms  p99 ${f(builtin.p99)} ms  (500 runs)`);
  console.log(`ocf:heartbeat:Dummy monitor median ${f(ocfMon.median)} ms  p99 ${f(ocfMon.p99)} ms  (60 runs)`);
  console.log(`the same, run directly       median ${f(direct.median)} ms  p99 ${f(direct.p99)} ms  (execFile, no executor)`);
  console.log(`ocf:heartbeat:Dummy monitors in parallel: ${perSecond.toFixed(1)} per second (40 resources x ${rounds})`);
  console.log(JSON.stringify({
    bench: 'executor',
    builtin_monitor_ms: { median: +f(builtin.median), p99: +f(builtin.p99) },
    ocf_dummy_monitor_ms: { median: +f(ocfMon.median), p99: +f(ocfMon.p99) },
    ocf_dummy_direct_ms: { median: +f(direct.median), p99: +f(direct.p99) },
    ocf_dummy_monitors_per_s: +perSecond.toFixed(1),
  }));
} finally {
  await ex.shutdown();
  await rm(dir, { recursive: true, force: true });
}
