import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INFINITY } from '../../src/model/score.js';
import { schedule } from '../../src/scheduler/schedule.js';
import { toCanonical } from '../../src/scheduler/canonical.js';
import type { Clone, Group } from '../../src/model/cluster.js';
import { cluster, coloc, loc, op, order, prim, running } from './helpers.js';

const NOW = 1_700_000_000;
const where = (cib: Parameters<typeof schedule>[0], rsc: string): string[] => schedule(cib, NOW).placements.filter((p) => p.rsc === rsc).map((p) => p.node).sort();
const actions = (cib: Parameters<typeof schedule>[0]): string[] => toCanonical(schedule(cib, NOW)).actions.map((a) => `${String(a.action)} ${String(a.rsc ?? a.node)} ${String(a.from ?? '')}>${String(a.to ?? '')}${a.blocked ? ' blocked' : ''}`).sort();

test('location: INFINITY pins, -INFINITY forbids, higher score wins', () => {
  assert.deepEqual(where(cluster({ nodes: ['a', 'b'], resources: [prim('r')], constraints: [loc('l', 'r', 'b', INFINITY)] }), 'r'), ['b']);
  assert.deepEqual(where(cluster({ nodes: ['a', 'b'], resources: [prim('r')], constraints: [loc('l', 'r', 'a', -INFINITY)] }), 'r'), ['b']);
  assert.deepEqual(where(cluster({ nodes: ['a', 'b', 'c'], resources: [prim('r')], constraints: [loc('l1', 'r', 'a', 10), loc('l2', 'r', 'c', 20)] }), 'r'), ['c']);
  assert.deepEqual(where(cluster({ nodes: ['a', 'b'], resources: [prim('r')], constraints: [loc('l1', 'r', 'a', -INFINITY), loc('l2', 'r', 'b', -INFINITY)] }), 'r'), []);
});

test('opt-in cluster: only nodes a constraint allows', () => {
  const cib = cluster({ nodes: ['a', 'b'], resources: [prim('r'), prim('s')], constraints: [loc('l', 'r', 'b', 0)], properties: { 'symmetric-cluster': 'false' } });
  assert.deepEqual(where(cib, 'r'), ['b']);
  assert.deepEqual(where(cib, 's'), []);
});

test('stickiness keeps a running resource against a weaker preference, not a stronger one', () => {
  const base = { nodes: ['a', 'b'], resources: [prim('r', { 'resource-stickiness': '100' })], history: { a: { r: running() } } };
  assert.deepEqual(where(cluster({ ...base, constraints: [loc('l', 'r', 'b', 50)] }), 'r'), ['a']);
  assert.deepEqual(where(cluster({ ...base, constraints: [loc('l', 'r', 'b', 150)] }), 'r'), ['b']);
  assert.deepEqual(actions(cluster({ ...base, constraints: [loc('l', 'r', 'b', 150)] })), ['move r a>b']);
});

test('standby and offline nodes are evacuated / not used', () => {
  const cib = cluster({ nodes: ['a', 'b', 'c'], standby: ['a'], offline: ['c'], resources: [prim('r')], history: { a: { r: running() } } });
  assert.deepEqual(where(cib, 'r'), ['b']);
});

test('migration-threshold: enough failures ban the node; failure-timeout expiry lifts the ban', () => {
  const spec = {
    nodes: ['a', 'b'], resources: [prim('r', { 'migration-threshold': '2', 'failure-timeout': '60s' })], constraints: [loc('l', 'r', 'a', 100)],
    history: { a: { r: [op('start'), op('monitor', 7, { intervalMs: 10_000, lastRcChange: NOW - 30 })] } },
    nodeAttrs: { a: { 'fail-count-r#monitor_10000': '2', 'last-failure-r#monitor_10000': String(NOW - 30) } },
  };
  assert.deepEqual(where(cluster(spec), 'r'), ['b']);
  assert.deepEqual(actions(cluster(spec)), ['recover r a>b']);
  // 120 s later the failure has expired: back home, nothing failed any more.
  assert.deepEqual(schedule(cluster(spec), NOW + 120).placements.map((p) => p.node), ['a']);
});

test('failed monitor recovers in place below the threshold', () => {
  const cib = cluster({ nodes: ['a', 'b'], resources: [prim('r')], constraints: [loc('l', 'r', 'a', 100)], history: { a: { r: [op('start'), op('monitor', 7, { intervalMs: 10_000 })] } } });
  assert.deepEqual(actions(cib), ['recover r a>a']);
});

