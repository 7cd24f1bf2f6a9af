/**
 * Real multi-process engine tests on loopback: 3 and 5 `bin/vigil engine` processes (and a
 * witness), kill -9 of the DC by PID, restart with the state directory, quorum loss. Waits are
 * generous (a loaded 2-core machine); what is asserted is behaviour, never a duration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineCluster, proposeViaDc } from './cluster.js';
import type { EngineProc } from './cluster.js';

const WAIT = 30_000;

function update(i: number): Record<string, unknown> {
  return { kind: 'node-attribute', node: 'n1', name: `attr-${i}`, value: String(i * 7) };
}

/** Every live node has applied exactly `expected` (in order). */
async function allApplied(c: EngineCluster, expected: unknown[], procs: EngineProc[] = c.live()): Promise<void> {
  await c.waitFor(() => procs.every((p) => p.cibUpdates().length >= expected.length), WAIT, `${expected.length} committed updates everywhere`);
  for (const p of procs) assert.deepEqual(p.cibUpdates(), expected, `${p.name} applied the committed sequence`);
}

test('3 engines: one DC with a lease; kill -9 of the DC elects another; the restarted node catches up; the CIB survives', async () => {
  const c = new EngineCluster({ nodes: 3 });
  try {
    c.startAll();
    const dc1 = await c.waitFor(() => c.stableDc(), WAIT, 'a DC with a valid lease followed by all');
    assert.equal(c.leaseHolders().length, 1, 'exactly one node holds a valid lease');

    // A follower refuses proposals and names the DC.
    const follower = c.live().find((p) => p.name !== dc1) as EngineProc;
    const refused = await follower.command({ cmd: 'propose', update: update(0) });
    assert.equal(refused.ok, false);
    assert.match(String(refused.error), /not the DC/);

    const expected: unknown[] = [];
    for (let i = 1; i <= 5; i++) {
      expected.push(update(i));
      await proposeViaDc(c, update(i));
    }
    await allApplied(c, expected);

    // kill -9 of the DC.
    await c.kill(dc1);
    const survivors = c.live();
    const dc2 = await c.waitFor(() => c.stableDc(survivors), WAIT, 'a new DC among the survivors');
    assert.notEqual(dc2, dc1);
    assert.equal(c.leaseHolders().length, 1);
    for (let i = 6; i <= 8; i++) {
      expected.push(update(i));
      await proposeViaDc(c, update(i));
    }
    await allApplied(c, expected);
    const term = c.proc(dc2).term;

    // Restart the killed node with its state directory: it rejoins and catches up.
    const back = c.start(dc1);
    await c.waitFor(() => back.dc === dc2 && back.quorate && back.cibUpdates().length >= expected.length, WAIT, `${dc1} following ${dc2} with every update`);
    await allApplied(c, expected);
    // Pre-vote: the rejoining node, whose log was behind, never raised the term by itself.
    assert.ok(back.events.every((e) => !(e.ev === 'role' && e.role === 'candidate')), 'the rejoining node did not stand for election');
    assert.ok(c.proc(dc2).term >= term);
    // Entries carry the same index and term everywhere (log matching), not just the same payloads.
    const ref = [...c.proc(dc2).committed.values()].sort((a, b) => a.index - b.index);
    for (const p of c.live()) assert.deepEqual([...p.committed.values()].sort((a, b) => a.index - b.index), ref, `${p.name} log`);

    // kill -9 of every node at once, then a cold start from the state directories: nothing committed is lost.
    for (const n of c.names) await c.kill(n);
    for (const n of c.names) c.start(n);
    await c.waitFor(() => c.stableDc(), WAIT, 'a DC after a full cold restart');
    await allApplied(c, expected);
    for (const p of c.live()) {
      const got = [...p.committed.values()].sort((a, b) => a.index - b.index).slice(0, ref.length);
      assert.deepEqual(got, ref, `${p.name} re-applied the same log after the cold restart`);
    }
  } finally {
    await c.destroy();
  }
});

