/**
 * A resource whose instance parameters change restarts where it runs: stopped with the parameters
 * it was started with (a virtual IP given a new address must lose the old one), started with the
 * new ones, which are then recorded. Meta attributes are not parameters: they restart nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadVigilYaml } from '../../src/config/index.js';
import { MiniCluster, cibFromYaml } from './harness.js';

const yaml = (ip: string, meta = '', interval = '10s') => `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
  fencing: { enabled: false }
resources:
  - primitive: vip
    agent: builtin:dummy
    params: { ip: ${ip} }
    ${meta}
    ops: [ { name: monitor, interval: ${interval} } ]
constraints:
  - { location: vip, node: n2, score: 100 }
`;

function applyConfig(c: MiniCluster, text: string): void {
  const config = loadVigilYaml(text, 'test.yaml').cib.config;
  c.input({ type: 'committed', now: c.now, update: { kind: 'config', config } });
}

test('changed parameters: stopped with the old ones, started with the new ones, in place; recorded', () => {
  const c = new MiniCluster(cibFromYaml(yaml('10.0.0.1')), ['n1', 'n2']);
  c.runFor(5000);
  assert.deepEqual(c.activeOn('vip'), ['n2']);
  const before = c.dispatched.length;
  applyConfig(c, yaml('10.0.0.9'));
  c.runFor(5000);
  const ops = c.dispatched.slice(before).filter((d) => d.req.intervalMs === 0).map((d) => `${d.req.action} ${d.req.node} ${d.req.params.ip}`);
  assert.deepEqual(ops, ['stop n2 10.0.0.1', 'start n2 10.0.0.9']);
  assert.deepEqual(c.activeOn('vip'), ['n2']);
  const h = c.cib.status.nodes.find((n) => n.name === 'n2')!.history.find((x) => x.rsc === 'vip')!;
  assert.deepEqual(h.params, { ip: '10.0.0.9' });
  // Settled: nothing more to do with the new parameters recorded.
  const settled = c.dispatched.length;
  c.input({ type: 'tick', now: c.now });
  c.runFor(5000);
  assert.equal(c.dispatched.slice(settled).filter((d) => d.req.intervalMs === 0).length, 0);
});

test('a meta attribute change restarts nothing', () => {
  const c = new MiniCluster(cibFromYaml(yaml('10.0.0.1')), ['n1', 'n2']);
  c.runFor(5000);
  const before = c.dispatched.length;
  applyConfig(c, yaml('10.0.0.1', 'meta: { resource-stickiness: "50" }'));
  c.runFor(5000);
  assert.deepEqual(c.dispatched.slice(before).filter((d) => d.req.intervalMs === 0).map((d) => d.req.action), []);
});

test('a changed monitor interval replaces the running monitor, without a restart', () => {
  const c = new MiniCluster(cibFromYaml(yaml('10.0.0.1')), ['n1', 'n2']);
  c.runFor(5000);
  const before = c.dispatched.length;
  applyConfig(c, yaml('10.0.0.1', '', '5s'));
  c.runFor(5000);
  const sent = c.dispatched.slice(before).map((d) => `${d.req.action} ${d.req.node} ${d.req.intervalMs}${d.req.cancelRecurring ? ' (cancel others first)' : ''}`);
  assert.deepEqual(sent, ['monitor n2 5000 (cancel others first)']);
  // The same configuration again changes nothing.
  const again = c.dispatched.length;
  applyConfig(c, yaml('10.0.0.1', '', '5s'));
  c.runFor(5000);
  assert.deepEqual(c.dispatched.slice(again), []);
});
