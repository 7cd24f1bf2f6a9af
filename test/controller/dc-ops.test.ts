import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OcfRc } from '../../src/model/cluster.js';
import { MiniCluster, cibFromYaml } from './harness.js';

const NODES = `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
    - { name: n3, addresses: [192.0.2.3] }
  fencing: { enabled: false }
`;

const PROMOTABLE = `${NODES}
resources:
  - clone: db
    promotable: true
    resource:
      primitive: dbi
      agent: builtin:dummy
      ops:
        - { name: monitor, interval: 10s, role: Promoted }
        - { name: monitor, interval: 11s, role: Unpromoted }
constraints:
  - { location: db, node: n2, score: 100, role: Promoted }
`;

const SINGLE = `${NODES}
resources:
  - primitive: app
    agent: builtin:dummy
    ops: [ { name: monitor, interval: 10s } ]
constraints:
  - { location: app, node: n2, score: 50 }
`;

/** Instances in reality per role. */
function roles(c: MiniCluster, rsc: string): string[] {
  return [...c.reality].flatMap(([n, m]) => (m.has(rsc) ? [`${n}:${m.get(rsc)}`] : [])).sort();
}

describe('DC controller: operations', () => {
  it('a promotable clone: starts everywhere, promotes one, with role-specific monitors', () => {
    const c = new MiniCluster(cibFromYaml(PROMOTABLE), ['n1', 'n2', 'n3']);
    c.runFor(10_000);
    assert.deepEqual(roles(c, 'dbi'), ['n1:Started', 'n2:Promoted', 'n3:Started']);
    const promote = c.dispatched.find((d) => d.req.action === 'promote')!;
    assert.equal(promote.req.node, 'n2');
    assert.equal(promote.req.meta.promotable, 'true');
    assert.equal(promote.req.cancelRecurring, true);
    const mons = c.dispatched.filter((d) => d.req.intervalMs > 0);
    assert.ok(mons.some((m) => m.req.node === 'n2' && m.req.intervalMs === 10_000 && m.req.targetRc === OcfRc.RunningPromoted));
    assert.ok(mons.some((m) => m.req.node === 'n1' && m.req.intervalMs === 11_000 && m.req.targetRc === OcfRc.Success));
    assert.equal(c.dc.transition, null, 'idle afterwards');
  });

  it('a failed promoted instance is recovered (demote/stop, start, promote again)', () => {
    const c = new MiniCluster(cibFromYaml(PROMOTABLE), ['n1', 'n2', 'n3']);
    c.runFor(10_000);
    const before = c.dispatched.length;
    c.monitorFails('n2', 'dbi', OcfRc.FailedPromoted);
    c.runFor(10_000);
    const after = c.dispatched.slice(before).filter((d) => d.req.intervalMs === 0).map((d) => `${d.req.action}@${d.req.node}`);
    assert.ok(after.includes('stop@n2'), after.join(' '));
    assert.equal(roles(c, 'dbi').filter((r) => r.endsWith('Promoted')).length, 1);
  });

  it('a move constraint committed from outside replans: the resource moves', () => {
    const c = new MiniCluster(cibFromYaml(SINGLE), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('app'), ['n2']);
    c.input({ type: 'committed', now: c.now, update: { kind: 'constraint-add', constraint: { kind: 'location', id: 'cli-prefer-app', rsc: 'app', node: 'n3', score: 1_000_000, rules: [] } } });
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('app'), ['n3']);
    const stop = c.completed.find((d) => d.req.action === 'stop' && d.req.node === 'n2')!;
    const start = c.dispatched.find((d) => d.req.action === 'start' && d.req.node === 'n3')!;
    assert.ok(start.at >= stop.at, 'stopped on n2 before starting on n3');
  });

  it('standby (a permanent node attribute) drains the node', () => {
    const c = new MiniCluster(cibFromYaml(SINGLE), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: 'n2', name: 'standby', value: 'on', lifetime: 'forever' } });
    c.runFor(5_000);
    assert.equal(c.activeOn('app').length, 1);
    assert.notEqual(c.activeOn('app')[0], 'n2');
  });

  it('on-fail=standby: after the failure the node runs nothing (the scheduler keeps it in standby while the failure is recorded)', () => {
    const yaml = SINGLE.replace('ops: [ { name: monitor, interval: 10s } ]', 'ops: [ { name: monitor, interval: 10s, on_fail: standby } ]');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    c.monitorFails('n2', 'app');
    c.runFor(5_000);
    assert.equal(c.activeOn('app').length, 1);
    assert.notEqual(c.activeOn('app')[0], 'n2');
  });

  it('on-fail=ignore: the failure is recorded but not counted, nothing is restarted', () => {
    const yaml = SINGLE.replace('ops: [ { name: monitor, interval: 10s } ]', 'ops: [ { name: monitor, interval: 10s, on_fail: ignore } ]');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const before = c.dispatched.length;
    c.monitorFails('n2', 'app', OcfRc.Error);
    c.runFor(5_000);
    assert.equal(c.dispatched.slice(before).filter((d) => d.req.intervalMs === 0).length, 0);
    assert.equal(c.cib.status.nodes.find((n) => n.name === 'n2')!.transientAttributes['fail-count-app#monitor_10000'], undefined);
  });

  it('cleanup forgets the failure, probes again and lets the resource return', () => {
    const yaml = SINGLE.replace('location: app, node: n2, score: 50', 'location: app, node: n2, score: 50 }\n  - { location: app, node: n1, score: 20').replace('agent: builtin:dummy', 'agent: builtin:dummy\n    meta: { migration-threshold: 1 }');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    c.monitorFails('n2', 'app');
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('app'), ['n1']);
    const before = c.dispatched.length;
    c.input({ type: 'committed', now: c.now, update: { kind: 'resource-cleanup', rsc: 'app' } });
    c.runFor(5_000);
    const probes = c.dispatched.slice(before).filter((d) => d.req.action === 'monitor' && d.req.intervalMs === 0);
    assert.equal(probes.length, 3, 'probed on every node again');
    assert.deepEqual(c.activeOn('app'), ['n2'], 'back on its preferred node');
  });

  it('a node that joins is probed before anything is placed on it', () => {
    const c = new MiniCluster(cibFromYaml(SINGLE), ['n1', 'n3']);
    c.runFor(5_000);
    assert.equal(c.activeOn('app').length, 1);
    const before = c.dispatched.length;
    c.members = ['n1', 'n2', 'n3'];
    c.reality.set('n2', new Map());
    c.input({ type: 'membership', now: c.now, members: c.members });
    c.runFor(5_000);
    const seq = c.dispatched.slice(before).filter((d) => d.req.intervalMs === 0).map((d) => `${d.req.action}@${d.req.node}`);
    assert.equal(seq[0], 'monitor@n2');
    assert.ok(seq.indexOf('start@n2') > seq.indexOf('monitor@n2'));
    assert.deepEqual(c.activeOn('app'), ['n2']);
  });

  it('a local probe that finds a resource running where the CIB says stopped makes the DC replan (multiply active → stop one)', () => {
    const c = new MiniCluster(cibFromYaml(SINGLE), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    c.reality.get('n3')!.set('app', 'Started');
    c.input({ type: 'action-result', now: c.now, node: 'n3', result: { callId: 999, resource: 'app', action: 'monitor', intervalMs: 0, rc: 0, opStatus: 0, userData: 'lp1:0:7:n3' } });
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('app'), ['n2']);
  });

  it('a local probe that finds a promoted instance unpromoted makes the DC replan and promote it again', () => {
    // vigil sim --whole seeds 356, 1763: no-quorum-policy=demote demoted dbi on n2 while no DC
    // could hear it; after the cut, n2's probe found it running unpromoted (rc 0).
    const c = new MiniCluster(cibFromYaml(PROMOTABLE), ['n1', 'n2', 'n3']);
    c.runFor(10_000);
    assert.deepEqual(roles(c, 'dbi'), ['n1:Started', 'n2:Promoted', 'n3:Started']);
    // The promoted monitor's first result is on record (rc 8), as an executor reports it.
    const mon = c.dispatched.find((d) => d.req.node === 'n2' && d.req.resource === 'dbi' && d.req.intervalMs > 0 && d.req.targetRc === OcfRc.RunningPromoted)!;
    c.input({ type: 'action-result', now: c.now, node: 'n2', result: { callId: 500, resource: 'dbi', action: 'monitor', intervalMs: mon.req.intervalMs, rc: OcfRc.RunningPromoted, opStatus: 0, userData: mon.req.userData } });
    c.runFor(1_000);
    c.reality.get('n2')!.set('dbi', 'Started');
    const before = c.dispatched.length;
    c.input({ type: 'action-result', now: c.now, node: 'n2', result: { callId: 999, resource: 'dbi', action: 'monitor', intervalMs: 0, rc: OcfRc.Success, opStatus: 0, userData: 'lp1:0:7:n2' } });
    c.runFor(5_000);
    const hist = c.cib.status.nodes.find((n) => n.name === 'n2')!.history.find((h) => h.rsc === 'dbi')!;
    assert.ok(!hist.ops.some((o) => o.intervalMs > 0 && o.rc === OcfRc.RunningPromoted && o.callId < 999), 'the promoted monitor recorded before the probe is gone');
    assert.ok(c.dispatched.slice(before).some((d) => d.req.action === 'promote' && d.req.node === 'n2'), 'promoted again');
    assert.deepEqual(roles(c, 'dbi'), ['n1:Started', 'n2:Promoted', 'n3:Started']);
  });

  it('a local probe that finds an instance promoted where the DC believed it unpromoted makes the DC replan', () => {
    const c = new MiniCluster(cibFromYaml(PROMOTABLE), ['n1', 'n2', 'n3']);
    c.runFor(10_000);
    c.reality.get('n1')!.set('dbi', 'Promoted');
    const before = c.dispatched.length;
    c.input({ type: 'action-result', now: c.now, node: 'n1', result: { callId: 999, resource: 'dbi', action: 'monitor', intervalMs: 0, rc: OcfRc.RunningPromoted, opStatus: 0, userData: 'lp1:0:7:n1' } });
    c.runFor(5_000);
    assert.ok(c.dispatched.slice(before).some((d) => d.req.action === 'demote' && d.req.node === 'n1'), 'the extra promoted instance is demoted');
    assert.equal(roles(c, 'dbi').filter((r) => r.endsWith('Promoted')).length, 1);
  });
});

