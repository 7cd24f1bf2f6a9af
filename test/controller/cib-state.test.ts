import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyUpdate, applyUpdates } from '../../src/controller/cib-state.js';
import { transitionKey } from '../../src/controller/records.js';
import type { CibUpdate } from '../../src/coordination/cib-update.js';
import { OpStatus, type Cib, type OperationRecord } from '../../src/model/cluster.js';
import { schedule } from '../../src/scheduler/index.js';
import { cibFromYaml } from './harness.js';

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
    meta: { migration-threshold: 1 }
    ops: [ { name: monitor, interval: 10s } ]
`;

let call = 0;
function op(operation: string, rc: number, intervalMs = 0, target = operation === 'monitor' && intervalMs === 0 ? 7 : 0): OperationRecord {
  call++;
  return { id: '', operation, callId: call, rc, opStatus: OpStatus.Done, intervalMs, lastRcChange: 1000 + call, transitionKey: transitionKey(call, 1, target, 'n1') };
}

function base(): Cib {
  return applyUpdates(cibFromYaml(YAML), [
    { kind: 'node-state', node: 'n1', state: 'joined' },
    { kind: 'node-state', node: 'n2', state: 'joined' },
  ]);
}

function result(node: string, record: OperationRecord): CibUpdate {
  return { kind: 'operation-result', node, rsc: 'db', record };
}

describe('applyUpdate', () => {
  it('records operations under Pacemaker ids and the scheduler sees the resource running', () => {
    const cib = applyUpdates(base(), [result('n1', op('monitor', 7)), result('n2', op('monitor', 7)), result('n1', op('start', 0)), result('n1', op('monitor', 0, 10_000))]);
    const ids = cib.status.nodes.find((n) => n.name === 'n1')!.history[0].ops.map((o) => o.id).sort();
    assert.deepEqual(ids, ['db_last_0', 'db_monitor_10000']);
    const s = schedule(cib, 2000);
    assert.deepEqual(s.current.map((p) => [p.rsc, p.node]), [['db', 'n1']]);
    assert.equal(s.transition.actions.filter((a) => !a.optional).length, 0, 'nothing to do');
  });

  it('a failed monitor plus its fail count makes the scheduler move the resource (migration-threshold=1)', () => {
    let cib = applyUpdates(base(), [result('n1', op('monitor', 7)), result('n2', op('monitor', 7)), result('n1', op('start', 0))]);
    const fail = op('monitor', 7, 10_000);
    cib = applyUpdates(cib, [result('n1', fail), { kind: 'fail-count-increment', node: 'n1', rsc: 'db', operation: 'monitor', intervalMs: 10_000, by: 1, lastFailure: 1500 }]);
    const ops = cib.status.nodes.find((n) => n.name === 'n1')!.history[0].ops;
    assert.ok(ops.some((o) => o.id === 'db_last_failure_0' && o.rc === 7));
    assert.equal(cib.status.nodes.find((n) => n.name === 'n1')!.transientAttributes['fail-count-db#monitor_10000'], '1');
    const s = schedule(cib, 2000);
    assert.ok(s.current.some((p) => p.node === 'n1' && p.flags.includes('failed')));
    assert.deepEqual(s.placements.map((p) => [p.rsc, p.node]), [['db', 'n2']]);
    // After the stop is recorded the failure stays in last_failure_0 but the resource is stopped there.
    const after = applyUpdate(cib, result('n1', op('stop', 0)));
    const s2 = schedule(after, 2000);
    assert.deepEqual(s2.current, []);
    assert.ok(after.status.nodes.find((n) => n.name === 'n1')!.history[0].ops.every((o) => o.intervalMs === 0 || o.id === 'db_last_failure_0'), 'recurring entries cancelled by the stop');
  });

  it('an older result never replaces a newer one', () => {
    const newer = { ...op('start', 0), callId: 500 };
    const older = { ...op('stop', 0), callId: 400 };
    const cib = applyUpdates(base(), [result('n1', newer), result('n1', older)]);
    assert.equal(cib.status.nodes.find((n) => n.name === 'n1')!.history[0].ops.find((o) => o.id === 'db_last_0')!.operation, 'start');
  });

  it('a synthetic record (written by the DC) ranks just after the call it is anchored to: the next executor call supersedes it', () => {
    const started = { ...op('start', 0), callId: 14 };
    // The DC gave up on a probe and wrote a timeout anchored to call 14 (the newest executor result).
    const timeout: OperationRecord = { ...op('monitor', 1), callId: 14, opStatus: OpStatus.Timeout, synthetic: true };
    const ids = (c: Cib) => c.status.nodes.find((n) => n.name === 'n1')!.history[0].ops;
    let cib = applyUpdates(base(), [result('n1', started), result('n1', timeout)]);
    assert.equal(ids(cib).find((o) => o.id === 'db_last_0')!.synthetic, true, 'it supersedes call 14');
    assert.ok(schedule(cib, 2000).current.some((p) => p.node === 'n1' && p.flags.includes('failed')));
    // A late result of a call up to the anchor does not replace it.
    cib = applyUpdate(cib, result('n1', { ...op('stop', 0), callId: 14 }));
    assert.equal(ids(cib).find((o) => o.id === 'db_last_0')!.synthetic, true, 'call 14 is older');
    // The executor's next call is 15 — "newest + 1", the id a synthetic record used to take.
    cib = applyUpdate(cib, result('n1', { ...op('stop', 0), callId: 15 }));
    assert.equal(ids(cib).find((o) => o.id === 'db_last_0')!.operation, 'stop');
    assert.ok(ids(cib).some((o) => o.id === 'db_last_failure_0' && o.synthetic), 'the failure stays on record');
    assert.deepEqual(schedule(cib, 2000).current, [], 'stopped: the failure came before the stop');
  });

  it('node states: lost keeps history, fenced erases history and transient attributes, joined makes it a member', () => {
    let cib = applyUpdates(base(), [result('n2', op('start', 0)), { kind: 'node-attribute', node: 'n2', name: 'x', value: '1' }, { kind: 'node-state', node: 'n2', state: 'lost' }]);
    let n2 = cib.status.nodes.find((n) => n.name === 'n2')!;
    assert.equal(n2.inCluster, false);
    assert.equal(n2.expected, 'member');
    assert.equal(n2.history.length, 1);
    cib = applyUpdate(cib, { kind: 'node-state', node: 'n2', state: 'fenced', at: 5 });
    n2 = cib.status.nodes.find((n) => n.name === 'n2')!;
    assert.deepEqual([n2.history, n2.transientAttributes, n2.expected], [[], {}, 'down']);
    cib = applyUpdate(cib, { kind: 'node-state', node: 'n2', state: 'joined' });
    n2 = cib.status.nodes.find((n) => n.name === 'n2')!;
    assert.deepEqual([n2.inCluster, n2.join, n2.expected], [true, 'member', 'member']);
    // Back from a loss without fencing: its history is forgotten (it will be probed), but not when already a member.
    cib = applyUpdates(cib, [result('n2', op('start', 0)), { kind: 'node-state', node: 'n2', state: 'joined' }]);
    assert.equal(cib.status.nodes.find((n) => n.name === 'n2')!.history.length, 1, 'joined again while a member: kept');
    cib = applyUpdates(cib, [{ kind: 'node-state', node: 'n2', state: 'lost' }, { kind: 'node-state', node: 'n2', state: 'joined' }]);
    assert.deepEqual(cib.status.nodes.find((n) => n.name === 'n2')!.history, []);
    // ...unless it is in maintenance: nothing is probed there, so the record is all anyone knows.
    cib = applyUpdates(cib, [result('n2', op('start', 0)), { kind: 'node-attribute', node: 'n2', name: 'maintenance', value: 'true', lifetime: 'forever' },
      { kind: 'node-state', node: 'n2', state: 'lost' }, { kind: 'node-state', node: 'n2', state: 'joined' }]);
    assert.equal(cib.status.nodes.find((n) => n.name === 'n2')!.history.length, 1);
  });

  it('fail counts: increments saturate at INFINITY, 0 clears, cleanup forgets history and counts', () => {
    let cib = base();
    for (let i = 0; i < 3; i++) cib = applyUpdate(cib, { kind: 'fail-count-increment', node: 'n1', rsc: 'db', operation: 'start', intervalMs: 0, by: 600_000, lastFailure: 10 });
    assert.equal(cib.status.nodes[0].transientAttributes['fail-count-db#start_0'], 'INFINITY');
    cib = applyUpdate(cib, { kind: 'fail-count', node: 'n1', rsc: 'db', operation: 'start', intervalMs: 0, count: 0 });
    assert.deepEqual(cib.status.nodes[0].transientAttributes, {});
    cib = applyUpdates(cib, [result('n1', op('start', 1)), { kind: 'fail-count-increment', node: 'n1', rsc: 'db', operation: 'start', intervalMs: 0, by: 1, lastFailure: 10 }, { kind: 'resource-cleanup', rsc: 'db' }]);
    assert.deepEqual([cib.status.nodes[0].history, cib.status.nodes[0].transientAttributes], [[], {}]);
  });

  it('configuration patches: permanent attributes, constraints, properties, resource meta', () => {
    const cib = applyUpdates(base(), [
      { kind: 'node-attribute', node: 'n1', name: 'standby', value: 'on', lifetime: 'forever' },
      { kind: 'constraint-add', constraint: { kind: 'location', id: 'ban-db-n2', rsc: 'db', node: 'n2', score: -1_000_000, rules: [] } },
      { kind: 'property', name: 'maintenance-mode', value: 'false' },
      { kind: 'resource-meta', rsc: 'db', name: 'target-role', value: 'Stopped' },
    ]);
    assert.equal(cib.config.nodes[0].attributes.standby, 'on');
    assert.equal(cib.config.constraints.length, 1);
    assert.equal(cib.config.properties['maintenance-mode'], 'false');
    assert.equal(cib.config.resources[0].meta['target-role'], 'Stopped');
    const removed = applyUpdate(cib, { kind: 'constraint-remove', id: 'ban-db-n2' });
    assert.equal(removed.config.constraints.length, 0);
    assert.equal(applyUpdate(removed, { kind: 'constraint-remove', id: 'ban-db-n2' }), removed, 'removing twice changes nothing');
  });
});

describe('possiblyActive / possiblyPromoted', () => {
  it('read the history conservatively', async () => {
    const { possiblyActive, possiblyPromoted } = await import('../../src/controller/records.js');
    const r = (operation: string, rc: number, callId: number, intervalMs = 0): OperationRecord => ({ id: `${operation}${callId}`, operation, rc, callId, intervalMs, opStatus: OpStatus.Done });
    assert.equal(possiblyActive([]), false);
    assert.equal(possiblyActive([r('monitor', 7, 1)]), false);
    assert.equal(possiblyActive([r('monitor', 7, 1), r('start', 0, 2)]), true);
    assert.equal(possiblyActive([r('start', 1, 2)]), true, 'a failed start may have left it running');
    assert.equal(possiblyActive([r('start', 0, 2), r('stop', 0, 3)]), false);
    assert.equal(possiblyActive([r('start', 0, 2), r('stop', 1, 3)]), true, 'a failed stop');
    assert.equal(possiblyActive([r('start', 0, 2), { ...r('stop', 0, 3), opStatus: OpStatus.Timeout }]), true);
    assert.equal(possiblyPromoted([r('start', 0, 2)]), false);
    assert.equal(possiblyPromoted([r('start', 0, 2), r('promote', 0, 3)]), true);
    assert.equal(possiblyPromoted([r('start', 0, 2), r('promote', 0, 3), r('demote', 0, 4)]), false);
    assert.equal(possiblyPromoted([r('monitor', 8, 1)]), true, 'a probe found it promoted');
    assert.equal(possiblyPromoted([r('start', 0, 2), r('promote', 0, 3), r('demote', 1, 4)]), true, 'a failed demote');
  });
});
