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

describe('node-local controller: the two-node fence race', () => {
  const TWO = (fencing = `enabled: true
    devices:
      - { device: power, agent: fence_sim, hosts: [n1, n2] }`) => `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
  quorum: { two_node: true, wait_for_all: true }
  no_quorum_policy: stop
  fencing:
    ${fencing}
resources:
  - group: web
    members:
      - { primitive: vip, agent: builtin:dummy }
      - { primitive: site, agent: builtin:dummy }
`;
  /** n1 runs vip and site. */
  const twoRunning = (text: string): Cib => {
    let call = 0;
    const rec = (operation: string) => ({ id: '', operation, callId: ++call, rc: 0, opStatus: OpStatus.Done, intervalMs: 0, transitionKey: transitionKey(call, 1, 0, 'n2') });
    return applyUpdates(cibFromYaml(text), [
      { kind: 'node-state', node: 'n1', state: 'joined' },
      { kind: 'operation-result', node: 'n1', rsc: 'vip', record: rec('start') },
      { kind: 'operation-result', node: 'n1', rsc: 'site', record: rec('start') },
    ]);
  };
  const DELAY = 3000;
  const TWO_NODE = { twoNode: true, voters: ['n1', 'n2'] };

  /** n1, in contact with the DC n2 until T0; n2 is gone from the membership at T0 + 500 (deadtime: 1 s). */
  class Racer extends Node {
    constructor(cib: Cib, quorum: { twoNode: boolean; voters: string[] } | null = TWO_NODE, peerGone = true) {
      super(cib);
      this.state = createNodeController({ self: 'n1', deadtimeMs: 1000, fenceDelayMs: { n2: DELAY }, fenceRetryMs: 5000, ...(quorum ? { quorum } : {}) }, cib, T0);
      this.out = [];
      this.step({ type: 'dc-contact', now: T0, dc: 'n2' });
      this.step({ type: 'membership', now: T0, members: ['n1', 'n2'] });
      if (peerGone) this.step({ type: 'membership', now: T0 + 500, members: ['n1'] });
    }
    fences() { return this.out.flatMap((x) => (x.o.type === 'fence' ? [{ at: x.at, req: x.o.request }] : [])); }
    stops() { return this.executes().filter((r) => r.action === 'stop'); }
    answer(ok: boolean, at: number, reason?: string) {
      const f = this.fences().at(-1)!;
      this.step({ type: 'fence-result', now: at, node: 'n2', key: f.req.key, ok, ...(reason ? { reason } : {}) });
    }
  }

  it('fences the lost peer with its devices after its fence delay, holding no-quorum-policy meanwhile', () => {
    const n = new Racer(twoRunning(TWO()));
    n.run(T0 + 1000 + DELAY + 500);
    const f = n.fences();
    assert.equal(f.length, 1);
    assert.equal(f[0].at, T0 + 1000 + DELAY, 'quorum lost at T0 + deadtime, then the delay for n2');
    assert.equal(f[0].req.node, 'n2');
    assert.equal(f[0].req.method, 'device');
    assert.deepEqual(f[0].req.levels.map((l) => l.map((d) => d.device)), [['power']]);
    assert.deepEqual(n.stops(), [], 'no-quorum-policy held while the race is pending');
    assert.deepEqual([...n.state.active.keys()].sort(), ['site', 'vip']);
  });

  it('the quorum-loss log says what happens: the policy held for the race, or applied', () => {
    const lines = (x: Node) => x.out.flatMap((o) => (o.o.type === 'log' ? [o.o.line.message] : []));
    const n = new Racer(twoRunning(TWO()));
    n.run(T0 + 1500);
    const l = lines(n);
    const loss = l.findIndex((m) => m.startsWith('no contact with a quorate DC'));
    assert.match(l[loss], /: no-quorum-policy=stop held while this node fences n2 \(two-node fence race\)$/);
    assert.ok(loss < l.findIndex((m) => m.includes('n2 is gone and this node has no quorum')), 'the quorum loss is logged first');
    assert.ok(!l.some((m) => m.includes('applying no-quorum-policy')));
    const plain = new Racer(twoRunning(TWO('enabled: false')));
    plain.run(T0 + 1500);
    assert.ok(lines(plain).some((m) => /^no contact with a quorate DC for \d+ ms: applying no-quorum-policy=stop$/.test(m)));
  });

  it('after winning: nothing stopped, the peer reported fenced for the DC until it is back; quorum ends the race', async () => {
    const { fencedByRace } = await import('../../src/controller/node.js');
    const n = new Racer(twoRunning(TWO()));
    n.run(T0 + 1000 + DELAY + 100);
    n.answer(true, T0 + 1000 + DELAY + 300);
    assert.deepEqual(fencedByRace(n.state), ['n2']);
    n.run(T0 + 1000 + DELAY + 1500);
    assert.deepEqual(n.stops(), []);
    n.step({ type: 'dc-contact', now: n.now, dc: 'n1' });
    assert.equal(n.state.race, null, 'quorate (this node is DC): the race is over');
    for (const end = n.now + 20_000; n.now < end;) n.step({ type: 'dc-contact', now: n.now += 500, dc: 'n1' });
    assert.deepEqual(n.stops(), [], 'quorate: no policy');
    assert.deepEqual(fencedByRace(n.state), ['n2'], 'still gone');
    n.step({ type: 'membership', now: n.now, members: ['n1', 'n2'] });
    assert.deepEqual(fencedByRace(n.state), [], 'back (rebooted): forgotten');
    assert.equal(n.fences().length, 1);
  });

  it('a failed fence applies no-quorum-policy, then retries after the back-off', () => {
    const n = new Racer(twoRunning(TWO()));
    n.run(T0 + 1000 + DELAY + 100);
    n.answer(false, T0 + 1000 + DELAY + 200, 'device error');
    n.run(T0 + 1000 + DELAY + 2000);
    assert.deepEqual(n.stops().map((r) => r.resource), ['site', 'vip'], 'policy stop, group in reverse order');
    n.run(T0 + 1000 + DELAY + 200 + 5000);
    assert.equal(n.fences().length, 2, 'retried after fenceRetryMs');
    assert.equal(n.fences()[1].at, T0 + 1000 + DELAY + 200 + 5000);
    assert.notEqual(n.fences()[1].req.key, n.fences()[0].req.key);
  });

  it('a fence that never answers counts as failed after stonith-timeout plus a grace', () => {
    const n = new Racer(twoRunning(TWO()));
    n.run(T0 + 1000 + DELAY + 60_000 + 9_000);
    assert.deepEqual(n.stops(), [], 'held while the fence may still land');
    n.run(T0 + 1000 + DELAY + 60_000 + 12_000);
    assert.ok(n.stops().length > 0, 'policy applied once the fence is given up');
  });

  it('the peer coming back before the delay is over calls the race off', () => {
    const n = new Racer(twoRunning(TWO()));
    n.run(T0 + 2000);
    assert.ok(n.state.race);
    n.step({ type: 'membership', now: T0 + 2000, members: ['n1', 'n2'] });
    n.run(T0 + 10_000);
    assert.deepEqual(n.fences(), []);
    assert.ok(n.stops().length > 0, 'still no quorum: policy applies (as before the race existed)');
  });

  it('no race: with a witness, with three voters, without two_node, with fencing disabled, without a device for the peer, while the peer is up, after a clean leave, or before any contact', () => {
    const cases: Array<[string, () => Racer]> = [
      ['witness', () => new Racer(twoRunning(TWO()), { twoNode: true, voters: ['n1', 'n2', 'witness'] })],
      ['three voters', () => new Racer(twoRunning(TWO()), { twoNode: true, voters: ['n1', 'n2', 'n3'] })],
      ['two_node off', () => new Racer(twoRunning(TWO()), { twoNode: false, voters: ['n1', 'n2'] })],
      ['no quorum option', () => new Racer(twoRunning(TWO()), null)],
      ['fencing disabled', () => new Racer(twoRunning(TWO('enabled: false')))],
      ['no device for n2', () => new Racer(twoRunning(TWO(`enabled: true
    devices:
      - { device: power, agent: fence_sim, hosts: [n1] }`)))],
      ['peer up', () => new Racer(twoRunning(TWO()), TWO_NODE, false)],
      ['clean leave', () => { const r = new Racer(twoRunning(TWO()), TWO_NODE, false); r.step({ type: 'membership', now: T0 + 500, members: ['n1'], left: ['n2'] }); return r; }],
    ];
    for (const [name, make] of cases) {
      const n = make();
      n.run(T0 + 20_000);
      assert.deepEqual(n.fences(), [], name);
      assert.ok(n.stops().length > 0, `${name}: no-quorum-policy applies`);
    }
    // Never in contact with a quorate DC since it started (booted alone): no race, as wait_for_all.
    const cold = new Node(twoRunning(TWO()));
    cold.state = createNodeController({ self: 'n1', deadtimeMs: 1000, quorum: TWO_NODE }, twoRunning(TWO()), T0);
    cold.out = [];
    cold.step({ type: 'membership', now: T0, members: ['n1'] });
    cold.run(T0 + 20_000);
    assert.ok(!cold.out.some((x) => x.o.type === 'fence'), 'cold start');
  });
});