describe('DC controller: on-fail=fence', () => {
  const yaml = (fencing: string) => SINGLE.replace('fencing: { enabled: false }', `fencing:\n    ${fencing}`)
    .replace('ops: [ { name: monitor, interval: 10s } ]', 'ops: [ { name: monitor, interval: 10s, on_fail: fence } ]');

  it('with a device: the node is fenced, then the resource is recovered elsewhere', () => {
    const c = new MiniCluster(cibFromYaml(yaml('enabled: true\n    devices:\n      - { device: fence-lab, agent: fence_vigil_lab }')), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('app'), ['n2']);
    c.monitorFails('n2', 'app', OcfRc.Error);
    c.runFor(10_000);
    const fence = c.fences.find((f) => f.req.node === 'n2');
    assert.ok(fence && fence.req.method === 'device');
    const start = c.dispatched.find((d) => d.req.action === 'start' && d.at > fence.at);
    assert.ok(start && start.req.node !== 'n2' && start.at >= c.fencedAt.get('n2')!);
  });

  it('watchdog only: the node is asked to self-fence and the DC waits watchdog-timeout', () => {
    const c = new MiniCluster(cibFromYaml(yaml('enabled: true\n    watchdog_timeout: 6s')), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const failedAt = c.now;
    c.monitorFails('n2', 'app', OcfRc.Error);
    c.runFor(2_000);
    const ask = c.fences.find((f) => f.req.node === 'n2');
    assert.ok(ask && ask.req.method === 'watchdog', 'self-fence requested');
    assert.ok(ask.at < failedAt + 1_000);
    // The node obeys: it dies.
    c.crash('n2');
    c.reality.set('n2', new Map());
    c.runFor(10_000);
    const start = c.dispatched.find((d) => d.req.action === 'start' && d.at > failedAt);
    assert.ok(start && start.at >= failedAt + 6_000, 'recovered only after watchdog-timeout');
  });
});

describe('DC controller: a new DC', () => {
  it('probes every member first, so a start the old DC left in flight is found before anything moves', () => {
    const c = new MiniCluster(cibFromYaml(SINGLE.replace('location: app, node: n2', 'location: app, node: n3')), ['n1', 'n2', 'n3'], { duration: (r) => (r.action === 'start' ? 5_000 : 100) });
    c.runFor(1_000);
    const start = c.dispatched.find((d) => d.req.action === 'start');
    assert.ok(start && start.req.node === 'n3', 'start in flight on n3');
    c.failover('n2');
    // The operator moves it meanwhile: the new DC must stop it on n3 before starting it on n2.
    c.input({ type: 'committed', now: c.now, update: { kind: 'constraint-add', constraint: { kind: 'location', id: 'cli-prefer-app', rsc: 'app', node: 'n2', score: 1_000_000, rules: [] } } });
    let worst = 0;
    for (let i = 0; i < 200; i++) {
      c.runFor(100);
      worst = Math.max(worst, c.activeOn('app').filter((n) => !c.down.has(n)).length);
    }
    assert.equal(worst, 1, 'never active on two nodes');
    assert.deepEqual(c.activeOn('app'), ['n2']);
    assert.ok(c.completed.some((d) => d.req.node === 'n3' && d.req.action === 'stop'), 'stopped where the old DC had started it');
  });
});

describe('DC controller: configuration changes', () => {
  it('a resource removed from the configuration while running is stopped with its recorded agent and parameters', () => {
    const yaml = SINGLE.replace('agent: builtin:dummy', 'agent: builtin:dummy\n    params: { state: /tmp/x }');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('app'), ['n2']);
    const without = { ...c.cib.config, resources: [], constraints: [] };
    c.input({ type: 'committed', now: c.now, update: { kind: 'config', config: without } });
    c.runFor(5_000);
    const stop = c.dispatched.find((d) => d.req.action === 'stop' && d.req.resource === 'app');
    assert.ok(stop, 'orphan stopped');
    assert.deepEqual([stop.req.agent, stop.req.params], [{ class: 'builtin', type: 'dummy' }, { state: '/tmp/x' }]);
    assert.deepEqual(c.activeOn('app'), []);
  });
});

