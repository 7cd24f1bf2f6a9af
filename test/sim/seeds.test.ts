import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeeds } from '../../src/sim/run.js';
import { runSeed } from '../../src/sim/simulation.js';

function assertClean(nodes: number, count: number, seed: number, witness = false): void {
  const s = runSeeds({ seed, count, nodes, witness });
  const f = s.failure;
  assert.equal(f, undefined, f ? `seed ${f.seed}: ${f.violation?.invariant}: ${f.violation?.detail}` : '');
  assert.equal(s.seedsRun, count);
  // The faults really happened and the cluster really worked through them.
  assert.ok(s.faultsTotal > count * 3, `faults ${s.faultsTotal}`);
  assert.ok(s.elections >= count, `elections ${s.elections}`);
  assert.ok(s.committedEntries > count * 3, `committed ${s.committedEntries}`);
  for (const kind of ['crash', 'crash-mid-write', 'partition', 'one-way', 'link-cut', 'ring-down', 'loss', 'delay', 'duplicate', 'pause', 'torn-write']) {
    assert.ok((s.faults[kind] ?? 0) > 0, `no ${kind} fault injected`);
  }
}

test('2000 seeds of a 3-node cluster (coordination and membership) keep every invariant', () => {
  assertClean(3, 2000, 1);
});

test('400 seeds of a 5-node cluster keep every invariant', () => {
  assertClean(5, 400, 100_000);
});

test('800 seeds of a two-node cluster (two_node, wait_for_all, fencing) keep every invariant', () => {
  assertClean(2, 800, 200_000);
  const s = runSeeds({ seed: 200_000, count: 200, nodes: 2 });
  assert.ok((s.faults.fence ?? 0) > 20, 'fencing was exercised');
});

test('400 seeds of two nodes and a witness keep every invariant', () => {
  assertClean(2, 400, 300_000, true);
});

test('200 seeds with expected_votes above the configured votes (3 nodes, expected 4: all three needed) keep every invariant', () => {
  for (let seed = 700_000; seed < 700_200; seed++) {
    const r = runSeed({ seed, nodes: 3, expectedVotes: 4 });
    assert.equal(r.ok, true, `seed ${seed}: ${r.violation?.invariant}: ${r.violation?.detail}`);
  }
});

test('the same seed replays exactly; different seeds differ', () => {
  const a = runSeed({ seed: 4242, nodes: 3, record: true });
  const b = runSeed({ seed: 4242, nodes: 3, record: true });
  assert.ok(a.timeline.length > 100);
  assert.deepEqual(a.timeline, b.timeline);
  assert.deepEqual(a.stats, b.stats);
  const c = runSeed({ seed: 4243, nodes: 3, record: true });
  assert.notDeepEqual(a.timeline, c.timeline);
  // Recording the timeline does not change the run.
  const quiet = runSeed({ seed: 4242, nodes: 3 });
  assert.deepEqual(quiet.stats, a.stats);
});

test('DC failover after kill -9 of the DC: median within 1 s of virtual time at default timings', () => {
  // Only DC kills, on a clean network.
  const times: number[] = [];
  for (let seed = 1; seed <= 30; seed++) {
    const r = runSeed({ seed, nodes: 3, faults: 'dc-kill', faultMs: 20_000 });
    assert.equal(r.ok, true, r.violation?.detail);
    times.push(...r.stats.failovers);
  }
  times.sort((a, b) => a - b);
  assert.ok(times.length > 100, `${times.length} failovers`);
  const median = times[times.length >> 1];
  assert.ok(median <= 1000 && median >= 400, `median ${median}`);
  // With other faults going on at the same time it is still about a second.
  const s = runSeeds({ seed: 500_000, count: 300, nodes: 3 });
  assert.ok(s.failovers.count > 100);
  assert.ok(s.failovers.medianMs <= 1200, `median ${s.failovers.medianMs}`);
});
