import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadVigilYaml } from '../../src/config/vigil/load.js';
import { toVigilYaml } from '../../src/config/vigil/emit.js';

type Doc = Record<string, unknown>;

const name = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const attrValue = fc.oneof(fc.stringMatching(/^[ -~]{0,12}$/), fc.integer({ min: -5, max: 500 }), fc.boolean());
const attrMap = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/), attrValue, { maxKeys: 3 });
const score = fc.oneof(fc.integer({ min: -999_999, max: 999_999 }), fc.constantFrom('INFINITY', '-INFINITY', '+INFINITY', 'inf'));
const duration = fc.oneof(fc.integer({ min: 0, max: 3600 }), fc.constantFrom('500ms', '10s', '5min', '1h', 'PT30S', '2s', '0'));
const role = fc.constantFrom('Started', 'Promoted', 'Unpromoted', 'Stopped');
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

/** Drop undefined fields (YAML cannot hold them). */
function clean<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

const opArb = fc.record({
  name: fc.constantFrom('monitor', 'start', 'stop', 'promote', 'notify'),
  interval: opt(fc.constantFrom('10s', '20s', 30, '1min')),
  timeout: opt(duration),
  role: opt(role),
  on_fail: opt(fc.constantFrom('restart', 'ignore', 'block', 'fence', 'stop')),
  enabled: opt(fc.boolean()),
  meta: opt(attrMap),
});

function primitiveArb(id: string): fc.Arbitrary<Doc> {
  return fc.record({
    agent: fc.constantFrom('ocf:heartbeat:IPaddr2', 'lsb:httpd', 'systemd:nginx', 'builtin:vip', 'heartbeat:IPaddr', 'ocf:pacemaker:Stateful', 'stonith:fence_virsh'),
    params: opt(attrMap),
    meta: opt(attrMap),
    ops: opt(fc.uniqueArray(opArb, { maxLength: 3, selector: (o) => `${o.name}/${o.interval ?? 0}` })),
    utilization: opt(attrMap),
  }).map((p) => clean({ primitive: id, ...p }));
}

/** A resource tree with ids r<n>, drawn from `k`. */
function resourceArb(i: number): fc.Arbitrary<Doc> {
  return fc.constantFrom('primitive', 'group', 'clone').chain((kind): fc.Arbitrary<Doc> => {
    if (kind === 'primitive') return primitiveArb(`r${i}`);
    if (kind === 'group') {
      return fc.tuple(fc.integer({ min: 1, max: 3 }), opt(attrMap)).chain(([n, meta]) =>
        fc.tuple(...Array.from({ length: n }, (_, j) => primitiveArb(`r${i}m${j}`))).map((members) => clean({ group: `g${i}`, members, meta })));
    }
    return fc.tuple(fc.boolean(), opt(attrMap), fc.boolean()).chain(([promotable, meta, grouped]) =>
      (grouped ? primitiveArb(`r${i}c0`).map((m) => ({ group: `g${i}c`, members: [m] })) : primitiveArb(`r${i}c`))
        .map((child) => clean({ clone: `c${i}`, promotable, meta, resource: child })));
  });
}

function topIds(resources: Doc[]): string[] {
  return resources.map((r) => String(r.primitive ?? r.group ?? r.clone));
}

function constraintArb(ids: string[], nodes: string[]): fc.Arbitrary<Doc> {
  const rid = fc.constantFrom(...ids);
  const node = fc.constantFrom(...nodes);
  const expr = fc.oneof(
    fc.tuple(fc.constantFrom('#uname', 'site', 'pingd'), fc.constantFrom('eq', 'ne', 'lt', 'gte'), fc.stringMatching(/^[a-z0-9]{1,5}$/)).map(([a, o, v]) => `${a} ${o} ${v}`),
    fc.constantFrom('defined pingd', 'not_defined site'),
    fc.record({ attribute: fc.constantFrom('site', 'ram'), operation: fc.constantFrom('gt', 'eq'), value: fc.stringMatching(/^[0-9]{1,3}$/), type: opt(fc.constantFrom('integer', 'string', 'version')) }).map(clean),
    fc.constant({ date: 'in_range', start: '2026-01-01', duration: { days: 2 } }),
    fc.constant({ date: 'date_spec', spec: { hours: '9-17', weekdays: '1-5' } }),
    fc.constant({ rule: { boolean: 'or', match: ['#uname eq a', 'defined x'] } }),
  );
  const rule = fc.record({ score: opt(score), boolean: opt(fc.constantFrom('and', 'or')), role: opt(role), match: fc.array(expr, { minLength: 1, maxLength: 3 }) }).map(clean);
  return fc.oneof(
    fc.record({ location: rid, node, score: opt(score), role: opt(role), discovery: opt(fc.constantFrom('always', 'never', 'exclusive')) }).map(clean),
    fc.record({ location: rid, rules: fc.array(rule, { minLength: 1, maxLength: 2 }) }),
    fc.record({ location_pattern: fc.constantFrom('^r', 'g[0-9]+'), node, score: opt(score) }).map(clean),
    fc.tuple(rid, rid).filter(([a, b]) => a !== b).chain(([a, b]) => fc.record({ score: opt(score), role: opt(role), with_role: opt(role), influence: opt(fc.boolean()), node_attribute: opt(fc.constant('site')) })
      .map((o) => clean({ colocation: a, with: b, ...o }))),
    fc.tuple(rid, rid).filter(([a, b]) => a !== b).chain(([a, b]) => fc.record({ first_action: opt(fc.constantFrom('start', 'promote')), then_action: opt(fc.constantFrom('start', 'stop')), kind: opt(fc.constantFrom('Mandatory', 'Optional', 'Serialize')), symmetrical: opt(fc.boolean()) })
      .map((o) => clean({ order: a, then: b, ...o }))),
    fc.array(fc.record({ resources: fc.uniqueArray(rid, { minLength: 1, maxLength: 3 }), sequential: opt(fc.boolean()), require_all: opt(fc.boolean()), role: opt(role) }).map(clean), { minLength: 1, maxLength: 2 })
      .chain((sets) => fc.record({ score: opt(score) }).map((o) => clean({ colocation_sets: sets, ...o }))),
    fc.array(fc.record({ resources: fc.uniqueArray(rid, { minLength: 1, maxLength: 3 }), action: opt(fc.constantFrom('start', 'stop')) }).map(clean), { minLength: 1, maxLength: 2 })
      .chain((sets) => fc.record({ kind: opt(fc.constantFrom('Mandatory', 'Optional')), symmetrical: opt(fc.boolean()) }).map((o) => clean({ order_sets: sets, ...o }))),
  );
}