test('colocation: mandatory follows the primary; a stopped primary stops the dependent', () => {
  const c = [loc('l', 'p', 'b', 100), coloc('c', 'd', 'p', INFINITY)];
  assert.deepEqual(where(cluster({ nodes: ['a', 'b'], resources: [prim('p'), prim('d')], constraints: c }), 'd'), ['b']);
  const stopped = cluster({ nodes: ['a', 'b'], resources: [prim('p', { 'target-role': 'Stopped' }), prim('d')], constraints: c, history: { a: { d: running() } } });
  assert.deepEqual(where(stopped, 'd'), []);
  const anti = cluster({ nodes: ['a', 'b'], resources: [prim('p'), prim('d')], constraints: [loc('l', 'p', 'a', 100), loc('l2', 'd', 'a', 50), coloc('c', 'd', 'p', -INFINITY)] });
  assert.deepEqual(where(anti, 'd'), ['b']);
});

test('order: a mandatory then-resource restarts with its first, and cannot start without it', () => {
  const restart = cluster({
    nodes: ['a'], resources: [prim('first'), prim('then')], constraints: [order('o', 'first', 'then')],
    history: { a: { first: [op('start'), op('monitor', 7, { intervalMs: 10_000 })], then: running() } },
  });
  assert.deepEqual(actions(restart), ['recover first a>a', 'restart then a>a']);
  const blocked = cluster({ nodes: ['a'], resources: [prim('first', { 'target-role': 'Stopped' }), prim('then')], constraints: [order('o', 'first', 'then')] });
  assert.deepEqual(actions(blocked), ['start then >a blocked']);
  const optional = cluster({ nodes: ['a'], resources: [prim('first', { 'target-role': 'Stopped' }), prim('then')], constraints: [order('o', 'first', 'then', 'Optional')] });
  assert.deepEqual(actions(optional), ['start then >a']);
});

test('groups run together and in order', () => {
  const g: Group = { kind: 'group', id: 'g', meta: {}, members: [prim('ip'), prim('fs'), prim('web')] };
  const cib = cluster({ nodes: ['a', 'b'], resources: [g], constraints: [loc('l', 'g', 'b', 10)] });
  assert.deepEqual(schedule(cib, NOW).placements.map((p) => `${p.rsc}@${p.node}`).sort(), ['fs@b', 'ip@b', 'web@b']);
  const r = schedule(cib, NOW);
  const startOf = (id: string): number => r.transition.actions.find((a) => a.task === 'start' && a.rsc?.id === id)?.id ?? -1;
  const edge = (x: string, y: string): boolean => r.transition.edges.some((e) => e.first.some((a) => a.id === startOf(x)) && e.then.some((a) => a.id === startOf(y)));
  assert.ok(edge('ip', 'fs') && edge('fs', 'web'));
});

test('anonymous clone: one instance per node, clone-max honoured', () => {
  const c: Clone = { kind: 'clone', id: 'c', meta: { 'clone-max': '2' }, promotable: false, child: prim('ping') };
  const r = schedule(cluster({ nodes: ['a', 'b', 'c'], resources: [c] }), NOW);
  assert.equal(r.placements.length, 2);
  assert.equal(new Set(r.placements.map((p) => p.node)).size, 2);
  assert.ok(r.placements.every((p) => p.rsc === 'ping'));
});

test('promotable clone: the node with the highest promotion score gets the promoted instance', () => {
  const ms: Clone = { kind: 'clone', id: 'ms', meta: {}, promotable: true, child: prim('db') };
  const cib = cluster({
    nodes: ['a', 'b'], resources: [ms], nodeAttrs: { a: { 'master-db': '5' }, b: { 'master-db': '10' } },
    history: { a: { 'db:0': running() }, b: { 'db:1': running() } },
  });
  const r = schedule(cib, NOW);
  assert.deepEqual(r.placements.map((p) => `${p.node}:${p.role}`).sort(), ['a:Unpromoted', 'b:Promoted']);
  assert.deepEqual(actions(cib), ['promote db b>b']);
});

test('a lost node is fenced before its resources are recovered elsewhere', () => {
  const cib = cluster({
    nodes: ['a', 'b'], lost: ['a'], resources: [prim('fence', {}, 'stonith'), prim('r')], properties: { 'stonith-enabled': 'true' },
    history: { a: { r: running() }, b: { fence: running() } },
  });
  const r = schedule(cib, NOW);
  const fence = r.transition.actions.find((a) => a.task === 'fence');
  assert.ok(fence && fence.node === 'a');
  assert.deepEqual(actions(cib), ['fence a >', 'move r a>b']);
  const start = r.transition.actions.find((a) => a.task === 'start' && a.rsc?.id === 'r');
  assert.ok(r.transition.edges.some((e) => e.first.includes(fence) && start && e.then.includes(start)), 'start waits for fencing');
  // Without a way to fence, nothing is recovered.
  const unfenceable = cluster({ nodes: ['a', 'b'], lost: ['a'], resources: [prim('r')], properties: { 'stonith-enabled': 'true' }, history: { a: { r: running() } } });
  assert.deepEqual(where(unfenceable, 'r'), ['a']);
});

