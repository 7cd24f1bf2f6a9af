/**
 * A node refuses a request (vigild: the sender is not its DC, a stale term, not its DC yet, or the
 * node is shutting down). The DC takes it as undeliverable: it records no result for it (nothing
 * ran), plans again and sends it again; the refused operation never counts as a failure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
