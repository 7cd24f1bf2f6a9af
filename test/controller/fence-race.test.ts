/**
 * The DC's side of the two-node fence race: a node that fenced its peer itself (its node-local
 * controller won the race, before any DC existed) becomes DC and passes the peer in the
 * membership's `fenced`; the DC records it fenced and recovers its resources without fencing it
 * a second time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDc } from '../../src/controller/dc.js';
import { MiniCluster, cibFromYaml } from './harness.js';

const TWO = `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
  quorum: { two_node: true, wait_for_all: true }
  fencing:
    enabled: true
    devices:
      - { device: power, agent: fence_sim, hosts: [n1, n2] }
resources:
  - primitive: db
    agent: builtin:dummy
    ops: [ { name: monitor, interval: 10s } ]
constraints:
  - { location: db, node: n2, score: 50 }
`;

/** db runs on n2 with n2 as DC; n2 dies; n1 (which fenced it) becomes DC. */
function survivorBecomesDc(fenced: string[] | undefined): MiniCluster {
  const c = new MiniCluster(cibFromYaml(TWO), ['n2', 'n1']);
  c.runFor(5_000);
  assert.deepEqual(c.activeOn('db'), ['n2']);
  c.down.add('n2');
  c.reality.set('n2', new Map());
  c.members = ['n1'];
  c.dc = createDc({ self: 'n1' }, c.cib, c.now, true);
  c.input({ type: 'membership', now: c.now, members: ['n1'], ...(fenced ? { fenced } : {}) });
  return c;
}

describe('DC controller: a peer fenced by this node in the two-node fence race', () => {
  it('is recorded fenced at once and its resources recovered, without a second fence', () => {
    const c = survivorBecomesDc(['n2']);
    const proposals = c.outputs.flatMap((o) => (o.type === 'propose' ? [o.update] : []));
    assert.ok(proposals.some((u) => u.kind === 'node-state' && u.node === 'n2' && u.state === 'fenced'), 'recorded fenced');
    assert.ok(!c.dc.unsafe.has('n2'));
    c.runFor(10_000);
    assert.deepEqual(c.fences, [], 'not fenced again');
    assert.deepEqual(c.activeOn('db'), ['n1']);
    // Told again with every membership report while the peer is away: nothing more happens.
    const before = c.outputs.length;
    c.input({ type: 'membership', now: c.now, members: ['n1'], fenced: ['n2'] });
    assert.ok(!c.outputs.slice(before).some((o) => o.type === 'propose'));
  });

  it('without it the DC fences the peer itself (the case it avoids)', () => {
    const c = survivorBecomesDc(undefined);
    c.runFor(10_000);
    assert.deepEqual(c.fences.map((f) => f.req.node), ['n2']);
    assert.deepEqual(c.activeOn('db'), ['n1']);
  });

  it('a peer that is a member again is not recorded fenced', () => {
    const c = new MiniCluster(cibFromYaml(TWO), ['n1', 'n2']);
    c.runFor(5_000);
    const before = c.outputs.length;
    c.input({ type: 'membership', now: c.now, members: ['n1', 'n2'], fenced: ['n2'] });
    assert.ok(!c.outputs.slice(before).some((o) => o.type === 'propose'));
    assert.deepEqual(c.activeOn('db'), ['n2']);
  });
});