describe('DC controller: clean shutdown', () => {
  it('a node asking to shut down is drained, then leaves without being fenced', () => {
    const yaml = SINGLE.replace('fencing: { enabled: false }', 'fencing:\n    enabled: true\n    devices:\n      - { device: fence-lab, agent: fence_vigil_lab }');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('app'), ['n2']);
    c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: 'n2', name: 'shutdown', value: String(Math.floor(c.now / 1000)) } });
    c.runFor(5_000);
    assert.equal(c.activeOn('app').length, 1);
    assert.notEqual(c.activeOn('app')[0], 'n2');
    c.members = ['n1', 'n3'];
    c.input({ type: 'membership', now: c.now, members: c.members, left: ['n2'] });
    c.runFor(30_000);
    assert.equal(c.fences.length, 0, 'a clean leave is not fenced');
    assert.equal(c.dc.unsafe.size, 0);
  });

  it('a node that leaves "cleanly" with a resource still recorded active there is fenced first', () => {
    const yaml = SINGLE.replace('fencing: { enabled: false }', 'fencing:\n    enabled: true\n    devices:\n      - { device: fence-lab, agent: fence_vigil_lab }');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    c.members = ['n1', 'n3'];
    c.down.add('n2');
    c.input({ type: 'membership', now: c.now, members: c.members, left: ['n2'] });
    c.runFor(30_000);
    const fence = c.fences.find((f) => f.req.node === 'n2');
    assert.ok(fence, 'fenced: app may still run there');
    const start = c.dispatched.find((d) => d.req.action === 'start' && d.req.node !== 'n2' && d.at >= fence.at);
    assert.ok(start && start.at >= c.fencedAt.get('n2')!);
  });
});