const docArb: fc.Arbitrary<Doc> = fc.record({
  nodeNames: fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
  linkKinds: fc.array(fc.constantFrom('unicast', 'multicast', 'broadcast'), { minLength: 1, maxLength: 2 }),
  nResources: fc.integer({ min: 0, max: 4 }),
  keepalive: fc.integer({ min: 100, max: 2000 }),
  factors: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
  nqp: fc.constantFrom('stop', 'freeze', 'ignore', 'suicide', 'demote'),
  fencingEnabled: fc.boolean(),
  watchdog: opt(fc.constantFrom('10s', '5s', 60)),
  props: opt(fc.dictionary(fc.constantFrom('symmetric-cluster', 'start-failure-is-fatal', 'placement-strategy', 'maintenance-mode'), fc.constantFrom('true', 'false', 'balanced'))),
  rscDefaults: opt(attrMap),
  opDefaults: opt(attrMap),
  twoNode: fc.boolean(),
  explicitIds: fc.boolean(),
  paths: opt(fc.record({ state_dir: fc.constant('/tmp/vigil/state'), runtime_dir: fc.constant('/tmp/vigil/run') })),
  cipher: opt(fc.constantFrom('none', 'aes-256-gcm')),
}).chain((p) => {
  const resources = fc.tuple(...Array.from({ length: p.nResources }, (_, i) => resourceArb(i)));
  return resources.chain((rs) => {
    const ids = topIds(rs);
    const constraints = ids.length >= 2
      ? fc.array(fc.tuple(constraintArb(ids, p.nodeNames), fc.boolean()), { maxLength: 4 }).map((cs) => cs.map(([c, named], i) => (named ? { ...c, id: `k${i}` } : c)))
      : fc.constant([]);
    return constraints.map((cs) => {
      const [f1, f2, f3] = p.factors;
      const links = p.linkKinds.map((k, i) => clean({
        transport: k, port: 694 + i, interface: k === 'broadcast' ? `eth${i}` : undefined, group: k === 'multicast' ? `239.255.0.${i + 1}` : undefined,
      }));
      const nodes = p.nodeNames.map((n, i) => clean({ name: n, id: p.explicitIds ? 10 + i : undefined, addresses: links.map((_, j) => `192.0.${j + 2}.${i + 1}`), votes: i === 0 ? 1 : undefined, attributes: i === 0 ? { site: 'a' } : undefined }));
      const cluster = clean({
        name: 'c1', nodes, links,
        crypto: p.cipher === undefined ? undefined : { cipher: p.cipher },
        timing: { keepalive: `${p.keepalive}ms`, warntime: `${p.keepalive * f1}ms`, deadtime: `${p.keepalive * f1 * f2}ms`, initdead: `${p.keepalive * f1 * f2 * f3}ms` },
        quorum: p.twoNode && p.nodeNames.length === 2 ? { two_node: true } : undefined,
        fencing: { enabled: p.fencingEnabled, watchdog_timeout: p.watchdog, delay: { [p.nodeNames[0]]: '5s' } },
        no_quorum_policy: p.nqp,
        properties: p.props,
        paths: p.paths,
      });
      return clean({ cluster, resources: rs, constraints: cs, defaults: { resources: p.rscDefaults, operations: p.opDefaults } });
    });
  });
});

const strip = (o: unknown): unknown => JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === 'origin' ? undefined : v)));

test('round trip: loading the emitted YAML gives back the same model and settings', () => {
  fc.assert(fc.property(docArb, (doc) => {
    const x = loadVigilYaml(stringify(doc), 'gen.yaml');
    const text = toVigilYaml(x.config, x.settings);
    const y = loadVigilYaml(text, 'gen.yaml');
    assert.deepEqual(strip(y.config), strip(x.config));
    assert.deepEqual(y.settings, x.settings);
    // Emitting is stable: the second emission is the same text.
    assert.equal(toVigilYaml(y.config, y.settings), text);
  }), { numRuns: 150 });
});
