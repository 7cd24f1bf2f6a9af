import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor, probeState, type MonitorReport, type OperationResult } from '../../src/executor/index.js';
import { processAlive } from '../../src/executor/process.js';
import { OpStatus } from '../../src/model/index.js';

const dummy = { class: 'builtin', type: 'dummy' } as const;

async function setup(): Promise<{ dir: string; ex: Executor; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-exec-'));
  const ex = new Executor({ agents: { stateDir: join(dir, 'state'), rscTmpDir: join(dir, 'rsctmp'), ocfRoot: join(dir, 'ocf'), killGraceMs: 300 } });
  return { dir, ex, done: async () => { await ex.shutdown(); await rm(dir, { recursive: true, force: true }); } };
}

function overlaps(a: OperationResult, b: OperationResult): boolean {
  return a.startedAt < b.finishedAt && b.startedAt < a.finishedAt;
}

test('operations on one resource run one at a time, in order; different resources run in parallel', async () => {
  const { ex, done } = await setup();
  try {
    const slow = { start_delay_ms: '150', stop_delay_ms: '150', monitor_delay_ms: '150' };
    const a = (action: string) => ex.execute({ resource: 'a', agent: dummy, action, params: slow, timeoutMs: 5000 });
    const b = (action: string) => ex.execute({ resource: 'b', agent: dummy, action, params: slow, timeoutMs: 5000 });
    const all = Promise.all([a('start'), a('monitor'), a('stop'), b('start')]);
    await new Promise((r) => setTimeout(r, 50));
    const pending = ex.pending();
    assert.deepEqual(pending.map((p) => [p.callId, p.resource, p.action, p.state]), [[1, 'a', 'start', 'running'], [2, 'a', 'monitor', 'queued'], [3, 'a', 'stop', 'queued'], [4, 'b', 'start', 'running']]);
    const [a1, a2, a3, b1] = await all;
    assert.deepEqual(ex.pending(), []);
    assert.deepEqual([a1.rc, a2.rc, a3.rc, b1.rc], [0, 0, 0, 0]);
    assert.ok(!overlaps(a1, a2) && !overlaps(a2, a3), 'same resource: no overlap');
    assert.ok(a1.finishedAt <= a2.startedAt && a2.finishedAt <= a3.startedAt, 'same resource: submission order');
    assert.ok(overlaps(a1, b1), 'different resources run at the same time');
    assert.ok(a3.queueTimeMs >= 250, `the third waited for two (queued ${a3.queueTimeMs} ms)`);
    assert.deepEqual([a1.callId, a2.callId, a3.callId, b1.callId], [1, 2, 3, 4]);
  } finally {
    await done();
  }
});

test('the node-wide concurrency limit holds', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-exec-'));
  const ex = new Executor({ maxConcurrent: 2, agents: { stateDir: dir } });
  try {
    const ops = await Promise.all(['a', 'b', 'c', 'd'].map((r) => ex.execute({ resource: r, agent: dummy, action: 'start', params: { start_delay_ms: '150' }, timeoutMs: 5000 })));
    let maxAtOnce = 0;
    for (const o of ops) maxAtOnce = Math.max(maxAtOnce, ops.filter((p) => p.startedAt <= o.startedAt && o.startedAt < p.finishedAt).length);
    assert.equal(maxAtOnce, 2);
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a timed-out agent: result Timeout, and its whole process group is killed', async () => {
  const { dir, ex, done } = await setup();
  try {
    const agentDir = join(dir, 'ocf', 'resource.d', 'test');
    await mkdir(agentDir, { recursive: true });
    const pids = join(dir, 'pids');
    // The agent spawns a child that ignores SIGTERM and records its pid, then hangs.
    await writeFile(join(agentDir, 'hang'), `#!/bin/sh\nsh -c 'trap "" TERM; echo $$ >> ${pids}; while :; do sleep 1; done' &\necho $$ >> ${pids}\nsleep 60\n`);
    await chmod(join(agentDir, 'hang'), 0o755);
    const t0 = performance.now();
    const r = await ex.execute({ resource: 'h', agent: { class: 'ocf', provider: 'test', type: 'hang' }, action: 'start', timeoutMs: 400 });
    assert.equal(r.opStatus, OpStatus.Timeout);
    assert.equal(r.rc, 1);
    assert.match(r.exitReason ?? '', /timed out after 400 ms/);
    assert.ok(performance.now() - t0 < 10_000);
    const recorded = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
    assert.equal(recorded.length, 2);
    for (const pid of recorded) assert.equal(processAlive(pid), false, `pid ${pid} must be dead`);
    // The queue goes on after a timeout.
    const next = await ex.execute({ resource: 'h', agent: dummy, action: 'start', timeoutMs: 5000 });
    assert.equal(next.rc, 0);
  } finally {
    await done();
  }
});

