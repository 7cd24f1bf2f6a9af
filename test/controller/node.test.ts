import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyUpdates } from '../../src/controller/cib-state.js';
import { createNodeController, nodeStep, type NodeControllerState } from '../../src/controller/node.js';
import { transitionKey } from '../../src/controller/records.js';
import type { ExecuteRequest, NodeInput, NodeOutput } from '../../src/controller/types.js';
import { OpStatus, type Cib } from '../../src/model/cluster.js';
import { T0, cibFromYaml } from './harness.js';

function yaml(policy: string, fencing = 'enabled: false', extra = ''): string {
  return `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
    - { name: n3, addresses: [192.0.2.3] }
  no_quorum_policy: ${policy}
  fencing:
    ${fencing}
resources:
  - group: web
    members:
      - { primitive: vip, agent: builtin:dummy }
      - { primitive: site, agent: builtin:dummy }
  - primitive: solo
    agent: builtin:dummy
    meta: { is-managed: "false" }
  - clone: db
    promotable: true
    resource: { primitive: dbi, agent: builtin:dummy }
${extra}`;
}

/** n1 runs vip, site, solo (unmanaged) and a promoted db instance. */
function running(text: string): Cib {
  let call = 0;
  const rec = (operation: string) => ({ id: '', operation, callId: ++call, rc: 0, opStatus: OpStatus.Done, intervalMs: 0, transitionKey: transitionKey(call, 1, 0, 'n2') });
  return applyUpdates(cibFromYaml(text), [
    { kind: 'node-state', node: 'n1', state: 'joined' },
    { kind: 'operation-result', node: 'n1', rsc: 'vip', record: rec('start') },
    { kind: 'operation-result', node: 'n1', rsc: 'site', record: rec('start') },
    { kind: 'operation-result', node: 'n1', rsc: 'solo', record: rec('start') },
    { kind: 'operation-result', node: 'n1', rsc: 'dbi', record: rec('start') },
    { kind: 'operation-result', node: 'n1', rsc: 'dbi', record: rec('promote') },
  ]);
}

class Node {
  state: NodeControllerState;
  now = T0;
  out: Array<{ at: number; o: NodeOutput }> = [];
  wakeAt: number | null = null;
  /** Operations run by the test's stand-in executor, answered after `opMs`. */
  constructor(cib: Cib, readonly opMs = 200, readonly watchdogTimeoutMs?: number) {
    this.state = createNodeController({ self: 'n1', deadtimeMs: 1000, ...(watchdogTimeoutMs !== undefined ? { watchdogTimeoutMs } : {}) }, cib, this.now);
    this.step({ type: 'dc-contact', now: this.now, dc: 'n2' });
  }
  step(i: NodeInput): void {
    const r = nodeStep(this.state, i);
    this.state = r.state;
    this.wakeAt = r.wakeAt;
    for (const o of r.outputs) this.out.push({ at: i.now, o });
  }
  executes(): ExecuteRequest[] {
    return this.out.flatMap((x) => (x.o.type === 'execute' ? [x.o.request] : []));
  }
  /** Advance time, answering every local operation after opMs with success (stops: `stopRc`). */
  run(until: number, stopRc = 0): void {
    const answered = new Set<string>();
    while (true) {
      const pending = this.out.filter((x) => x.o.type === 'execute' && !answered.has((x.o as { request: ExecuteRequest }).request.userData));
      const nextOp = pending.length ? Math.min(...pending.map((x) => x.at + this.opMs)) : Infinity;
      const t = Math.min(nextOp, this.wakeAt ?? Infinity);
      if (t > until) { this.now = until; this.step({ type: 'tick', now: until }); return; }
      this.now = t;
      const due = pending.filter((x) => x.at + this.opMs <= t);
      if (due.length === 0) { this.step({ type: 'tick', now: t }); continue; }
      for (const x of due) {
        const req = (x.o as { request: ExecuteRequest }).request;
        answered.add(req.userData);
        this.step({ type: 'executed', now: t, result: { callId: 0, resource: req.resource, action: req.action, intervalMs: 0, rc: req.action === 'stop' ? stopRc : req.action === 'monitor' ? 7 : 0, opStatus: OpStatus.Done, userData: req.userData } });
      }
    }
  }
}

