/**
 * The self-fencing contract end to end: the DC controller and the partitioned node's own
 * node-local controller, side by side in virtual time. The node stops (or kills) its resources
 * within watchdog-timeout of its last contact; the DC recovers them only watchdog-timeout after
 * it lost the node. The resource must never be active on two nodes at once — unless the DC's
 * wait is switched off (the planted bug), which this test must then catch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeController, nodeStep, type NodeControllerState } from '../../src/controller/node.js';
import { OpStatus } from '../../src/model/cluster.js';
import { MiniCluster, cibFromYaml } from './harness.js';

const YAML = (policy: string) => `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
    - { name: n3, addresses: [192.0.2.3] }
  no_quorum_policy: ${policy}
  fencing:
    enabled: true
    watchdog_timeout: 5s
resources:
  - group: web
    members:
      - { primitive: vip, agent: builtin:dummy, ops: [ { name: monitor, interval: 10s } ] }
      - { primitive: site, agent: builtin:dummy, ops: [ { name: monitor, interval: 10s } ] }
constraints:
  - { location: web, node: n2, score: 50 }
`;

interface Outcome { overlap: number; selfFencedAt?: number; recoveredAt?: number; partitionAt: number }

function partition(policy: string, stopMs: number, skipWatchdogWait: boolean): Outcome {
  const DEADTIME = 1000;
  const c = new MiniCluster(cibFromYaml(YAML(policy)), ['n1', 'n2', 'n3'], { dc: { skipWatchdogWait } });
  c.runFor(5_000);
  assert.deepEqual(c.activeOn('vip'), ['n2']);
  let node: NodeControllerState = createNodeController({ self: 'n2', deadtimeMs: DEADTIME }, c.cib, c.now);
  const pendingStops: Array<{ at: number; resource: string; action: string; userData: string }> = [];
  const out: Outcome = { overlap: 0, partitionAt: c.now + 2_000 };
  const feed = (input: Parameters<typeof nodeStep>[1]): void => {
    const r = nodeStep(node, input);
    node = r.state;
    for (const o of r.outputs) {
      if (o.type === 'execute') pendingStops.push({ at: input.now + stopMs, resource: o.request.resource, action: o.request.action, userData: o.request.userData });
      if (o.type === 'self-fence') { out.selfFencedAt ??= input.now; c.reality.set('n2', new Map()); }
    }
  };
  let lost = false;
  for (let t = c.now; t < out.partitionAt + 30_000; t += 50) {
    c.runUntil(t);
    if (t < out.partitionAt) feed({ type: 'dc-contact', now: t, dc: 'n1' });
    else if (!lost && t >= out.partitionAt + DEADTIME) {
      // The DC's membership declares n2 dead after deadtime of silence; its requests no longer arrive.
      lost = true;
      c.down.add('n2');
      c.members = ['n1', 'n3'];
      c.input({ type: 'membership', now: t, members: c.members });
    }
    for (const p of pendingStops.filter((x) => x.at <= t)) {
      pendingStops.splice(pendingStops.indexOf(p), 1);
      if (out.selfFencedAt !== undefined) continue;
      if (p.action === 'stop') c.reality.get('n2')!.delete(p.resource);
      feed({ type: 'executed', now: t, result: { callId: 0, resource: p.resource, action: p.action, intervalMs: 0, rc: 0, opStatus: OpStatus.Done, userData: p.userData } });
    }
    feed({ type: 'tick', now: t });
    for (const r of ['vip', 'site']) if (c.activeOn(r).length > 1) out.overlap++;
    if (out.recoveredAt === undefined && ['n1', 'n3'].some((n) => c.reality.get(n)!.has('vip'))) out.recoveredAt = t;
  }
  return out;
}

describe('self-fencing contract (DC and partitioned node together)', () => {
  it('policy stop, quick stops: the node stops its group, the DC recovers it after watchdog-timeout, never twice', () => {
    const o = partition('stop', 300, false);
    assert.equal(o.overlap, 0);
    assert.equal(o.selfFencedAt, undefined, 'no need to self-fence');
    assert.ok(o.recoveredAt !== undefined && o.recoveredAt >= o.partitionAt + 1000 + 5000);
  });

  it('hung stops: the node self-fences at its deadline, before the DC recovers', () => {
    const o = partition('stop', 600_000, false);
    assert.equal(o.overlap, 0);
    assert.ok(o.selfFencedAt !== undefined && o.selfFencedAt <= o.partitionAt + 5_000);
    assert.ok(o.recoveredAt !== undefined);
  });

  it('policy freeze: keeps running until the deadline, self-fences, then the DC recovers', () => {
    const o = partition('freeze', 300, false);
    assert.equal(o.overlap, 0);
    assert.ok(o.selfFencedAt !== undefined);
    assert.ok(o.recoveredAt !== undefined && o.recoveredAt > o.selfFencedAt);
  });

  it('the planted bug (DC skips the watchdog wait) is caught: the group runs twice', () => {
    const o = partition('stop', 600_000, true);
    assert.ok(o.overlap > 0, 'the overlap this test exists to detect');
  });
});
