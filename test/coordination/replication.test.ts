import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, members } from './harness.js';
import { DEFAULT_TIMING, isDc } from '../../src/coordination/node.js';
import type { CibUpdate } from '../../src/coordination/cib-update.js';

const attr = (value: string): CibUpdate => ({ kind: 'node-attribute', node: 'a', name: 'k', value });
const values = (c: TestCluster, id: string): string[] =>
  (c.applied.get(id) ?? []).flatMap((e) => (e.data.type === 'cib' && e.data.update.kind === 'node-attribute' ? [String(e.data.update.value)] : []));

test('proposals are replicated and applied in the same order everywhere', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  for (let i = 0; i < 20; i++) c.input(dc, { type: 'propose', update: attr(`v${i}`) });
  c.deliver();
  c.run(300);
  const want = Array.from({ length: 20 }, (_, i) => `v${i}`);
  for (const id of ['a', 'b', 'c']) assert.deepEqual(values(c, id), want, id);
  const rejected = c.input(['a', 'b', 'c'].find((x) => x !== dc) as string, { type: 'propose', update: attr('no'), id: 'p1' });
  assert.deepEqual(rejected.events, [{ type: 'rejected', id: 'p1', reason: 'not the leader', leader: dc }]);
});

test('a leader counts its own entry only once the write is durable', () => {
  const c = new TestCluster(members('a'));
  c.untilDc();
  c.holdAcks = true;
  const out = c.input('a', { type: 'propose', update: attr('x') });
  assert.equal(out.persist.length, 1);
  assert.deepEqual(out.apply, []);
  c.holdAcks = false;
  c.input('a', { type: 'persisted', seq: out.persistSeq });
  assert.deepEqual(values(c, 'a'), ['x']);
});

test('a follower that was down catches up; a crash keeps persisted state and committed entries', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  const lag = ['a', 'b', 'c'].find((x) => x !== dc) as string;
  c.crash(lag);
  for (let i = 0; i < 30; i++) c.input(dc, { type: 'propose', update: attr(`v${i}`) });
  c.run(200);
  c.start(lag);
  c.run(1500);
  assert.deepEqual(values(c, lag).slice(-30), Array.from({ length: 30 }, (_, i) => `v${i}`));
  // Every node crashes and restarts: the log and the DC come back.
  for (const id of ['a', 'b', 'c']) c.crash(id);
  for (const id of ['a', 'b', 'c']) c.start(id);
  const dc2 = c.untilDc();
  c.run(300);
  assert.ok(c.node(dc2).commitIndex >= 31);
});

test('snapshots: compaction, and a lagging follower is brought up by a chunked InstallSnapshot', () => {
  const c = new TestCluster(members('a', 'b', 'c'), { timing: { ...DEFAULT_TIMING, snapshotChunk: 5 }, quorum: {} });
  const dc = c.untilDc();
  const lag = ['a', 'b', 'c'].find((x) => x !== dc) as string;
  c.crash(lag);
  for (let i = 0; i < 10; i++) c.input(dc, { type: 'propose', update: attr(`v${i}`) });
  c.run(200);
  const leader = c.node(dc);
  const data = JSON.stringify({ state: 'all of v0..v9', upTo: leader.appliedIndex });
  c.input(dc, { type: 'compact', index: leader.appliedIndex, data });
  assert.equal(leader.log.baseIndex, leader.appliedIndex);
  assert.equal(leader.log.entries.length, 0);
  c.input(dc, { type: 'propose', update: attr('after') });
  c.start(lag);
  c.run(2000);
  const chunks = c.sent.filter((m) => m.type === 'snapshot' && m.to === lag);
  assert.ok(chunks.length >= Math.ceil(data.length / 5), `sent ${chunks.length} chunks`);
  assert.equal(c.restored.get(lag)?.at(-1)?.data, data);
  assert.deepEqual(values(c, lag).slice(-1), ['after']);
  assert.equal(c.node(lag).log.snapshot?.data, data);
  assert.equal(c.disks.get(lag)?.snapshot?.data, data);
});

test('membership: add a learner, give it a vote, remove a node; one change at a time', () => {
  const c = new TestCluster(members('a', 'b', 'c'));
  const dc = c.untilDc();
  c.run(100);
  c.config.members.push({ id: 'd', votes: 0 });
  c.start('d');
  // The bootstrap config is shared, so undo that: d joins only through the log.
  c.config.members.pop();
  let out = c.input(dc, { type: 'change-membership', change: { op: 'add', node: 'd', votes: 0 }, id: 'm1' });
  assert.equal(out.events[0].type, 'proposed');
  out = c.input(dc, { type: 'change-membership', change: { op: 'set-votes', node: 'd', votes: 1 }, id: 'm2' });
  assert.deepEqual(out.events.map((e) => e.type), ['rejected']);
  c.run(300);
  out = c.input(dc, { type: 'change-membership', change: { op: 'set-votes', node: 'd', votes: 1 } });
  assert.equal(out.events[0].type, 'proposed');
  c.run(300);
  assert.deepEqual(c.node('d').config.members.map((m) => [m.id, m.votes]), [['a', 1], ['b', 1], ['c', 1], ['d', 1]]);
  const victim = ['a', 'b', 'c'].find((x) => x !== dc) as string;
  out = c.input(dc, { type: 'change-membership', change: { op: 'remove', node: victim } });
  assert.equal(out.events[0].type, 'proposed');
  c.run(300);
  c.crash(victim);
  assert.deepEqual(c.node(dc).config.members.map((m) => m.id).sort(), ['a', 'b', 'c', 'd'].filter((x) => x !== victim));
  // Three voters left; one more can fail.
  const another = ['a', 'b', 'c', 'd'].find((x) => x !== dc && x !== victim) as string;
  c.crash(another);
  c.run(500);
  assert.ok(isDc(c.node(dc), c.now));
  assert.equal(c.input(dc, { type: 'change-membership', change: { op: 'set-votes', node: 'd', votes: 3 } }).events[0].type, 'rejected');
});