describe('node-local controller: no-quorum-policy', () => {
  it('stop: after deadtime without a quorate DC, stops managed resources in reverse group order, demoting first; unmanaged untouched', () => {
    const n = new Node(running(yaml('stop')));
    n.run(T0 + 900);
    assert.equal(n.executes().length, 0, 'nothing before deadtime');
    n.run(T0 + 10_000);
    const ops = n.executes().map((r) => `${r.action} ${r.resource}`);
    assert.ok(ops.indexOf('stop site') < ops.indexOf('stop vip'), ops.join(', '));
    assert.ok(ops.indexOf('demote dbi') >= 0 && ops.indexOf('demote dbi') < ops.indexOf('stop dbi'), ops.join(', '));
    assert.ok(!ops.some((o) => o.endsWith('solo')), 'unmanaged resource untouched');
    assert.deepEqual([...n.state.active.keys()], ['solo']);
    const stopSite = n.out.find((x) => x.o.type === 'execute' && x.o.request.resource === 'site')!;
    const stopVip = n.out.find((x) => x.o.type === 'execute' && x.o.request.resource === 'vip')!;
    assert.ok(stopVip.at >= stopSite.at + 200, 'vip stops after site finished');
  });

  it('demote: demotes promoted instances and stops everything else', () => {
    const n = new Node(running(yaml('demote')));
    n.run(T0 + 10_000);
    const ops = n.executes().map((r) => `${r.action} ${r.resource}`);
    assert.ok(ops.includes('demote dbi'));
    assert.ok(!ops.includes('stop dbi'));
    assert.ok(ops.includes('stop vip') && ops.includes('stop site'));
    assert.equal(n.state.active.get('dbi'), 'Unpromoted');
  });

  it('freeze and ignore keep everything running (ignore warns)', () => {
    for (const p of ['freeze', 'ignore']) {
      const n = new Node(running(yaml(p)));
      n.run(T0 + 10_000);
      assert.equal(n.executes().length, 0, p);
      assert.ok(n.out.some((x) => x.o.type === 'log' && x.o.line.level === 'warn' && x.o.line.message.includes(p)));
    }
  });

  it('suicide: self-fences as soon as quorum is lost', () => {
    const n = new Node(running(yaml('suicide')));
    n.run(T0 + 2_000);
    const sf = n.out.find((x) => x.o.type === 'self-fence');
    assert.ok(sf && sf.at >= T0 + 1000 && sf.at < T0 + 1100);
  });

  it('a node in maintenance touches nothing', () => {
    const cib = applyUpdates(running(yaml('stop')), [{ kind: 'node-attribute', node: 'n1', name: 'maintenance', value: 'true', lifetime: 'forever' }]);
    const n = new Node(cib);
    n.run(T0 + 10_000);
    assert.equal(n.executes().length, 0);
  });

  it('contact again before deadtime: nothing happens', () => {
    const n = new Node(running(yaml('stop')));
    for (let t = T0 + 500; t < T0 + 10_000; t += 500) n.step({ type: 'dc-contact', now: t, dc: 'n2' });
    assert.equal(n.executes().length, 0);
    assert.ok(!n.out.some((x) => x.o.type === 'quorum' && !x.o.have));
  });
});

describe('node-local controller: self-fencing', () => {
  const WD = 'enabled: true\n    watchdog_timeout: 5s';

  it('arms the watchdog to last contact + watchdog-timeout and disarms once everything managed is stopped', () => {
    const n = new Node(running(yaml('stop', WD)));
    const first = n.out.find((x) => x.o.type === 'watchdog');
    assert.ok(first && first.o.type === 'watchdog' && first.o.deadline === T0 + 5000);
    n.step({ type: 'dc-contact', now: T0 + 400, dc: 'n2' });
    assert.equal(n.state.watchdog, T0 + 5400);
    n.run(T0 + 20_000);
    assert.equal(n.state.watchdog, null, 'disarmed: only the unmanaged resource is left');
    assert.ok(!n.out.some((x) => x.o.type === 'self-fence'));
  });

  it('stops that do not finish by the deadline end in self-fence at the deadline', () => {
    const n = new Node(running(yaml('stop', WD)), 60_000);
    n.run(T0 + 20_000);
    const sf = n.out.find((x) => x.o.type === 'self-fence');
    assert.ok(sf, 'self-fenced');
    assert.equal(sf.at, T0 + 5000);
  });

  it('freeze with self-fencing keeps running until the deadline, then self-fences', () => {
    const n = new Node(running(yaml('freeze', WD)));
    n.run(T0 + 20_000);
    assert.equal(n.executes().length, 0);
    assert.equal(n.out.find((x) => x.o.type === 'self-fence')?.at, T0 + 5000);
  });
});

describe('node-local controller: probes', () => {
  it('probes every managed primitive on join and on a DC change, and reports the results', () => {
    const n = new Node(running(yaml('stop')));
    n.step({ type: 'joined', now: T0 + 10 });
    const probes = n.executes().filter((r) => r.action === 'monitor' && r.intervalMs === 0);
    assert.deepEqual(probes.map((p) => p.resource).sort(), ['dbi', 'site', 'vip']);
    assert.ok(probes.every((p) => p.targetRc === 7));
    n.step({ type: 'executed', now: T0 + 20, result: { callId: 9, resource: 'vip', action: 'monitor', intervalMs: 0, rc: 7, opStatus: OpStatus.Done, userData: probes.find((p) => p.resource === 'vip')!.userData } });
    assert.ok(n.out.some((x) => x.o.type === 'report' && x.o.result.resource === 'vip'));
    assert.ok(!n.state.active.has('vip'));
    n.step({ type: 'dc-changed', now: T0 + 30, dc: 'n3' });
    assert.equal(n.executes().filter((r) => r.action === 'monitor').length, 6);
  });
});

describe('node-local controller: which DC requests may run', () => {
  it('no start or promote without quorum, never on maintenance or unmanaged; stops and probes always', async () => {
    const { mayRun } = await import('../../src/controller/node.js');
    const n = new Node(running(yaml('stop')));
    const start = { resource: 'vip', action: 'start', intervalMs: 0 };
    assert.equal(mayRun(n.state, start, T0 + 100).ok, true);
    assert.equal(mayRun(n.state, start, T0 + 5_000).ok, false, 'no quorum');
    assert.equal(mayRun(n.state, { ...start, action: 'stop' }, T0 + 5_000).ok, true);
    assert.equal(mayRun(n.state, { resource: 'solo', action: 'stop', intervalMs: 0 }, T0 + 100).ok, false, 'unmanaged');
    assert.equal(mayRun(n.state, { resource: 'solo', action: 'monitor', intervalMs: 0 }, T0 + 100).ok, true, 'probe of unmanaged');
    const ign = new Node(running(yaml('ignore')));
    assert.equal(mayRun(ign.state, start, T0 + 5_000).ok, true, 'ignore carries on');
    const maint = new Node(applyUpdates(running(yaml('stop')), [{ kind: 'node-attribute', node: 'n1', name: 'maintenance', value: 'on' }]));
    assert.equal(mayRun(maint.state, { ...start, action: 'stop' }, T0 + 100).ok, false, 'maintenance');
  });
});
