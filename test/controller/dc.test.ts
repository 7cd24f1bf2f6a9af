import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schedule } from '../../src/scheduler/index.js';
import { MiniCluster, cibFromYaml } from './harness.js';

const TWO = (extra = '', fencing = 'enabled: false') => `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
    - { name: n3, addresses: [192.0.2.3] }
  fencing:
    ${fencing}
${extra}`;

const WEB = `resources:
  - group: web
    members:
      - primitive: vip
        agent: builtin:dummy
        ops: [ { name: monitor, interval: 10s } ]
      - primitive: site
        agent: builtin:dummy
        ops: [ { name: monitor, interval: 10s } ]
`;

describe('DC controller', () => {
  it('probes every node first, then starts a group in order with its monitors', () => {
    const c = new MiniCluster(cibFromYaml(TWO(WEB)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const probes = c.dispatched.filter((d) => d.req.action === 'monitor' && d.req.intervalMs === 0);
    assert.equal(probes.length, 6);
    const starts = c.completed.filter((d) => d.req.action === 'start');
    assert.deepEqual(starts.map((s) => s.req.resource), ['vip', 'site']);
    assert.ok(c.dispatched.find((d) => d.req.resource === 'site' && d.req.action === 'start')!.at >= starts[0].at, 'site starts after vip completed');
    assert.equal(c.activeOn('vip').length, 1);
    assert.deepEqual(c.activeOn('vip'), c.activeOn('site'));
    const monitors = c.dispatched.filter((d) => d.req.intervalMs === 10_000);
    assert.equal(monitors.length, 2);
    // Everything the scheduler wanted is done: a new plan changes nothing.
    const again = schedule({ ...c.cib, status: { ...c.cib.status, haveQuorum: true } }, Math.floor(c.now / 1000));
    assert.equal(again.transition.actions.filter((a) => !a.optional && a.runnable).length, 0);
    assert.equal(c.dc.transition, null);
  });
});

const ONE = (meta = '', fencing = 'enabled: false') => TWO(`resources:
  - primitive: db
    agent: builtin:dummy
    meta: { resource-stickiness: 100${meta} }
    ops: [ { name: monitor, interval: 10s } ]
constraints:
  - { location: db, node: n2, score: 50 }
`, fencing);

describe('DC controller: failures', () => {
  it('a monitor failure is recorded with a fail count and recovered in place; migration-threshold then moves it', () => {
    const c = new MiniCluster(cibFromYaml(ONE(', migration-threshold: 2')), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const [home] = c.activeOn('db');
    assert.ok(home);
    c.monitorFails(home, 'db');
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('db'), [home], 'restarted where it was');
    const attrs = c.cib.status.nodes.find((n) => n.name === home)!.transientAttributes;
    assert.equal(attrs['fail-count-db#monitor_10000'], '1');
    assert.ok(attrs['last-failure-db#monitor_10000']);
    assert.ok(c.dispatched.some((d) => d.req.action === 'stop' && d.req.node === home), 'stopped before the restart');
    c.monitorFails(home, 'db');
    c.runFor(5_000);
    assert.equal(c.activeOn('db').length, 1);
    assert.notEqual(c.activeOn('db')[0], home, 'moved after two failures');
  });

  it('a failed start counts INFINITY (start-failure-is-fatal) and the resource starts elsewhere', () => {
    let failedOn: string | undefined;
    const c = new MiniCluster(cibFromYaml(ONE()), ['n1', 'n2', 'n3'], {
      rc: (req) => {
        if (req.action !== 'start') return undefined;
        failedOn ??= req.node;
        return req.node === failedOn ? 1 : undefined;
      },
    });
    c.runFor(10_000);
    assert.ok(failedOn);
    assert.equal(c.cib.status.nodes.find((n) => n.name === failedOn)!.transientAttributes['fail-count-db#start_0'], 'INFINITY');
    assert.equal(c.activeOn('db').length, 1);
    assert.notEqual(c.activeOn('db')[0], failedOn);
  });

  it('failure-timeout expires the fail count at the recheck and the resource may come back', () => {
    const c = new MiniCluster(cibFromYaml(ONE(', migration-threshold: 1, failure-timeout: 60s')), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const [home] = c.activeOn('db');
    c.monitorFails(home, 'db');
    c.runFor(5_000);
    assert.notEqual(c.activeOn('db')[0], home);
    assert.ok(c.wakeAt !== null && c.wakeAt <= c.now + 61_000, 'a recheck is scheduled when the failure expires');
    c.runFor(70_000);
    const attrs = c.cib.status.nodes.find((n) => n.name === home)!.transientAttributes;
    assert.equal(attrs['fail-count-db#monitor_10000'], undefined, 'fail count cleared');
  });

  it('an operation that never reports back is recorded as timed out and the transition replans', () => {
    const c = new MiniCluster(cibFromYaml(ONE()), ['n1', 'n2', 'n3'], { duration: (r) => (r.action === 'start' ? 10_000_000 : 100) });
    c.runFor(5_000);
    const start = c.dispatched.find((d) => d.req.action === 'start')!;
    c.runFor(start.req.timeoutMs + 15_000);
    const hist = c.cib.status.nodes.find((n) => n.name === start.req.node)!.history.find((h) => h.rsc === 'db')!;
    assert.ok(hist.ops.some((o) => o.id === 'db_last_failure_0' && o.opStatus === 2), 'timeout recorded');
  });
});

describe('DC controller: fencing', () => {
  const DEVICE = `enabled: true
    devices:
      - { device: fence-lab, agent: fence_vigil_lab }`;

  it('a lost node is fenced before its resource is started elsewhere', () => {
    const c = new MiniCluster(cibFromYaml(ONE('', DEVICE)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const [home] = c.activeOn('db').length ? c.activeOn('db') : [''];
    assert.ok(home && home !== 'n1', `db runs on a node other than the DC (${home})`);
    c.crash(home);
    c.runFor(10_000);
    const fence = c.fences.find((f) => f.req.node === home);
    assert.ok(fence, 'fenced');
    assert.equal(fence.req.method, 'device');
    assert.equal(fence.req.levels[0][0].device, 'fence-lab');
    const restart = c.dispatched.find((d) => d.req.action === 'start' && d.at > fence.at);
    assert.ok(restart && restart.at >= fence.at + 500, 'started elsewhere only after the fence succeeded');
    assert.equal(c.activeOn('db').length, 1);
  });

  it('a node fenced while the membership still lists it is not taken for rejoined, nor lost again when the membership drops it', () => {
    // vigil sim --whole seed 2334: n2 came back while its fence was under way; the fence then
    // powered it off, but the membership listed it until deadtime: the DC took that for a rejoin,
    // then the drop for a new loss, and fenced it again — every time it booted.
    const c = new MiniCluster(cibFromYaml(ONE('', DEVICE)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('db'), ['n2']);
    c.crash('n2');
    c.runFor(10);
    assert.equal(c.fences.filter((f) => f.req.node === 'n2').length, 1, 'fence under way');
    // The partition heals: n2 is back before the fence lands.
    c.down.delete('n2');
    c.members = [...c.members, 'n2'];
    c.input({ type: 'membership', now: c.now, members: c.members });
    c.runFor(1_000);
    assert.ok(c.fencedAt.has('n2'), 'the fence powered n2 off');
    assert.match(c.cib.status.nodes.find((n) => n.name === 'n2')!.lastFence?.how ?? '', /^fenced \(reboot: /, 'how it was fenced is recorded');
    // The membership has not noticed yet: n2 is still listed (another peer event feeds it again).
    c.input({ type: 'membership', now: c.now, members: c.members });
    c.runFor(1_000);
    assert.equal(c.cib.status.nodes.find((n) => n.name === 'n2')!.inCluster, false, 'not a member again');
    // Now the membership drops it: that is not a new loss.
    c.members = c.members.filter((m) => m !== 'n2');
    c.input({ type: 'membership', now: c.now, members: c.members });
    c.runFor(5_000);
    assert.equal(c.fences.filter((f) => f.req.node === 'n2').length, 1, 'fenced once');
    assert.equal(c.activeOn('db').filter((n) => n !== 'n2').length, 1, 'recovered elsewhere');
    // It boots and rejoins: a member again, probed.
    c.restart('n2');
    c.runFor(5_000);
    assert.equal(c.cib.status.nodes.find((n) => n.name === 'n2')!.inCluster, true);
    assert.equal(c.fences.filter((f) => f.req.node === 'n2').length, 1);
  });

  it('a node fenced while listed that reboots within deadtime counts again once the membership reports it restarted', () => {
    const c = new MiniCluster(cibFromYaml(ONE('', DEVICE)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    c.crash('n2');
    c.runFor(10);
    c.down.delete('n2');
    c.members = [...c.members, 'n2'];
    c.input({ type: 'membership', now: c.now, members: c.members });
    c.runFor(1_000);
    assert.ok(c.fencedAt.has('n2'));
    c.down.delete('n2');
    c.input({ type: 'membership', now: c.now, members: c.members });
    assert.equal(c.cib.status.nodes.find((n) => n.name === 'n2')!.inCluster, false, 'still the stale listing');
    c.input({ type: 'membership', now: c.now, members: c.members, restarted: ['n2'] });
    c.runFor(5_000);
    assert.equal(c.cib.status.nodes.find((n) => n.name === 'n2')!.inCluster, true, 'a new incarnation is a member');
    assert.equal(c.fences.filter((f) => f.req.node === 'n2').length, 1);
  });

  it('a fence delay postpones fencing of that node', () => {
    const c = new MiniCluster(cibFromYaml(ONE('', DEVICE)), ['n1', 'n2', 'n3'], { dc: { fenceDelayMs: { n2: 3000, n3: 3000 } } });
    c.runFor(5_000);
    const [home] = c.activeOn('db');
    const lostAt = c.now;
    c.crash(home);
    c.runFor(10_000);
    const fence = c.fences.find((f) => f.req.node === home)!;
    assert.ok(fence.at >= lostAt + 3000);
  });

  it('a failed fence is retried after the back-off; resources stay put meanwhile', () => {
    let attempts = 0;
    const c = new MiniCluster(cibFromYaml(ONE('', DEVICE)), ['n1', 'n2', 'n3'], { fenceOk: () => ++attempts >= 3 });
    c.runFor(5_000);
    const [home] = c.activeOn('db');
    c.crash(home);
    c.runFor(6_000);
    assert.ok(!c.dispatched.some((d) => d.req.action === 'start' && d.req.node !== home && d.at > 5_000 + 1_700_000_000_000), 'nothing started while unfenced');
    c.runFor(30_000);
    assert.equal(attempts, 3);
    assert.equal(c.activeOn('db').length, 1);
  });

  const WATCHDOG = `enabled: true
    watchdog_timeout: 10s`;

  for (const bug of [false, true]) {
    it(`self-fencing: a lost node's resource is recovered only after watchdog-timeout${bug ? ' (planted bug: immediately)' : ''}`, () => {
      const c = new MiniCluster(cibFromYaml(ONE('', WATCHDOG)), ['n1', 'n2', 'n3'], { dc: { skipWatchdogWait: bug } });
      c.runFor(5_000);
      const [home] = c.activeOn('db');
      assert.ok(home);
      const lostAt = c.now;
      c.crash(home);
      c.runFor(20_000);
      const restart = c.dispatched.find((d) => d.req.action === 'start' && d.at >= lostAt);
      assert.ok(restart, 'recovered eventually');
      if (bug) assert.ok(restart.at < lostAt + 10_000, 'the planted bug starts it early');
      else assert.ok(restart.at >= lostAt + 10_000, `started ${restart.at - lostAt} ms after the loss`);
      assert.ok(c.fences.every((f) => f.req.method === 'watchdog'));
    });
  }

  it('without a device for the lost node (nor a watchdog) the DC waits for the operator to confirm', () => {
    const onlyN1 = `enabled: true
    devices:
      - { device: fence-n1, agent: fence_vigil_lab, hosts: [n1] }`;
    const c = new MiniCluster(cibFromYaml(ONE('', onlyN1)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const [home] = c.activeOn('db');
    const lostAt = c.now;
    c.crash(home);
    c.runFor(600_000);
    assert.ok(!c.dispatched.some((d) => d.req.action === 'start' && d.at >= lostAt), 'nothing recovered without fencing');
    c.input({ type: 'fence-confirmed', now: c.now, node: home });
    c.runFor(5_000);
    assert.ok(c.dispatched.some((d) => d.req.action === 'start' && d.at >= lostAt && d.req.node !== home));
  });

  it('with fencing disabled a lost node\'s resource is recovered at once', () => {
    const c = new MiniCluster(cibFromYaml(ONE()), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const [home] = c.activeOn('db');
    const lostAt = c.now;
    c.crash(home);
    c.runFor(2_000);
    assert.ok(c.dispatched.some((d) => d.req.action === 'start' && d.at >= lostAt && d.req.node !== home));
  });
});

describe('DC controller: a start in flight on a node that is lost', () => {
  it('is treated as possibly done: the resource is not started elsewhere before the node is fenced', () => {
    const DEVICE = `enabled: true
    devices:
      - { device: fence-lab, agent: fence_vigil_lab }`;
    const c = new MiniCluster(cibFromYaml(ONE('', DEVICE)), ['n1', 'n2', 'n3'], { duration: (r) => (r.action === 'start' ? 3_000 : 100), fenceDuration: 4_000 });
    c.runFor(1_000);
    const start = c.dispatched.find((d) => d.req.action === 'start');
    assert.ok(start && start.req.node === 'n2', 'start in flight on n2');
    const lostAt = c.now;
    c.crash('n2');
    c.runFor(20_000);
    const again = c.dispatched.find((d) => d.req.action === 'start' && d.at >= lostAt);
    assert.ok(again, 'recovered eventually');
    assert.ok(again.at >= c.fencedAt.get('n2')!, `started at +${again.at - lostAt} ms, fenced at +${c.fencedAt.get('n2')! - lostAt} ms`);
  });
});

describe('DC controller: fencing turned off while a node waits to be fenced', () => {
  it('the lost node counts as down and its resource is recovered', () => {
    const onlyN1 = `enabled: true
    devices:
      - { device: fence-n1, agent: fence_vigil_lab, hosts: [n1] }`;
    const c = new MiniCluster(cibFromYaml(ONE('', onlyN1)), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    const [home] = c.activeOn('db');
    const lostAt = c.now;
    c.crash(home);
    c.runFor(30_000);
    assert.ok(!c.dispatched.some((d) => d.req.action === 'start' && d.at >= lostAt));
    c.input({ type: 'committed', now: c.now, update: { kind: 'property', name: 'stonith-enabled', value: 'false' } });
    c.runFor(5_000);
    assert.ok(c.dispatched.some((d) => d.req.action === 'start' && d.at >= lostAt && d.req.node !== home));
  });
});

describe('DC controller: a node that restarts and rejoins', () => {
  it('its new results count although its executor numbers calls from 1 again', () => {
    const c = new MiniCluster(cibFromYaml(ONE()), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('db'), ['n2']);
    c.crash('n2');
    c.runFor(5_000);
    assert.equal(c.activeOn('db').filter((n) => n !== 'n2').length, 1, 'recovered elsewhere');
    c.restart('n2');
    c.runFor(10_000);
    const hist = c.cib.status.nodes.find((n) => n.name === 'n2')!.history.find((h) => h.rsc === 'db')!;
    assert.equal(hist.ops.find((o) => o.id === 'db_last_0')!.rc, 7, 'the new probe is what the CIB says');
    assert.equal(c.activeOn('db').filter((n) => !c.down.has(n)).length, 1);
  });
});

describe('DC controller: a member whose Vigil process restarted within deadtime', () => {
  it('is probed again, and its later failures are recorded and recovered although call ids restarted', () => {
    const c = new MiniCluster(cibFromYaml(ONE()), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('db'), ['n2']);
    // Many operations first, so the recorded call ids on n2 are well above a fresh executor's.
    for (let i = 0; i < 3; i++) { c.monitorFails('n2', 'db'); c.runFor(3_000); }
    assert.deepEqual(c.activeOn('db'), ['n2']);
    const before = c.dispatched.length;
    c.daemonRestart('n2');
    c.runFor(3_000);
    assert.ok(c.dispatched.slice(before).some((d) => d.req.node === 'n2' && d.req.action === 'monitor' && d.req.intervalMs === 0), 'probed again');
    assert.deepEqual(c.activeOn('db'), ['n2'], 'found running, left alone');
    const mark = c.dispatched.length;
    c.monitorFails('n2', 'db');
    c.runFor(5_000);
    assert.ok(c.dispatched.slice(mark).some((d) => d.req.action === 'stop' && d.req.node === 'n2'), 'the new failure is acted on');
    assert.equal(c.activeOn('db').length, 1);
  });
});

describe('DC controller: an operation whose result never came', () => {
  it('is recorded as a synthetic timeout that the node\'s next real result supersedes, even when it carries "newest + 1"', () => {
    // vigil sim --whole seed 10: the DC recorded a lost probe with call id "highest recorded + 1";
    // the node's next real operation, a stop, carried the same id and the timeout won the tie.
    const c = new MiniCluster(cibFromYaml(ONE(', migration-threshold: 1')), ['n1', 'n2', 'n3']);
    c.runFor(5_000);
    assert.deepEqual(c.activeOn('db'), ['n2']);
    c.crash('n2');
    c.runFor(5_000);
    // n2 boots (a new executor numbers calls from 1) and rejoins; the results of its probes are lost.
    const mark = c.dispatched.length;
    c.restart('n2');
    c.down.add('n2');
    c.runFor(500);
    c.down.delete('n2');
    assert.ok(c.dc.transition?.actions.some((a) => a.task === 'probe' && a.node === 'n2' && a.state === 'in-flight'), 'the DC waits for the probe');
    assert.ok(!c.dispatched.slice(mark).some((d) => d.req.node === 'n2'), 'the request never arrived');
    c.runFor(60_000);
    const n2 = () => c.cib.status.nodes.find((n) => n.name === 'n2')!.history.find((h) => h.rsc === 'db')!;
    const timeout = n2().ops.find((o) => o.id === 'db_last_failure_0')!;
    assert.equal(timeout.synthetic, true, 'the DC wrote the timeout itself');
    assert.equal(timeout.callId, 0, 'anchored to the newest executor result on n2 (none since it rejoined)');
    const stops = c.completed.filter((x) => x.req.node === 'n2' && x.req.action === 'stop');
    assert.equal(stops.length, 1, 'one stop clears the failed probe: its result (call id 1) is not hidden by the timeout');
    const r = schedule(c.cib, Math.floor(c.now / 1000));
    assert.deepEqual(r.current.filter((p) => p.rsc === 'db').map((p) => p.node), c.activeOn('db'), 'the CIB says where db runs');
    assert.equal(c.dc.transition, null);
  });
});
