/**
 * The self-fencing contract end to end: the DC controller and the partitioned node's own
 * node-local controller, side by side in virtual time. The node stops (or kills) its resources
 * within watchdog-timeout of its last contact; the DC recovers them only watchdog-timeout after
 * it lost the node. The resource must never be active on two nodes at once — unless the DC's
 * wait is switched off (the planted bug), which this test must then catch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createNodeController, nodeStep, type NodeControllerState } from '../../src/controller/node.js';
import { OpStatus } from '../../src/model/cluster.js';
import { MiniCluster, cibFromYaml } from './harness.js';

const YAML = (policy: string, wdMs = 5000) => `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
    - { name: n3, addresses: [192.0.2.3] }
  no_quorum_policy: ${policy}
  fencing:
    enabled: true
    watchdog_timeout: ${wdMs}ms
resources:
  - group: web
    members:
      - { primitive: vip, agent: builtin:dummy, ops: [ { name: monitor, interval: 10s } ] }
      - { primitive: site, agent: builtin:dummy, ops: [ { name: monitor, interval: 10s } ] }
constraints:
  - { location: web, node: n2, score: 50 }
`;

interface Outcome { overlap: number; selfFencedAt?: number; recoveredAt?: number; partitionAt: number }

interface Shape { deadtimeMs?: number; watchdogMs?: number; contactEveryMs?: number; detectExtraMs?: number; partitionAfterMs?: number }

function partition(policy: string, stopMs: number, skipWatchdogWait: boolean, shape: Shape = {}): Outcome {
  const DEADTIME = shape.deadtimeMs ?? 1000;
  const c = new MiniCluster(cibFromYaml(YAML(policy, shape.watchdogMs)), ['n1', 'n2', 'n3'], { dc: { skipWatchdogWait } });
  c.runFor(5_000);
  assert.deepEqual(c.activeOn('vip'), ['n2']);
  let node: NodeControllerState = createNodeController({ self: 'n2', deadtimeMs: DEADTIME }, c.cib, c.now);
  const pendingStops: Array<{ at: number; resource: string; action: string; userData: string }> = [];
  const out: Outcome = { overlap: 0, partitionAt: c.now + (shape.partitionAfterMs ?? 2_000) };
  const every = shape.contactEveryMs ?? 50;
  let lastContact = -Infinity;
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
    if (t < out.partitionAt && t - lastContact >= every) { lastContact = t; feed({ type: 'dc-contact', now: t, dc: 'n1' }); }
    else if (!lost && t >= out.partitionAt + DEADTIME + (shape.detectExtraMs ?? 0)) {
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

describe('self-fencing contract: properties', () => {
  it('whatever the policy, stop times, timings and partition moment, the group never runs twice', () => {
    fc.assert(fc.property(
      fc.constantFrom('stop', 'demote', 'freeze', 'ignore', 'suicide'),
      fc.oneof(fc.integer({ min: 50, max: 3_000 }), fc.constant(600_000)),
      fc.integer({ min: 500, max: 3_000 }),
      fc.integer({ min: 2_000, max: 9_000 }),
      fc.integer({ min: 50, max: 400 }),
      fc.integer({ min: 0, max: 1_000 }),
      fc.integer({ min: 0, max: 3_000 }),
      (policy, stopMs, deadtimeMs, watchdogMs, contactEveryMs, detectExtraMs, partitionAfterMs) => {
        const o = partition(policy, stopMs, false, { deadtimeMs, watchdogMs, contactEveryMs, detectExtraMs, partitionAfterMs });
        assert.equal(o.overlap, 0);
        assert.ok(o.recoveredAt !== undefined, 'recovered once the wait is over');
      },
    ), { numRuns: Number(process.env.PROP_RUNS ?? 25) });
  });
});