test('a built-in that overruns its deadline times out too', async () => {
  const { ex, done } = await setup();
  try {
    const r = await ex.execute({ resource: 'slow', agent: dummy, action: 'start', params: { start_delay_ms: '5000' }, timeoutMs: 200 });
    assert.equal(r.opStatus, OpStatus.Timeout);
    assert.ok(r.durationMs < 2000);
  } finally {
    await done();
  }
});

test('probe maps rc to state; unknown classes and agents are reported, not thrown', async () => {
  const { dir, ex, done } = await setup();
  try {
    const fail = join(dir, 'fail');
    const base = { resource: 'p', agent: dummy, params: { fail_file: fail } };
    assert.equal((await ex.probe(base)).state, 'stopped');
    await ex.execute({ ...base, action: 'start' });
    assert.equal((await ex.probe(base)).state, 'running');
    await ex.execute({ ...base, action: 'promote' });
    assert.equal((await ex.probe(base)).state, 'promoted');
    await writeFile(fail, 'monitor=1\n');
    const failed = await ex.probe(base);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.result.rc, 1);
    assert.equal(probeState({ rc: 0, opStatus: OpStatus.Timeout }), 'failed');

    const many = await ex.probeAll([base, { resource: 'q', agent: dummy, params: { state: join(dir, 'q.state') } }]);
    assert.deepEqual([...many.entries()].map(([k, v]) => [k, v.state]), [['p', 'failed'], ['q', 'stopped']]);

    const nope = await ex.execute({ resource: 'x', agent: { class: 'nagios', type: 'check_x' }, action: 'start' });
    assert.equal(nope.opStatus, OpStatus.NotSupported);
    const noBuiltin = await ex.execute({ resource: 'x', agent: { class: 'builtin', type: 'teleport' }, action: 'start' });
    assert.equal(noBuiltin.opStatus, OpStatus.NotSupported);
    assert.match(noBuiltin.exitReason ?? '', /vip, process, dummy/);
    const unimpl = await ex.execute({ resource: 'x', agent: dummy, action: 'migrate_to' });
    assert.equal(unimpl.rc, 3);
  } finally {
    await done();
  }
});

test('recurring monitors report the first result, changes and failures; cancel stops them', async () => {
  const { dir, ex, done } = await setup();
  try {
    const fail = join(dir, 'fail');
    const req = { resource: 'm', agent: dummy, action: 'monitor', params: { fail_file: fail }, intervalMs: 40, timeoutMs: 2000 };
    await ex.execute({ ...req, action: 'start', intervalMs: 0 });
    const reports: MonitorReport[] = [];
    const all: MonitorReport[] = [];
    const h = ex.startMonitor(req, { onReport: (r) => reports.push(r) });
    const h2 = ex.startMonitor({ ...req, intervalMs: 45 }, { reportAll: true, onReport: (r) => all.push(r) });
    assert.equal(h.key, 'm_monitor_40');
    assert.equal(ex.monitors().length, 2);
    const waitFor = async (cond: () => boolean) => {
      for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(cond());
    };
    await waitFor(() => all.length >= 4);
    assert.equal(reports.length, 1, 'steady success is reported once');
    assert.equal(reports[0].first, true);
    assert.equal(reports[0].result.rc, 0);
    await writeFile(fail, 'monitor=1\n');
    await waitFor(() => reports.length >= 3);
    assert.equal(reports[1].changed, true);
    assert.equal(reports[1].result.rc, 1);
    assert.equal(reports[2].changed, false, 'a failure is reported again even without change');
    await rm(fail);
    await waitFor(() => reports.at(-1)!.result.rc === 0);
    assert.equal(reports.at(-1)!.changed, true);
    h.cancel();
    assert.equal(ex.cancelMonitor('m'), 1);
    assert.equal(ex.monitors().length, 0);
    const n = reports.length;
    const m = all.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(reports.length, n, 'nothing is reported after cancel');
    assert.ok(all.length <= m + 1, 'nothing runs after cancel (one may have been in flight)');
    // Monitor runs are ordinary operations: their call ids keep increasing.
    const ids = all.map((r) => r.result.callId);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
    assert.equal(h2.key, 'm_monitor_45');
  } finally {
    await done();
  }
});

test('firstCallId continues numbering; shutdown cancels queued work', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-exec-'));
  const ex = new Executor({ firstCallId: 41, agents: { stateDir: dir } });
  try {
    const r = await ex.execute({ resource: 'z', agent: dummy, action: 'start' });
    assert.equal(r.callId, 42);
    assert.equal(ex.lastCallId, 42);
    const slow = ex.execute({ resource: 'z', agent: dummy, action: 'stop', params: { stop_delay_ms: '3000' }, timeoutMs: 10_000 });
    const queued = ex.execute({ resource: 'z', agent: dummy, action: 'start' });
    await new Promise((r2) => setTimeout(r2, 100));
    await ex.shutdown();
    assert.equal((await slow).opStatus, OpStatus.Cancelled);
    assert.equal((await queued).opStatus, OpStatus.Cancelled);
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});