test('no-quorum-policy: stop blocks starts and stops what runs, ignore carries on', () => {
  const spec = { nodes: ['a', 'b'], quorum: false, resources: [prim('r'), prim('s')], history: { a: { r: running() } } };
  assert.deepEqual(actions(cluster({ ...spec, properties: { 'no-quorum-policy': 'stop' } })), ['start s >b blocked', 'stop r a>']);
  assert.equal(schedule(cluster({ ...spec, properties: { 'no-quorum-policy': 'ignore' } }), NOW).placements.length, 2);
  assert.deepEqual(actions(cluster({ ...spec, properties: { 'no-quorum-policy': 'freeze' } })), ['start s >b blocked']);
});

test('unmanaged and maintenance resources are left where they are', () => {
  const cib = cluster({ nodes: ['a', 'b'], resources: [prim('r', { 'is-managed': 'false' })], constraints: [loc('l', 'r', 'b', INFINITY)], history: { a: { r: running() } } });
  assert.deepEqual(where(cib, 'r'), ['a']);
  assert.deepEqual(actions(cib), []);
});

test('multiple-active resources are stopped everywhere and started once; the multiple-active meta attribute changes that', () => {
  const twice = (meta: Record<string, string> = {}) => cluster({ nodes: ['a', 'b'], resources: [prim('r', meta)], constraints: [loc('l', 'r', 'b', 10)], history: { a: { r: running() }, b: { r: running() } } });
  assert.deepEqual(where(twice(), 'r'), ['b']);
  assert.deepEqual(actions(twice()), ['restart r b>b'], 'stop_start (default): both copies stop, one starts (shown as Pacemaker does)');
  const stopsOf = (cib: ReturnType<typeof twice>): string[] => schedule(cib, NOW).transition.actions.filter((a) => a.task === 'stop' && !a.optional).map((a) => a.node ?? '').sort();
  assert.deepEqual(stopsOf(twice()), ['a', 'b']);
  assert.deepEqual(stopsOf(twice({ 'multiple-active': 'stop_unexpected' })), ['a']);
  assert.deepEqual(actions(twice({ 'multiple-active': 'stop_unexpected' })), ['stop r a>'], 'stop_unexpected: the copy where it belongs stays');
  assert.deepEqual(actions(twice({ 'multiple-active': 'stop_only' })), ['stop r a>', 'stop r b>']);
  assert.deepEqual(where(twice({ 'multiple-active': 'stop_only' }), 'r'), []);
  assert.deepEqual(actions(twice({ 'multiple-active': 'block' })), [], 'block: left alone (unmanaged)');
  assert.deepEqual(where(twice({ 'multiple-active': 'block' }), 'r'), ['a', 'b']);
});

test('changed instance parameters restart a resource where it runs; unrecorded parameters (a CIB\'s history) change nothing', () => {
  const withParams = (ip: string): ReturnType<typeof prim> => ({ ...prim('vip'), params: { ip, cidr_netmask: '24' } });
  const base = cluster({ nodes: ['a', 'b'], resources: [withParams('10.0.0.2'), prim('web')], constraints: [loc('l', 'vip', 'a', 100), coloc('c', 'web', 'vip', INFINITY), order('o', 'vip', 'web')], history: { a: { vip: running(), web: running() } } });
  const recorded = (ip: string) => ({
    ...base,
    status: { ...base.status, nodes: base.status.nodes.map((n) => ({ ...n, history: n.history.map((h) => (h.rsc === 'vip' ? { ...h, params: { ip, cidr_netmask: '24' } } : h)) })) },
  });
  assert.deepEqual(actions(recorded('10.0.0.2')), [], 'the same parameters: nothing to do');
  assert.deepEqual(actions(base), [], 'nothing recorded: nothing to compare');
  // What is ordered after it restarts too (a mandatory order's restart semantics).
  assert.deepEqual(actions(recorded('10.0.0.1')), ['restart vip a>a', 'restart web a>a']);
  const stop = schedule(recorded('10.0.0.1'), NOW).transition.actions.find((x) => x.task === 'stop' && x.rsc?.id === 'vip');
  assert.ok(stop?.reasons.includes('parameters changed (ip)'), JSON.stringify(stop?.reasons));
});
