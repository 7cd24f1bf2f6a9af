/**
 * Manual fencing (`vigil fence confirm NODE`): the DC controller's judgement of an operator's
 * confirmation that a node is down, and what it does with it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFenceConfirm } from '../../src/controller/fence-confirm.js';
import { MiniCluster, cibFromYaml } from './harness.js';

/** db prefers n2; n1 is the DC. `fencing` is the body of cluster.fencing. */
const CLUSTER = (fencing: string) => `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
    - { name: n3, addresses: [192.0.2.3] }
  fencing:
    ${fencing}
resources:
  - primitive: db
    agent: builtin:dummy
    meta: { resource-stickiness: 100 }
    ops: [ { name: monitor, interval: 10s } ]
constraints:
  - { location: db, node: n2, score: 50 }
`;

/** Fencing on, but no device that can fence n2 and no watchdog-timeout. */
const NO_DEVICE_FOR_N2 = `enabled: true
    devices:
      - { device: fence-n1, agent: fence_vigil_lab, hosts: [n1] }`;

const logs = (c: MiniCluster): string[] => c.outputs.flatMap((o) => (o.type === 'log' ? [o.line.message] : []));
const startsElsewhere = (c: MiniCluster, since: number, lost: string) => c.dispatched.filter((d) => d.req.action === 'start' && d.at >= since && d.req.node !== lost);

describe('DC controller: operator confirms a node is down (vigil fence confirm)', () => {
  it('refuses an unknown node, the DC itself and a member that is up, and changes nothing', () => {
    const c = new MiniCluster(cibFromYaml(CLUSTER(NO_DEVICE_FOR_N2)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('db'), ['n2']);
    const unknown = checkFenceConfirm(c.dc, 'n9');
    assert.ok(!unknown.ok && unknown.code === 'input' && /no node "n9" \(nodes: n1, n2, n3\)/.test(unknown.reason));
    const dc = checkFenceConfirm(c.dc, 'n1');
    assert.ok(!dc.ok && dc.code === 'input' && /n1 is the DC and up: .*split brain/.test(dc.reason));
    const live = checkFenceConfirm(c.dc, 'n2');
    assert.ok(!live.ok && live.code === 'input' && /member of the cluster and up/.test(live.reason) && /split brain/.test(live.reason));
    // Fed anyway (a stale request): the controller refuses it too.
    const before = c.outputs.length;
    c.input({ type: 'fence-confirmed', now: c.now, node: 'n2' });
    const after = c.outputs.slice(before);
    assert.ok(!after.some((o) => o.type === 'propose'), 'nothing proposed');
    assert.ok(after.some((o) => o.type === 'log' && o.line.level === 'error' && /refused/.test(o.line.message)));
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('db'), ['n2'], 'db stays where it runs');
    assert.equal(c.cib.status.nodes.find((n) => n.name === 'n2')?.inCluster, true);
  });

  it('a lost node no device can fence and no watchdog covers waits for the operator; confirm completes its fencing and recovers its resources', () => {
    const c = new MiniCluster(cibFromYaml(CLUSTER(NO_DEVICE_FOR_N2)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const lostAt = c.now;
    c.crash('n2');
    c.runFor(120_000);
    // Where such a node goes: it stays unsafe; each transition holds its fence action (and what
    // depends on it) and ends incomplete; the DC replans at cluster-recheck-interval, no sooner.
    assert.ok(c.outputs.some((o) => o.type === 'transition-done' && !o.complete && /could not run/.test(o.reason ?? '')));
    assert.ok(logs(c).some((m) => m === 'no fence device can fence n2: confirm it manually once it is powered off (vigil fence confirm n2)'));
    assert.deepEqual(startsElsewhere(c, lostAt, 'n2'), [], 'nothing recovered before the confirmation');
    assert.ok(c.dc.unsafe.has('n2'));
    const check = checkFenceConfirm(c.dc, 'n2');
    assert.deepEqual(check, { ok: true, pending: true });

    const mark = c.outputs.length;
    const confirmedAt = Math.floor(c.now / 1000);
    c.input({ type: 'fence-confirmed', now: c.now, node: 'n2' });
    const proposals = c.outputs.slice(mark).flatMap((o) => (o.type === 'propose' ? [o.update] : []));
    assert.deepEqual(proposals[0], { kind: 'node-state', node: 'n2', state: 'fenced', at: Math.floor(c.now / 1000), how: 'confirmed by operator' }, 'the record a fence device\'s success makes, saying how');
    assert.ok(logs(c).some((m) => m === 'n2 confirmed by operator: its resources can be recovered'));
    assert.ok(!c.dc.unsafe.has('n2'));
    c.runFor(5_000);
    const n2 = c.cib.status.nodes.find((n) => n.name === 'n2')!;
    assert.equal(n2.expected, 'down');
    assert.deepEqual(n2.history, [], 'its history is erased, as after fencing');
    assert.deepEqual(n2.lastFence, { at: confirmedAt, how: 'confirmed by operator' }, 'recorded for vigil status');
    assert.equal(startsElsewhere(c, lostAt, 'n2').length, 1, 'db started elsewhere once');
    assert.ok(!c.dc.transition?.actions.some((a) => a.task === 'fence' && a.state !== 'done'), 'no fencing left pending');
    assert.equal(c.fences.length, 0, 'no fence request was ever sent for n2');
  });

  it('a node whose fence device keeps failing: confirm ends the retries', () => {
    const DEVICE = `enabled: true
    devices:
      - { device: fence-lab, agent: fence_vigil_lab }`;
    const c = new MiniCluster(cibFromYaml(CLUSTER(DEVICE)), ['n1', 'n2', 'n3'], { fenceOk: () => false });
    c.runFor(5_000);
    const lostAt = c.now;
    c.crash('n2');
    c.runFor(30_000);
    assert.ok(c.fences.length >= 2, 'fencing retried');
    assert.deepEqual(startsElsewhere(c, lostAt, 'n2'), []);
    c.input({ type: 'fence-confirmed', now: c.now, node: 'n2' });
    const confirmedAt = c.now;
    c.runFor(30_000);
    assert.equal(startsElsewhere(c, lostAt, 'n2').length, 1);
    assert.ok(c.fences.filter((f) => f.at > confirmedAt + 1_000).length === 0, 'no more fence attempts');
  });

  it('confirming a node that is already down (it left cleanly) is accepted and changes nothing for its resources', () => {
    const c = new MiniCluster(cibFromYaml(CLUSTER(NO_DEVICE_FOR_N2)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    c.members = ['n1', 'n2'];
    c.input({ type: 'membership', now: c.now, members: ['n1', 'n2'], left: ['n3'] });
    c.runFor(5_000);
    assert.deepEqual(checkFenceConfirm(c.dc, 'n3'), { ok: true, pending: false });
    c.input({ type: 'fence-confirmed', now: c.now, node: 'n3' });
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('db'), ['n2']);
    assert.equal(c.cib.status.nodes.find((n) => n.name === 'n3')?.expected, 'down');
  });
});
