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
