import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVigilYaml } from '../../src/config/index.js';
import { applyUpdates } from '../../src/controller/index.js';
import { configPlan, nodeAdmin, resourceBan, resourceClear, resourceMove, resourceTargetRole } from '../../src/daemon/admin.js';
import type { Cib } from '../../src/model/cluster.js';

const YAML = `cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.10] }
    - { name: n2, addresses: [192.0.2.11] }
    - { name: n3, addresses: [192.0.2.12] }
  fencing: { enabled: false }
resources:
  - primitive: vip
    agent: builtin:vip
    params: { ip: 192.0.2.200 }
  - clone: web
    resource:
      primitive: web-server
      agent: builtin:dummy
`;

function cib(): Cib {
  const c = loadVigilYaml(YAML, 't.yaml').cib;
  return { ...c, status: { ...c.status, haveQuorum: true, nodes: c.config.nodes.map((n) => ({ id: n.id, name: n.name, inCluster: true, controllerOnline: true, join: 'member' as const, expected: 'member' as const, transientAttributes: {}, history: [] })) } };
}

test('move: a location constraint the scheduler honours; clear removes it', () => {
  const c = cib();
  const mv = resourceMove(c, 'vip', 'n2', 1_700_000_000, []);
  assert.equal(mv.updates.length, 1);
  assert.match(mv.note, /cli-prefer-vip/);
  const moved = applyUpdates(c, mv.updates);
  assert.ok(moved.config.constraints.some((x) => x.id === 'cli-prefer-vip'));
  const cl = resourceClear(moved.config, 'vip');
  assert.deepEqual(cl.updates, [{ kind: 'constraint-remove', id: 'cli-prefer-vip' }]);
  assert.deepEqual(applyUpdates(moved, cl.updates).config.constraints, []);
  assert.match(resourceClear(c.config, 'vip').note, /no move\/ban constraints/);
});

test('a move that cannot be done says why and proposes nothing', () => {
  const c = cib();
  const banned = applyUpdates(c, resourceBan(c.config, 'vip', 'n2').updates);
  assert.throws(() => resourceMove(banned, 'vip', 'n2', 1_700_000_000, []), (e: Error & { code?: string }) => e.code === 'input' && /cannot move vip to n2/.test(e.message) && /nothing was changed/.test(e.message));
  const standby = applyUpdates(c, nodeAdmin(c.config, 'standby', 'n3'));
  assert.throws(() => resourceMove(standby, 'vip', 'n3', 1_700_000_000, []), /cannot move vip to n3/);
  assert.throws(() => resourceMove(c, 'web', 'n1', 1_700_000_000, []), /is a clone/);
  assert.throws(() => resourceMove(c, 'nope', 'n1', 1_700_000_000, []), /no resource "nope"/);
  assert.throws(() => resourceMove(c, 'vip', 'n9', 1_700_000_000, []), /no node "n9"/);
  assert.throws(() => resourceMove(c, 'vip', undefined, 1_700_000_000, []), /say where/);
});

test('node states and target roles are permanent attributes and meta', () => {
  const c = cib();
  assert.deepEqual(nodeAdmin(c.config, 'standby', 'n1'), [{ kind: 'node-attribute', node: 'n1', name: 'standby', value: 'on', lifetime: 'forever' }]);
  const online = nodeAdmin(c.config, 'online', 'n1');
  assert.equal(online.length, 2);
  assert.equal(applyUpdates(applyUpdates(c, nodeAdmin(c.config, 'maintenance', 'n2')), online).config.nodes.find((n) => n.name === 'n2')?.attributes.maintenance, 'on');
  assert.deepEqual(resourceTargetRole(c.config, 'web-server', 'Stopped').updates, [{ kind: 'resource-meta', rsc: 'web', name: 'target-role', value: 'Stopped' }]);
});

test('config plan lists what changes', () => {
  const c = cib().config;
  const next = structuredClone(c);
  next.resources = next.resources.filter((r) => r.id !== 'vip');
  next.properties['maintenance-mode'] = 'true';
  next.rscDefaults['resource-stickiness'] = '100';
  assert.deepEqual(configPlan(c, next), ['- resource vip', '~ property maintenance-mode: (unset) → true', '~ resource default resource-stickiness: (unset) → 100']);
  assert.deepEqual(configPlan(c, c), []);
});