describe('DC controller: on-fail stop, block, demote', () => {
  const withOnFail = (v: string) => SINGLE.replace('ops: [ { name: monitor, interval: 10s } ]', `ops: [ { name: monitor, interval: 10s, on_fail: ${v} } ]`);

  it('on-fail=stop: the resource is stopped and stays stopped', () => {
    const c = new MiniCluster(cibFromYaml(withOnFail('stop')), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    c.monitorFails('n2', 'app', OcfRc.Error);
    c.runFor(10_000);
    assert.deepEqual(c.activeOn('app'), []);
    assert.ok(!c.dispatched.some((d) => d.req.action === 'start' && d.req.node !== 'n2'));
  });

  it('on-fail=block: nothing more is done to it', () => {
    const c = new MiniCluster(cibFromYaml(withOnFail('block')), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const before = c.dispatched.length;
    c.monitorFails('n2', 'app', OcfRc.Error);
    c.runFor(10_000);
    assert.deepEqual(c.dispatched.slice(before).filter((d) => d.req.intervalMs === 0), []);
  });

  // Pacemaker only demotes here; Vigil's scheduler currently goes on to a full restart (stop,
  // start, promote) — reported to its owner. The controller's part: the demote comes first.
  it('on-fail=demote: a failed promoted monitor is demoted first', () => {
    const yaml = PROMOTABLE.replace('{ name: monitor, interval: 10s, role: Promoted }', '{ name: monitor, interval: 10s, role: Promoted, on_fail: demote }');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3']);
    c.runFor(10_000);
    const before = c.dispatched.length;
    c.monitorFails('n2', 'dbi', OcfRc.Error);
    c.runFor(10_000);
    const after = c.dispatched.slice(before).filter((d) => d.req.intervalMs === 0 && d.req.node === 'n2').map((d) => d.req.action);
    assert.equal(after[0], 'demote', after.join(' '));
    assert.equal(c.dispatched.slice(before).filter((d) => d.req.action === 'promote').length, 1, 'one promote afterwards');
  });
});

describe('DC controller: promotion moves', () => {
  it('the new instance is promoted only after the old one is demoted (never two promoted at once)', () => {
    const yaml = PROMOTABLE.replace('  - { location: db, node: n2, score: 100, role: Promoted }', '  - { location: db, node: n2, score: 100, role: Promoted }\n  - { location: db, node: n3, score: 50, role: Promoted }');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3'], { duration: (r) => (r.action === 'demote' ? 2_000 : 100) });
    let worst = 0;
    const orig = c.input.bind(c);
    c.input = (i) => { orig(i); worst = Math.max(worst, [...c.reality.values()].filter((m) => m.get('dbi') === 'Promoted').length); };
    c.runFor(10_000);
    assert.deepEqual(roles(c, 'dbi'), ['n1:Started', 'n2:Promoted', 'n3:Started']);
    c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: 'n2', name: 'standby', value: 'on', lifetime: 'forever' } });
    c.runFor(10_000);
    assert.ok(roles(c, 'dbi').includes('n3:Promoted'), roles(c, 'dbi').join(' '));
    assert.equal(worst, 1);
  });
});

