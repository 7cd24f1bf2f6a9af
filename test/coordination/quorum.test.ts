import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, members } from './harness.js';
import { DEFAULT_TIMING, isDc, isQuorate } from '../../src/coordination/node.js';
import { quorumValue, votesNeeded } from '../../src/coordination/quorum.js';

const timing = { ...DEFAULT_TIMING };

test('votes needed: a majority of max(expected_votes, configured votes), with weights', () => {
  assert.equal(votesNeeded(members('a', 'b', 'c'), {}), 2);
  assert.equal(votesNeeded(members('a', 'b', 'c'), { expectedVotes: 5 }), 3);
  assert.equal(votesNeeded({ members: [{ id: 'a', votes: 3 }, { id: 'b', votes: 1 }] }, {}), 3);
  const cfg = { members: [{ id: 'a', votes: 2 }, { id: 'b', votes: 1 }, { id: 'c', votes: 1 }] };
  // a (2 votes) alone is not a majority of 4; a + either other is.
  assert.equal(quorumValue(cfg, {}, (id) => ({ a: 10, b: 5, c: 1 })[id] ?? 0), 5);
});

test('expected_votes above the configured votes keeps a partition non-quorate', () => {
  const c = new TestCluster(members('a', 'b', 'c'), { timing, quorum: { expectedVotes: 5 } });
  c.crash('c');
  c.run(4000);
  assert.deepEqual(c.dcs(), []);
  c.start('c');
  c.untilDc();
});

test('two_node + wait_for_all: a cold-started single node does not take over, even after fencing', () => {
  const c = new TestCluster(members('a', 'b'), { timing, quorum: { twoNode: true, waitForAll: true } });
  c.crash('b');
  c.input('a', { type: 'fenced', node: 'b' });
  c.run(4000);
  assert.deepEqual(c.leaders(), []);
  assert.equal(isQuorate(c.node('a'), c.now), false);
});

test('two_node: the survivor that fenced its peer holds its vote and is DC; the peer rejoins and the vote is released', () => {
  const c = new TestCluster(members('a', 'b'), { timing, quorum: { twoNode: true, waitForAll: true } });
  const dc = c.untilDc();
  c.run(300);
  const peer = dc === 'a' ? 'b' : 'a';
  // The DC dies: the survivor cannot win alone...
  c.crash(dc);
  c.run(3000);
  assert.deepEqual(c.leaders(), []);
  // ...until it has fenced it.
  const ev = c.input(peer, { type: 'fenced', node: dc });
  assert.deepEqual(ev.events.filter((e) => e.type === 'vote-held'), [{ type: 'vote-held', node: dc, why: 'fenced' }]);
  assert.equal(c.untilDc(), peer);
  c.input(peer, { type: 'propose', update: { kind: 'node-attribute', node: peer, name: 'alone', value: 'yes' } });
  c.run(200);
  assert.ok(c.node(peer).commitIndex > 0);
  // The fenced node comes back: its first message releases the vote; it catches up as a follower.
  c.start(dc);
  c.run(2000);
  assert.equal(c.node(peer).heldVotes.size, 0);
  assert.ok(c.sent.some((m) => m.from === dc && m.to === peer));
  assert.deepEqual(c.dcs(), [peer]);
  assert.equal(c.node(dc).commitIndex, c.node(peer).commitIndex);
  assert.equal(c.node(dc).synced, true);
});

