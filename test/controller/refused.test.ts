/**
 * A node refuses a request (vigild: the sender is not its DC, a stale term, not its DC yet, or the
 * node is shutting down). The DC takes it as undeliverable: it records no result for it (nothing
 * ran), plans again and sends it again; the refused operation never counts as a failure.
 * A request that got no answer at all may have run: the DC probes the node before placing
 * anything, or, for a probe without an answer, counts it as a probe that timed out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpStatus } from '../../src/model/cluster.js';
import { MiniCluster, cibFromYaml } from './harness.js';

const YAML = `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
  fencing: { enabled: false }
resources:
  - primitive: db
    agent: builtin:dummy
    ops: [ { name: monitor, interval: 10s } ]
constraints:
  - { location: db, node: n2, score: 100 }
`;

test('a refused start is not recorded: the DC plans again and the start is sent again', () => {
  let refusals = 0;
  const c = new MiniCluster(cibFromYaml(YAML), ['n1', 'n2'], {
    refuse: (req) => req.action === 'start' && req.node === 'n2' && refusals++ < 2,
  });
  c.runFor(10_000);
  const starts = c.dispatched.filter((d) => d.req.action === 'start' && d.req.resource === 'db');
  assert.deepEqual(starts.map((d) => d.req.node), ['n2', 'n2', 'n2'], 'sent again after each refusal, to the same place');
  assert.ok(starts[1].at - starts[0].at >= 500, 'not before the refusal came back');
  assert.deepEqual(c.activeOn('db'), ['n2']);
  const recorded = c.outputs.filter((o) => o.type === 'propose' && o.update.kind === 'operation-result' && o.update.record.operation === 'start');
  assert.equal(recorded.length, 1, 'only the start that ran is recorded');
  assert.equal(recorded[0].type === 'propose' && recorded[0].update.kind === 'operation-result' && recorded[0].update.record.rc, 0);
  const counted = c.outputs.filter((o) => o.type === 'propose' && (o.update.kind === 'fail-count' || o.update.kind === 'fail-count-increment'));
  assert.deepEqual(counted, [], 'a refusal is not a failure');
});

test('a refused probe is probed again before anything is placed', () => {
  let refusals = 0;
  const c = new MiniCluster(cibFromYaml(YAML), ['n1', 'n2'], {
    refuse: (req) => req.action === 'monitor' && req.intervalMs === 0 && req.node === 'n2' && refusals++ < 1,
  });
  c.runFor(10_000);
  const probesN2 = c.dispatched.filter((d) => d.req.action === 'monitor' && d.req.intervalMs === 0 && d.req.node === 'n2');
  assert.equal(probesN2.length, 2);
  const start = c.dispatched.find((d) => d.req.action === 'start')!;
  assert.ok(start.at > probesN2[1].at, 'nothing starts before the node is probed');
  assert.deepEqual(c.activeOn('db'), ['n2']);
});

test('a start whose answer is lost may have run: the node is probed before the resource is placed anywhere', () => {
  let lost = 0;
  const c = new MiniCluster(cibFromYaml(YAML), ['n1', 'n2'], {
    loseAnswer: (req) => req.action === 'start' && req.node === 'n2' && lost++ < 1,
  });
  // The start ran on n2, but the DC never heard. While it did not know, n2 went into standby.
  const start = (): boolean => c.dispatched.some((d) => d.req.action === 'start');
  for (let i = 0; i < 100 && !start(); i++) c.runFor(50);
  c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: 'n2', name: 'standby', value: 'on', lifetime: 'forever' } });
  let both = false;
  for (let i = 0; i < 200; i++) { c.runFor(50); if (c.activeOn('db').length > 1) both = true; }
  assert.equal(both, false, 'never active on n1 while it still runs on n2');
  assert.deepEqual(c.activeOn('db'), ['n1']);
  const reprobe = c.dispatched.find((d) => d.req.action === 'monitor' && d.req.intervalMs === 0 && d.req.node === 'n2' && d.at > c.dispatched.find((x) => x.req.action === 'start')!.at);
  assert.ok(reprobe, 'n2 probed again after the lost answer');
  const stopN2 = c.dispatched.find((d) => d.req.action === 'stop' && d.req.node === 'n2');
  assert.ok(stopN2 && stopN2.at > reprobe.at, 'the probe found it running; it was stopped there');
});

test('a probe refused after the node already has history is sent again before anything is placed', () => {
  let refusals = 0;
  const c = new MiniCluster(cibFromYaml(YAML), ['n1', 'n2'], {});
  c.runFor(5000);
  assert.deepEqual(c.activeOn('db'), ['n2']);
  // A new DC probes every member; n2 has not heard of it yet and refuses the probe once.
  c.o.refuse = (req) => req.action === 'monitor' && req.intervalMs === 0 && req.node === 'n2' && refusals++ < 1;
  c.failover('n2');
  c.runFor(5000);
  const probes = c.dispatched.filter((d) => d.req.action === 'monitor' && d.req.intervalMs === 0 && d.req.node === 'n2');
  assert.ok(probes.length >= 3, `probed at start, refused once by the new DC, probed again (${probes.length})`);
});

test('a probe whose answer is lost counts as a probe that timed out: the resource is recovered there, never started twice', () => {
  let lost = 0;
  const c = new MiniCluster(cibFromYaml(YAML), ['n1', 'n2'], {});
  c.runFor(5000);
  c.o.loseAnswer = (req) => req.action === 'monitor' && req.intervalMs === 0 && req.node === 'n2' && lost++ < 1;
  c.failover('n2');
  let both = false;
  for (let i = 0; i < 200; i++) { c.runFor(50); if (c.activeOn('db').length > 1) both = true; }
  assert.equal(both, false);
  const timedOut = c.outputs.find((o) => o.type === 'propose' && o.update.kind === 'operation-result' && o.update.record.operation === 'monitor' && o.update.record.opStatus === OpStatus.Timeout);
  assert.ok(timedOut, 'recorded as a timed-out probe');
  assert.deepEqual(c.activeOn('db'), ['n2']);
  assert.ok(c.dispatched.some((d) => d.req.action === 'stop' && d.req.node === 'n2'), 'recovered in place: stopped, then started');
});