describe('DC controller: a promotable clone on a lost node', () => {
  const yaml = PROMOTABLE.replace('fencing: { enabled: false }', 'fencing:\n    enabled: true\n    devices:\n      - { device: fence-lab, agent: fence_vigil_lab }')
    .replace('  - { location: db, node: n2, score: 100, role: Promoted }', '  - { location: db, node: n2, score: 100, role: Promoted }\n  - { location: db, node: n3, score: 50, role: Promoted }');

  it('its promoted instance is promoted elsewhere only after the node is fenced', () => {
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3'], { fenceDuration: 3_000 });
    c.runFor(10_000);
    assert.ok(roles(c, 'dbi').includes('n2:Promoted'));
    const lostAt = c.now;
    c.crash('n2');
    c.runFor(20_000);
    const promote = c.dispatched.find((d) => d.req.action === 'promote' && d.at >= lostAt);
    assert.ok(promote, 'promoted elsewhere eventually');
    assert.ok(promote.at >= c.fencedAt.get('n2')!, `promoted at +${promote.at - lostAt}, fenced at +${c.fencedAt.get('n2')! - lostAt}`);
  });
});

describe('DC controller: results of cancelled monitors', () => {
  it('a monitor result that was under way when the promote cancelled it is ignored', () => {
    const yaml = PROMOTABLE.replace('        - { name: monitor, interval: 10s, role: Promoted }\n        - { name: monitor, interval: 11s, role: Unpromoted }', '        - { name: monitor, interval: 10s }');
    const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3']);
    c.runFor(10_000);
    assert.ok(roles(c, 'dbi').includes('n2:Promoted'));
    const first = c.dispatched.find((d) => d.req.node === 'n2' && d.req.intervalMs > 0 && d.req.targetRc === 0)!;
    const before = c.dispatched.length;
    // The Unpromoted-role monitor's last run reports rc 8 after the promote replaced it.
    c.input({ type: 'action-result', now: c.now, node: 'n2', result: { callId: 999, resource: 'dbi', action: 'monitor', intervalMs: 10_000, rc: 8, opStatus: 0, userData: first.req.userData } });
    c.runFor(5_000);
    assert.equal(c.dispatched.slice(before).filter((d) => d.req.intervalMs === 0).length, 0, 'no recovery');
    assert.equal(c.cib.status.nodes.find((n) => n.name === 'n2')!.transientAttributes['fail-count-dbi#monitor_10000'], undefined);
  });
});

