import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, members } from './harness.js';
import { checkTiming, createNode, DEFAULT_TIMING, isDc, isQuorate, step } from '../../src/coordination/node.js';

test('three nodes elect exactly one DC, and every node knows it is quorate', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  c.run(300);
  assert.deepEqual(c.leaders(), [dc]);
  assert.deepEqual(c.dcs(), [dc]);
  const term = c.node(dc).term;
  for (const n of c.nodes.values()) {
    assert.equal(n.term, term);
    assert.equal(n.leader, dc);
    assert.ok(isQuorate(n, c.now), `${n.id} quorate`);
  }
});

test('no election before the minimum election timeout after boot (the boot rule)', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  c.run(DEFAULT_TIMING.electionMinMs - 10);
  assert.deepEqual(c.leaders(), []);
  assert.ok(c.sent.every((m) => m.type !== 'vote'));
});

test('pre-vote: an isolated node does not raise its term and cannot depose the DC when it returns', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  const term = c.node(dc).term;
  const other = ['a', 'b', 'c'].find((x) => x !== dc) as string;
  c.isolate(other);
  c.run(5000);
  assert.equal(c.node(other).term, term, 'isolated node kept its term');
  assert.ok(c.sent.some((m) => m.type === 'prevote' && m.from === other), 'it did try pre-votes');
  c.heal();
  c.run(2000);
  assert.deepEqual(c.dcs(), [dc]);
  assert.equal(c.node(dc).term, term);
  assert.equal(c.node(other).leader, dc);
});

test('check-quorum: an isolated DC steps down and loses its lease; the majority elects a new DC', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  c.run(200);
  c.isolate(dc);
  const cutAt = c.now;
  c.run(DEFAULT_TIMING.leaseMs + 10);
  assert.equal(isDc(c.node(dc), c.now), false, 'lease ran out');
  c.run(DEFAULT_TIMING.electionMinMs + DEFAULT_TIMING.heartbeatMs);
  assert.equal(c.node(dc).role, 'follower', 'stepped down');
  assert.equal(isQuorate(c.node(dc), c.now), false);
  const next = c.untilDc();
  assert.notEqual(next, dc);
  assert.ok(c.now - cutAt < 2500, `failover took ${c.now - cutAt} ms`);
});

test('the lease ends leaseMs after the send time of the last heartbeat a quorum acknowledged', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  c.run(300);
  const lastSend = c.node(dc).leaderContactAt;
  for (const id of ['a', 'b', 'c']) if (id !== dc) c.crash(id);
  const expiry = c.node(dc).leaseExpiry;
  assert.ok(expiry <= lastSend + DEFAULT_TIMING.leaseMs);
  assert.ok(expiry > lastSend + DEFAULT_TIMING.leaseMs - 2 * DEFAULT_TIMING.heartbeatMs);
  c.run(DEFAULT_TIMING.leaseMs);
  assert.equal(isDc(c.node(dc), c.now), false);
});

test('a follower ignores a vote request with a higher term while it hears from a leader', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  c.run(200);
  const f = ['a', 'b', 'c'].find((x) => x !== dc) as string;
  const term = c.node(f).term;
  const out = c.input(f, { type: 'message', message: { type: 'vote', from: 'x', to: f, term: term + 5, lastIndex: 100, lastTerm: term + 4 } });
  assert.deepEqual(out.send, []);
  assert.equal(c.node(f).term, term);
  const pre = c.input(f, { type: 'message', message: { type: 'prevote', from: 'x', to: f, term: term + 1, lastIndex: 100, lastTerm: term } });
  assert.equal(pre.send[0].type === 'prevote-reply' && pre.send[0].granted, false);
});

test('a node grants one vote per term, and only to an up-to-date log; the planted bug grants two', () => {
  const opts = { timing: { ...DEFAULT_TIMING }, quorum: {} };
  for (const bug of [undefined, 'double-vote'] as const) {
    const n = createNode({ id: 'c', bootstrap: members('a', 'b', 'c'), opts: { ...opts, ...(bug ? { plantedBug: bug } : {}) }, now: 0, seed: 1 });
    const t = 1000; // past the boot rule
    const r1 = step(n, { type: 'message', now: t, message: { type: 'vote', from: 'a', to: 'c', term: 1, lastIndex: 0, lastTerm: 0 } }).output;
    const r2 = step(n, { type: 'message', now: t + 1, message: { type: 'vote', from: 'b', to: 'c', term: 1, lastIndex: 0, lastTerm: 0 } }).output;
    assert.equal(r1.send[0].type === 'vote-reply' && r1.send[0].granted, true);
    assert.deepEqual(r1.persist.at(-1), { kind: 'hard-state', term: 1, votedFor: 'a' });
    assert.equal(r2.send[0].type === 'vote-reply' && r2.send[0].granted, bug === 'double-vote');
  }
  const n = createNode({ id: 'c', bootstrap: members('a', 'b', 'c'), opts, now: 0, seed: 1, persisted: { term: 3, votedFor: null, snapshot: null, entries: [{ index: 1, term: 3, data: { type: 'noop' } }] } });
  const r = step(n, { type: 'message', now: 1000, message: { type: 'vote', from: 'a', to: 'c', term: 4, lastIndex: 5, lastTerm: 2 } }).output;
  assert.equal(r.send[0].type === 'vote-reply' && r.send[0].granted, false, 'stale log refused');
});

test('timing options must satisfy the lease condition', () => {
  assert.deepEqual(checkTiming(DEFAULT_TIMING), []);
  assert.match(checkTiming({ ...DEFAULT_TIMING, leaseMs: 495 }).join(), /leaseMs must be in \(0, 490\.1\]/);
  assert.throws(() => createNode({ id: 'a', bootstrap: members('a'), opts: { timing: { ...DEFAULT_TIMING, electionMaxMs: 100 }, quorum: {} }, now: 0, seed: 1 }), /electionMaxMs/);
});

test('a single-node cluster becomes DC on its own', () => {
  const c = new TestCluster(members('a'));
  assert.equal(c.untilDc(), 'a');
});

test('outputs say until when this node is DC', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  c.run(200);
  const out = c.input(dc, { type: 'tick' });
  assert.equal(out.dcUntil, c.node(dc).leaseExpiry);
  assert.ok((out.dcUntil ?? 0) > c.now);
  const f = ['a', 'b', 'c'].find((x) => x !== dc) as string;
  assert.equal(c.input(f, { type: 'tick' }).dcUntil, null);
});