test('5 engines: DC failover twice; with 2 of 5 left there is no quorum and no DC; restarts restore a DC and the CIB', async () => {
  const c = new EngineCluster({ nodes: 5 });
  try {
    c.startAll();
    const dc1 = await c.waitFor(() => c.stableDc(), WAIT, 'a DC');
    const expected: unknown[] = [];
    for (let i = 1; i <= 4; i++) { expected.push(update(i)); await proposeViaDc(c, update(i)); }
    await allApplied(c, expected);

    await c.kill(dc1);
    const dc2 = await c.waitFor(() => c.stableDc(), WAIT, 'a DC after the first kill');
    assert.notEqual(dc2, dc1);
    expected.push(update(5)); await proposeViaDc(c, update(5));
    await c.kill(dc2);
    const dc3 = await c.waitFor(() => c.stableDc(), WAIT, 'a DC with 3 of 5 nodes');
    assert.ok(![dc1, dc2].includes(dc3));
    expected.push(update(6)); await proposeViaDc(c, update(6));
    await allApplied(c, expected);

    // Kill one more: 2 of 5 votes is no quorum.
    await c.kill(dc3);
    const minority = c.live();
    assert.equal(minority.length, 2);
    await c.waitFor(() => minority.every((p) => !p.quorate && !p.leaseValid && p.events.some((e) => e.ev === 'quorum' && e.quorate === false)), WAIT, 'the two survivors to lose quorum');
    const lostAt = Math.max(...minority.map((p) => p.events.filter((e) => e.ev === 'quorum' && e.quorate === false).at(-1)?.t ?? 0));
    for (const p of minority) {
      const r = await p.command({ cmd: 'propose', update: update(99) });
      assert.equal(r.ok, false, `${p.name} refuses proposals without quorum`);
    }

    // Bring back the first DC: 3 of 5 again.
    const back = c.start(dc1);
    const dc4 = await c.waitFor(() => c.stableDc(), WAIT, 'a DC once 3 of 5 are up again');
    // In between, neither survivor ever held a lease while alone.
    for (const p of minority) {
      const leases = p.events.filter((e) => e.ev === 'lease' && e.valid === true && e.t > lostAt);
      const firstBack = back.events.find((e) => e.ev === 'started')?.t ?? Infinity;
      assert.ok(leases.every((e) => e.t > firstBack), `${p.name} held no lease while in the minority`);
    }
    expected.push(update(7)); await proposeViaDc(c, update(7));
    c.start(dc2);
    c.start(dc3);
    await allApplied(c, expected);
    assert.equal(c.live().length, 5);
    await c.waitFor(() => c.stableDc(), WAIT, 'all five following one DC');
    assert.ok(dc4);
  } finally {
    await c.destroy();
  }
});

test('2 nodes and a witness: the witness votes but is never DC; either node survives the loss of the other', async () => {
  const c = new EngineCluster({ nodes: 2, witness: true });
  try {
    c.startAll();
    const w = c.proc('witness');
    const dc1 = await c.waitFor(() => c.stableDc(), WAIT, 'a DC');
    assert.notEqual(dc1, 'witness');
    await proposeViaDc(c, update(1));
    await c.kill(dc1);
    const dc2 = await c.waitFor(() => c.stableDc(), WAIT, 'the other node as DC with the witness vote');
    assert.notEqual(dc2, dc1);
    assert.notEqual(dc2, 'witness');
    await proposeViaDc(c, update(2));
    await allApplied(c, [update(1), update(2)]);
    assert.ok(w.events.every((e) => e.ev !== 'role' || e.role === 'follower'), 'the witness never stood for election');
    assert.ok(w.events.every((e) => !(e.ev === 'lease' && e.valid === true)));
  } finally {
    await c.destroy();
  }
});