describe('DC controller: maintenance entered while a start runs', () => {
  it('no recurring monitor is asked for on that node afterwards', () => {
    const c = new MiniCluster(cibFromYaml(SINGLE), ['n1', 'n2', 'n3'], { duration: (r) => (r.action === 'start' ? 2_000 : 100) });
    c.runFor(1_000);
    const start = c.dispatched.find((d) => d.req.action === 'start')!;
    c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: start.req.node, name: 'maintenance', value: 'true', lifetime: 'forever' } });
    c.runFor(10_000);
    assert.ok(!c.dispatched.some((d) => d.req.node === start.req.node && d.at > start.at), c.dispatched.filter((d) => d.at > start.at).map((d) => `${d.req.action}@${d.req.node}`).join(' '));
  });
});

describe('DC controller: leaving maintenance', () => {
  it('the node is probed again: what runs there changed while nothing watched it', () => {
    const c = new MiniCluster(cibFromYaml(SINGLE), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('app'), ['n2']);
    c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: 'n2', name: 'maintenance', value: 'true', lifetime: 'forever' } });
    c.runFor(5_000);
    // Meanwhile app stops there (an operator, a reboot): the DC cannot know.
    c.reality.get('n2')!.delete('app');
    const before = c.dispatched.length;
    c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: 'n2', name: 'maintenance', value: null, lifetime: 'forever' } });
    c.runFor(5_000);
    const sent = c.dispatched.slice(before);
    assert.ok(sent.some((d) => d.req.node === 'n2' && d.req.action === 'monitor' && d.req.intervalMs === 0), 'n2 probed');
    assert.deepEqual(c.activeOn('app'), ['n2'], 'found stopped, started again');
  });
});
