import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadVigilYaml } from '../../src/config/vigil/load.js';
import { InputErrors } from '../../src/model/errors.js';
import { INFINITY } from '../../src/model/score.js';
import type { Clone, Group, LocationConstraint, Primitive } from '../../src/model/cluster.js';

const root = new URL('../../../', import.meta.url).pathname;

/** The complete examples in docs/configuration.md (blocks that start with `cluster:`). */
function docExamples(): string[] {
  const md = readFileSync(`${root}docs/configuration.md`, 'utf8');
  return [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).filter((t) => t.startsWith('cluster:'));
}

/** All error lines of a load that must fail. */
function errorsOf(text: string, file = 'bad.yaml'): string[] {
  try {
    loadVigilYaml(text, file);
  } catch (e) {
    assert.ok(e instanceof InputErrors, `expected InputErrors, got ${String(e)}`);
    return e.errors.map((x) => x.format());
  }
  assert.fail('the configuration loaded but should not have');
}

const base = `cluster:
  name: t
  nodes:
    - name: alpha
      addresses: [192.0.2.1]
    - name: beta
      addresses: [192.0.2.2]
  quorum: { two_node: true }
`;

test('the documented two-node example loads into the model with its settings', () => {
  const [twoNode] = docExamples();
  const r = loadVigilYaml(twoNode, 'web.yaml');
  assert.equal(r.config.name, 'web');
  assert.deepEqual(r.config.nodes.map((n) => [n.id, n.name]), [['1', 'alpha'], ['2', 'beta']]);
  const web = r.config.resources[0] as Group;
  assert.equal(web.kind, 'group');
  assert.deepEqual(web.members.map((m) => m.id), ['vip', 'site']);
  assert.deepEqual(web.members[0].agent, { class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' });
  assert.deepEqual(web.members[0].params, { ip: '192.0.2.10', cidr_netmask: '24' });
  assert.deepEqual(web.members[0].operations[0], { id: 'vip-monitor-interval-10s', name: 'monitor', intervalMs: 10_000, timeoutMs: 20_000, enabled: true, meta: {} });
  assert.equal(web.members[0].origin?.line, 28);
  const fence = r.config.resources[1] as Primitive;
  assert.deepEqual(fence.agent, { class: 'stonith', type: 'fence_ipmilan' });
  assert.equal(fence.params.pcmk_host_list, 'alpha');
  const loc = r.config.constraints[0] as LocationConstraint;
  assert.deepEqual([loc.id, loc.rsc, loc.node, loc.score], ['location-web-alpha', 'web', 'alpha', 100]);
  assert.equal(r.config.properties['stonith-enabled'], 'true');
  assert.equal(r.config.properties['no-quorum-policy'], 'stop');
  assert.deepEqual(r.config.rscDefaults, { 'resource-stickiness': '200' });
  const s = r.settings;
  assert.equal(s.transport.links.length, 2);
  assert.deepEqual(s.transport.links[1], { name: 'link1', transport: 'unicast', interface: 'eth1', port: 694, ttl: 1, loop: false, peers: [] });
  assert.deepEqual(s.nodes[1], { name: 'beta', id: 2, addresses: ['192.0.2.2', '198.51.100.2'], votes: 1 });
  assert.deepEqual(s.membership, { keepaliveMs: 250, warntimeMs: 750, deadtimeMs: 1000, initdeadMs: 10_000 });
  assert.deepEqual(s.quorum, { twoNode: true, waitForAll: true });
  assert.deepEqual(s.fencing, { enabled: true, delayMs: { alpha: 5000 } });
  assert.deepEqual(s.paths, { config: 'web.yaml', stateDir: '/var/lib/vigil', runtimeDir: '/run/vigil' });
  assert.equal(s.transport.authkeyFile, '/etc/vigil/authkey');
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.cib.status, { haveQuorum: false, nodes: [], tickets: {} });
});

test('the documented three-node example loads: promotable clone, rules, date expressions, roles', () => {
  const r = loadVigilYaml(docExamples()[1], 'shop.yaml');
  const db = r.config.resources[0] as Clone;
  assert.equal(db.kind, 'clone');
  assert.equal(db.promotable, true);
  assert.equal((db.child as Primitive).operations[0].role, 'Promoted');
  const colo = r.config.constraints[0];
  assert.equal(colo.kind, 'colocation');
  assert.equal(colo.kind === 'colocation' && colo.withRscRole, 'Promoted');
  const order = r.config.constraints[1];
  assert.ok(order.kind === 'order' && order.firstAction === 'promote' && order.thenAction === 'start' && order.symmetrical);
  const ban = r.config.constraints[2] as LocationConstraint;
  assert.equal(ban.rules[0].score, -INFINITY);
  assert.deepEqual(ban.rules[0].expressions, [{ kind: 'attribute', attribute: 'rack', operation: 'eq', value: 'a' }]);
  const timed = r.config.constraints[3] as LocationConstraint;
  assert.deepEqual(timed.rules[0].expressions[1], { kind: 'date', operation: 'date_spec', dateSpec: { hours: '8-18', weekdays: '1-5' } });
  assert.equal(r.settings.fencing.watchdogTimeoutMs, 10_000);
  assert.equal(r.config.properties['stonith-watchdog-timeout'], '10s');
  assert.deepEqual(r.settings.membership, { keepaliveMs: 200, warntimeMs: 600, deadtimeMs: 1000, initdeadMs: 10_000 });
  assert.deepEqual(r.config.nodes[2].attributes, { rack: 'b' });
});

test('YAML syntax errors name file, line and column', () => {
  const errs = errorsOf('cluster:\n  name: [unclosed\n  nodes: x\n', 'broken.yaml');
  assert.ok(errs.length >= 1);
  assert.match(errs[0], /^broken\.yaml:\d+:\d+: /);
  assert.match(errs[0], /valid YAML/);
});

test('a duplicate key is named, with its position', () => {
  assert.deepEqual(errorsOf('cluster:\n  name: a\n  name: b\n', 'dup.yaml'), ['dup.yaml:3:3: duplicate key "name" (expected each key once in a mapping)']);
});

test('an empty file and a non-mapping are reported', () => {
  assert.match(errorsOf('', 'e.yaml')[0], /^e\.yaml:1:1: the file is empty/);
  assert.match(errorsOf('- a\n- b\n', 'l.yaml')[0], /the top level is not a mapping/);
});

test('unknown fields are reported at the key, with the field path and a suggestion', () => {
  const errs = errorsOf(`${base}resources:
  - primitive: vip
    agent: ocf:heartbeat:IPaddr2
    parms: { ip: 192.0.2.10 }
    ops:
      - { name: monitor, interval: 10s, on-fail: restart }
`);
  assert.ok(errs.includes('bad.yaml:12:5: resources[0].parms: unknown field "parms" — did you mean "params"? (expected one of primitive, agent, description, params, meta, ops, utilization)'), errs.join('\n'));
  assert.ok(errs.some((e) => e.startsWith('bad.yaml:14:41: resources[0].ops[0]["on-fail"]: unknown field "on-fail" — did you mean "on_fail"?')), errs.join('\n'));
});

test('wrong types, bad scores, bad durations and bad enums: every error, each with line, column, path and expectation', () => {
  const errs = errorsOf(`cluster:
  name: t
  nodes:
    - name: alpha
      votes: many
      addresses: [192.0.2.1]
  timing: { keepalive: 3 secs }
  no_quorum_policy: stpo
resources:
  - primitive: vip
    agent: IPaddr2
    ops:
      - { name: monitor, interval: soon }
constraints:
  - location: vip
    node: alpha
    score: lots
`);
  const expect = [
    'bad.yaml:5:14: cluster.nodes[0].votes: wrong type: "many" (expected a number)',
    'bad.yaml:7:24: cluster.timing.keepalive: invalid value "3 secs" (expected a duration such as 500ms, 10s, 5min, 1h or a number of seconds)',
    'bad.yaml:8:21: cluster.no_quorum_policy: "stpo" is not allowed — did you mean "stop"? (expected one of stop, freeze, ignore, suicide, demote)',
    'bad.yaml:11:12: resources[0].agent: invalid value "IPaddr2"',
    'bad.yaml:13:36: resources[0].ops[0].interval: invalid value "soon" (expected a duration',
    'bad.yaml:17:12: constraints[0].score: invalid value "lots" (expected a score: an integer, INFINITY or -INFINITY)',
  ];
  for (const e of expect) assert.ok(errs.some((x) => x.startsWith(e)), `missing: ${e}\n got:\n${errs.join('\n')}`);
  assert.equal(errs.length, expect.length, errs.join('\n'));
});

test('missing required fields and unrecognised entries are reported where they belong', () => {
  const errs = errorsOf(`cluster:
  nodes:
    - addresses: [192.0.2.1]
resources:
  - prim: vip
    agent: lsb:httpd
  - group: g
`);
  assert.ok(errs.some((e) => /^bad\.yaml:2:3: cluster\.name: missing required field/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^bad\.yaml:3:7: cluster\.nodes\[0\]\.name: missing required field/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^bad\.yaml:5:5: resources\[0\]: unrecognized entry with key\(s\) prim, agent \(expected a resource: a mapping with one of the keys primitive:, group:, clone:\)/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^bad\.yaml:7:5: resources\[1\]\.members: missing required field/.test(e)), errs.join('\n'));
});

test('semantic errors: duplicate ids, group member defined twice, unknown resources and nodes', () => {
  const errs = errorsOf(`${base}resources:
  - primitive: vip
    agent: builtin:vip
  - group: web
    members:
      - { primitive: site, agent: systemd:nginx }
      - { primitive: vip, agent: builtin:vip }
  - group: other
    members:
      - { primitive: site, agent: systemd:nginx }
constraints:
  - colocation: web
    with: vpi
  - location: web
    node: gamma
  - order: web
    then: ghost
  - { colocation: web, with: vip, id: same }
  - { order: vip, then: web, id: same }
`);
  const expect = [
    'bad.yaml:15:22: resources[1].members[1].primitive: resource id "vip" is defined twice (first at line 10) (expected unique resource ids)',
    'bad.yaml:18:22: resources[2].members[0].primitive: resource id "site" is defined twice (first at line 14)',
    'bad.yaml:21:11: constraints[0].with: unknown resource "vpi" — did you mean "vip"?',
    'bad.yaml:23:11: constraints[1].node: unknown node "gamma" (expected a node from cluster.nodes (alpha, beta))',
    'bad.yaml:25:11: constraints[2].then: unknown resource "ghost"',
    'bad.yaml:27:34: constraints[4].id: constraint id "same" is used twice (also constraints[3])',
  ];
  for (const e of expect) assert.ok(errs.some((x) => x.startsWith(e)), `missing: ${e}\n got:\n${errs.join('\n')}`);
});

test('settings are checked: link addresses, multicast group, timing order, two_node', () => {
  const errs = errorsOf(`cluster:
  name: t
  nodes:
    - { name: a, addresses: [192.0.2.1] }
    - { name: b, addresses: [192.0.2.2] }
    - { name: c }
  links:
    - { transport: multicast }
  timing: { keepalive: 2s, warntime: 1s, deadtime: 5s, initdead: 10s }
  quorum: { two_node: true }
`);
  assert.ok(errs.some((e) => e.startsWith('bad.yaml:8:7: cluster.links[0].group: a multicast link needs a group address')), errs.join('\n'));
  assert.ok(errs.some((e) => e.startsWith('bad.yaml:9:38: cluster.timing.warntime: warntime (1s) is shorter than keepalive (2s)')), errs.join('\n'));
  assert.ok(errs.some((e) => e.startsWith('bad.yaml:10:23: cluster.quorum.two_node: two_node needs exactly two voting nodes (there are 3)')), errs.join('\n'));
  const unicast = errorsOf(`cluster:
  name: t
  nodes:
    - { name: a, addresses: [192.0.2.1] }
    - { name: b }
`);
  assert.ok(unicast.some((e) => /cluster\.nodes: unicast link link0 has no address for node\(s\) b/.test(e)), unicast.join('\n'));
});

test('structured fields own their properties: stonith-enabled in properties is refused', () => {
  const errs = errorsOf(`${base}  properties:
    stonith-enabled: false
`);
  assert.ok(errs.some((e) => e.startsWith('bad.yaml:10:22: cluster.properties["stonith-enabled"]: set cluster.fencing.enabled instead')), errs.join('\n'));
});

test('unsafe settings load with warnings that say why', () => {
  const r = loadVigilYaml(`cluster:
  name: t
  nodes:
    - { name: a, addresses: [192.0.2.1] }
    - { name: b, addresses: [192.0.2.2] }
  fencing: { enabled: false }
  no_quorum_policy: ignore
`, 'w.yaml');
  const text = r.warnings.map((w) => `${w.where?.line}: ${w.message}`).join('\n');
  assert.match(text, /6: fencing is disabled: .*split-brain/);
  assert.match(text, /7: no_quorum_policy ignore: .*split-brain/);
  assert.match(text, /two voting nodes without two_node or a witness/);
  assert.equal(r.config.properties['stonith-enabled'], 'false');
  assert.equal(r.settings.noQuorumPolicy, 'ignore');
});

test('two_node with fence devices warns when both nodes have the same fence delay (they would fence each other at once)', () => {
  const yaml = (delay: string) => loadVigilYaml(`cluster:
  name: t
  nodes:
    - { name: a, addresses: [192.0.2.1] }
    - { name: b, addresses: [192.0.2.2] }
  quorum: { two_node: true }
  fencing:
    ${delay}
    devices:
      - { device: power, agent: fence_dummy, hosts: [a, b] }
`, 'w.yaml').warnings.map((w) => `${w.where?.line}: ${w.message}`).join('\n');
  assert.match(yaml(''), /^\d+: two_node with fence devices and the same fencing.delay for both nodes/m);
  assert.match(yaml('delay: { a: 5s, b: 5s }'), /same fencing.delay/);
  assert.doesNotMatch(yaml('delay: { a: 5s }'), /same fencing.delay/);
});

test('defaults: generated ids, order then_action follows first_action, Serialize is not symmetrical', () => {
  const r = loadVigilYaml(`${base}resources:
  - { primitive: a, agent: builtin:dummy }
  - { primitive: b, agent: builtin:dummy }
constraints:
  - { order: a, then: b, first_action: promote }
  - { order: a, then: b, kind: Serialize }
  - { colocation: b, with: a }
  - { location: a, node: alpha }
`, 'd.yaml');
  const [o1, o2, c, l] = r.config.constraints;
  assert.deepEqual([o1.id, o2.id, c.id, l.id], ['order-a-then-b', 'order-a-then-b-2', 'colocation-b-with-a', 'location-a-alpha']);
  assert.ok(o1.kind === 'order' && o1.thenAction === 'promote' && o1.symmetrical);
  assert.ok(o2.kind === 'order' && !o2.symmetrical);
  assert.ok(c.kind === 'colocation' && c.score === INFINITY);
  assert.ok(l.kind === 'location' && l.score === INFINITY);
});

test('a witness address with and without port; IPv6 in brackets', () => {
  const load = (w: string) => loadVigilYaml(`cluster:
  name: t
  nodes:
    - { name: a, addresses: [192.0.2.1] }
    - { name: b, addresses: [192.0.2.2] }
  quorum: { witness: "${w}" }
`, 'w.yaml').settings.quorum.witness;
  assert.deepEqual(load('192.0.2.9'), { address: '192.0.2.9', port: 694 });
  assert.deepEqual(load('witness.example:7000'), { address: 'witness.example', port: 7000 });
  assert.deepEqual(load('[2001:db8::1]:695'), { address: '2001:db8::1', port: 695 });
});

test('schema errors and reference errors are reported together in one run', () => {
  const errs = errorsOf(`cluster:
  name: t
  nodes:
    - { name: a, addresses: [192.0.2.1], vots: 1 }
resources:
  - { primitive: vip, agent: builtin:vip, ops: [{ name: monitor, interval: x }] }
  - { primitive: vip, agent: builtin:vip }
constraints:
  - { location: vpi, node: b }
`);
  assert.deepEqual(errs.map((e) => e.split(': ').slice(0, 2).join(': ')), [
    'bad.yaml:4:42: cluster.nodes[0].vots',
    'bad.yaml:6:76: resources[0].ops[0].interval',
    'bad.yaml:7:18: resources[1].primitive',
    'bad.yaml:9:17: constraints[0].location',
    'bad.yaml:9:28: constraints[0].node',
  ]);
});

test('numbers in params, meta and rule values keep their text (0644 stays 0644, 1.10 stays 1.10)', () => {
  const r = loadVigilYaml(`${base}resources:
  - primitive: fs
    agent: ocf:heartbeat:Filesystem
    params: { mode: 0644, version: 1.10, count: 5, flag: true }
    meta: { priority: 010 }
constraints:
  - location: fs
    rules:
      - match: [{ attribute: kernel, operation: gte, value: 5.10, type: version }]
`, 'n.yaml');
  const fs = r.config.resources[0] as Primitive;
  assert.deepEqual(fs.params, { mode: '0644', version: '1.10', count: '5', flag: 'true' });
  assert.deepEqual(fs.meta, { priority: '010' });
  const rule = (r.config.constraints[0] as LocationConstraint).rules[0];
  assert.deepEqual(rule.expressions[0], { kind: 'attribute', attribute: 'kernel', operation: 'gte', value: '5.10', type: 'version' });
});