test('two_node: when the DC leaves cleanly, the survivor holds its vote and becomes DC; when it returns, the vote is released', () => {
  const c = new TestCluster(members('a', 'b'), { timing, quorum: { twoNode: true, waitForAll: true } });
  const dc = c.untilDc();
  c.run(300);
  const peer = dc === 'a' ? 'b' : 'a';
  // The DC stops its coordination (vigil stop), then says it leaves.
  c.crash(dc);
  const ev = c.input(peer, { type: 'left', node: dc });
  assert.deepEqual(ev.events.filter((e) => e.type === 'vote-held'), [{ type: 'vote-held', node: dc, why: 'left' }]);
  const t0 = c.now;
  assert.equal(c.untilDc(), peer);
  // Elected once the departed DC's lease is certainly over, within an election timeout.
  assert.ok(c.now - t0 >= timing.electionMinMs - 300 && c.now - t0 <= timing.electionMaxMs + 100, `took ${c.now - t0} ms`);
  c.input(peer, { type: 'propose', update: { kind: 'node-attribute', node: peer, name: 'alone', value: 'yes' } });
  c.run(200);
  // It comes back: its messages release the vote, it catches up, and the DC stays where it is.
  c.start(dc);
  c.run(2000);
  assert.equal(c.node(peer).heldVotes.size, 0);
  assert.deepEqual(c.dcs(), [peer]);
  assert.equal(c.node(dc).commitIndex, c.node(peer).commitIndex);
  assert.equal(c.node(dc).synced, true);
});

test('two_node: when a follower leaves cleanly, the DC keeps its lease without a gap', () => {
  const c = new TestCluster(members('a', 'b'), { timing, quorum: { twoNode: true, waitForAll: true } });
  const dc = c.untilDc();
  c.run(300);
  const peer = dc === 'a' ? 'b' : 'a';
  c.crash(peer);
  c.input(dc, { type: 'left', node: peer });
  for (let i = 0; i < 300; i++) {
    c.run(10);
    assert.deepEqual(c.dcs(), [dc], `DC lost ${i * 10} ms after the clean leave`);
  }
  // Without the held vote it would have stepped down (check-quorum) and lost its lease.
  const d = new TestCluster(members('a', 'b'), { timing, quorum: { twoNode: true, waitForAll: true } });
  const dc2 = d.untilDc();
  d.run(300);
  d.crash(dc2 === 'a' ? 'b' : 'a');
  d.run(1500);
  assert.deepEqual(d.dcs(), []);
});

test('two_node + wait_for_all: a node that never synced with its peer does not count a departed peer\'s vote', () => {
  const c = new TestCluster(members('a', 'b'), { timing, quorum: { twoNode: true, waitForAll: true } });
  c.crash('b');
  c.input('a', { type: 'left', node: 'b' });
  c.run(4000);
  assert.deepEqual(c.leaders(), []);
});

test('without two_node, a fenced() or left() input holds nothing', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const out = c.input('a', { type: 'fenced', node: 'b' });
  assert.deepEqual(out.events, []);
  assert.deepEqual(c.input('a', { type: 'left', node: 'c' }).events, []);
  assert.equal(c.node('a').heldVotes.size, 0);
});

test('witness: votes, never campaigns, never becomes DC', () => {
  const cfg = { members: [{ id: 'a', votes: 1 }, { id: 'b', votes: 1 }, { id: 'w', votes: 1, witness: true }] };
  const c = new TestCluster(cfg);
  const dc = c.untilDc();
  assert.notEqual(dc, 'w');
  c.run(200);
  // The DC dies: the other data node wins with the witness's vote.
  c.crash(dc);
  const next = c.untilDc();
  assert.equal(next, dc === 'a' ? 'b' : 'a');
  // Both data nodes die: the witness stays a follower for ever.
  c.crash(next);
  c.run(5000);
  assert.equal(c.node('w').role, 'follower');
  assert.ok(!c.sent.some((m) => m.from === 'w' && (m.type === 'prevote' || m.type === 'vote')));
  assert.equal(isDc(c.node('w'), c.now), false);
});

test('a membership change that leaves fewer votes than expected_votes requires is refused', () => {
  const c = new TestCluster(members('a', 'b', 'c'), { timing, quorum: { expectedVotes: 4 } });
  const dc = c.untilDc();
  c.run(200);
  const out = c.input(dc, { type: 'change-membership', change: { op: 'set-votes', node: dc === 'a' ? 'b' : 'a', votes: 0 } });
  assert.equal(out.events[0].type, 'rejected');
  assert.match((out.events[0] as { reason: string }).reason, /could never form a quorum/);
});
