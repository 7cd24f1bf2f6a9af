/**
 * Property tests over random small clusters: the scheduler is deterministic, never places an
 * instance on a node it is banned from, never inverts a mandatory order, and honours every
 * INFINITY colocation (or stops the dependent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Cib, Constraint, Group, Resource } from '../../src/model/cluster.js';
import { INFINITY, MINUS_INFINITY } from '../../src/model/score.js';
import { schedule } from '../../src/scheduler/schedule.js';
import { toCanonical } from '../../src/scheduler/canonical.js';
import { cluster, coloc, loc, op, order, prim } from './helpers.js';

const NOW = 1_700_000_000;
const SCORES = [MINUS_INFINITY, -100, 0, 10, 100, INFINITY];

const arbCib: fc.Arbitrary<Cib> = fc.record({
  nodeCount: fc.integer({ min: 1, max: 4 }),
  rscCount: fc.integer({ min: 1, max: 6 }),
  groupFirst: fc.boolean(),
  locs: fc.array(fc.tuple(fc.nat(5), fc.nat(3), fc.constantFrom(...SCORES)), { maxLength: 6 }),
  colocs: fc.array(fc.tuple(fc.nat(5), fc.nat(5), fc.constantFrom(MINUS_INFINITY, -50, 50, INFINITY)), { maxLength: 4 }),
  orders: fc.array(fc.tuple(fc.nat(5), fc.nat(5), fc.boolean()), { maxLength: 4 }),
  running: fc.array(fc.tuple(fc.nat(5), fc.nat(3), fc.boolean()), { maxLength: 6 }),
  standby: fc.array(fc.nat(3), { maxLength: 2 }),
  offline: fc.array(fc.nat(3), { maxLength: 1 }),
  stickiness: fc.constantFrom('0', '50', '200'),
}).map((g) => {
  const nodes = Array.from({ length: g.nodeCount }, (_, i) => `n${i + 1}`);
  const ids = Array.from({ length: g.rscCount }, (_, i) => `r${i + 1}`);
  const resources: Resource[] = [];
  let rest = ids;
  if (g.groupFirst && ids.length >= 3) {
    const grp: Group = { kind: 'group', id: 'g', meta: {}, members: ids.slice(0, 2).map((id) => prim(id)) };
    resources.push(grp);
    rest = ids.slice(2);
  }
  for (const id of rest) resources.push(prim(id));
  const top = resources.map((r) => r.id);
  const pick = (i: number): string => top[i % top.length];
  const constraints: Constraint[] = [];
  g.locs.forEach(([r, n, s], i) => constraints.push(loc(`l${i}`, pick(r), nodes[n % nodes.length], s)));
  g.colocs.forEach(([d, p, s], i) => { if (pick(d) !== pick(p)) constraints.push(coloc(`c${i}`, pick(d), pick(p), s)); });
  g.orders.forEach(([f, t, m], i) => { if (pick(f) !== pick(t)) constraints.push(order(`o${i}`, pick(f), pick(t), m ? 'Mandatory' : 'Optional')); });
  const history: Record<string, Record<string, ReturnType<typeof op>[]>> = {};
  for (const [r, n, failed] of g.running) {
    const node = nodes[n % nodes.length];
    const id = ids[r % ids.length];
    history[node] ??= {};
    history[node][id] = failed ? [op('start'), op('monitor', 7, { intervalMs: 10_000 })] : [op('start')];
  }
  return cluster({
    nodes, resources, constraints, history,
    standby: g.standby.map((i) => nodes[i % nodes.length]),
    offline: g.offline.map((i) => nodes[i % nodes.length]).filter((n) => n !== nodes[0]),
    rscDefaults: { 'resource-stickiness': g.stickiness },
  });
});

test('the scheduler is deterministic', () => {
  fc.assert(fc.property(arbCib, (cib) => {
    const a = JSON.stringify(toCanonical(schedule(cib, NOW)));
    const b = JSON.stringify(toCanonical(schedule(structuredClone(cib), NOW)));
    assert.equal(a, b);
  }), { numRuns: 150 });
});

test('no instance ends up on a node where a location constraint says -INFINITY', () => {
  fc.assert(fc.property(arbCib, (cib) => {
    const r = schedule(cib, NOW);
    const banned = new Set<string>();
    for (const c of cib.config.constraints) {
      if (c.kind !== 'location' || c.score !== MINUS_INFINITY || c.node === undefined) continue;
      const res = cib.config.resources.find((x) => x.id === c.rsc);
      const prims = res?.kind === 'group' ? res.members.map((m) => m.id) : [c.rsc];
      for (const p of prims) banned.add(`${p}@${c.node}`);
    }
    for (const p of r.placements) {
      // Only newly started instances must respect it; a blocked stop may leave one in place.
      const started = r.transition.actions.some((a) => a.task === 'start' && a.rsc?.id === p.instance && a.node === p.node && !a.optional);
      if (started) assert.ok(!banned.has(`${p.rsc}@${p.node}`), `${p.rsc} started on banned ${p.node}`);
      else assert.ok(!banned.has(`${p.rsc}@${p.node}`) || r.current.some((c) => c.instance === p.instance && c.node === p.node), `${p.rsc} on banned ${p.node}`);
    }
  }), { numRuns: 200 });
});

test('no mandatory order is inverted: an executed then-start is ordered after an executed first-start', () => {
  fc.assert(fc.property(arbCib, (cib) => {
    const r = schedule(cib, NOW);
    const t = r.transition;
    const executed = (a: { optional: boolean; runnable: boolean }): boolean => !a.optional && a.runnable;
    for (const c of cib.config.constraints) {
      if (c.kind !== 'order' || c.orderKind !== 'Mandatory') continue;
      const firstPrims = primitiveIds(cib, c.first);
      const thenPrims = primitiveIds(cib, c.then);
      const fStarts = t.actions.filter((a) => a.task === 'start' && a.rsc && firstPrims.includes(a.rsc.id) && executed(a));
      const tStarts = t.actions.filter((a) => a.task === 'start' && a.rsc && thenPrims.includes(a.rsc.id) && executed(a));
      if (fStarts.length === 0 || tStarts.length === 0) continue;
      // Some chain of edges through executed actions (what the controller waits on) must lead from a first start to each then start.
      for (const ts of tStarts) assert.ok(reachable(t.edges, fStarts.map((a) => a.id), ts.id, new Set(t.actions.filter(executed).map((a) => a.id))), `order ${c.id}: ${ts.rsc?.id} start not after ${c.first} start`);
      // And a then-start must never be runnable while the first cannot start at all.
    }
  }), { numRuns: 200 });
});

test('a symmetrical mandatory order stops the other way round: every executed first-stop waits for every executed then-stop', () => {
  // The controller only waits on edges whose first action is in the graph, so the chain must run
  // through executed actions (a member that is not active has no stop to pass the order on).
  fc.assert(fc.property(arbCib, (cib) => {
    const r = schedule(cib, NOW);
    const t = r.transition;
    const executed = (a: { optional: boolean; runnable: boolean; node: string | null }): boolean => !a.optional && a.runnable && a.node !== null;
    const inGraph = new Set(t.actions.filter(executed).map((a) => a.id));
    for (const c of cib.config.constraints) {
      if (c.kind !== 'order' || c.orderKind !== 'Mandatory' || !c.symmetrical) continue;
      const firstPrims = primitiveIds(cib, c.first);
      const thenPrims = primitiveIds(cib, c.then);
      const fStops = t.actions.filter((a) => a.task === 'stop' && a.rsc && firstPrims.includes(a.rsc.id) && executed(a) && !a.pseudo);
      const tStops = t.actions.filter((a) => a.task === 'stop' && a.rsc && thenPrims.includes(a.rsc.id) && executed(a) && !a.pseudo);
      for (const fs of fStops) {
        for (const ts of tStops) assert.ok(reachable(t.edges, [ts.id], fs.id, inGraph), `order ${c.id}: stop of ${fs.rsc?.id} on ${fs.node} not after stop of ${ts.rsc?.id} on ${ts.node}`);
      }
    }
  }), { numRuns: 300 });
});

test('order web then report: a stop of any web member waits for report\'s stop, also when the last member is not active', () => {
  // vigil sim --whole seed 304: app had stopped by itself; fs and report were restarted and the
  // stop of fs began while report's stop was still running.
  const web: Group = { kind: 'group', id: 'web', meta: {}, members: [prim('ip'), prim('fs'), prim('app')] };
  const cib = cluster({
    nodes: ['n1'], resources: [web, prim('report')], constraints: [order('o', 'web', 'report')],
    history: { n1: { ip: [op('start'), op('monitor', 7, { intervalMs: 10_000 })], fs: [op('start')], report: [op('start')] } },
  });
  const t = schedule(cib, NOW).transition;
  const act = (rsc: string, task: string) => t.actions.find((a) => a.rsc?.id === rsc && a.task === task && !a.optional && a.runnable);
  const [ipStop, fsStop, reportStop] = [act('ip', 'stop'), act('fs', 'stop'), act('report', 'stop')];
  assert.ok(ipStop && fsStop && reportStop, 'ip is recovered, fs and report restart');
  const inGraph = new Set(t.actions.filter((a) => !a.optional && a.runnable).map((a) => a.id));
  assert.ok(reachable(t.edges, [reportStop.id], fsStop.id, inGraph), 'fs stops after report');
  assert.ok(reachable(t.edges, [reportStop.id], ipStop.id, inGraph), 'ip stops after report');
});

test('an INFINITY colocation is honoured, or the dependent is stopped', () => {
  fc.assert(fc.property(arbCib, (cib) => {
    const r = schedule(cib, NOW);
    const nodesOf = (id: string): Set<string> => new Set(r.placements.filter((p) => primitiveIds(cib, id).includes(p.rsc)).map((p) => p.node));
    for (const c of cib.config.constraints) {
      if (c.kind !== 'colocation' || c.score !== INFINITY) continue;
      const dep = nodesOf(c.rsc);
      const pri = nodesOf(c.withRsc);
      // A dependent that was newly placed must sit with its primary.
      const depStarted = r.transition.actions.some((a) => a.task === 'start' && a.rsc && primitiveIds(cib, c.rsc).includes(a.rsc.id) && !a.optional && a.runnable);
      if (!depStarted) continue;
      for (const n of dep) assert.ok(pri.has(n), `colocation ${c.id}: ${c.rsc} on ${n} without ${c.withRsc}`);
    }
  }), { numRuns: 200 });
});

function primitiveIds(cib: Cib, id: string): string[] {
  const r = cib.config.resources.find((x) => x.id === id);
  if (!r) return [id];
  if (r.kind === 'group') return r.members.map((m) => m.id);
  return [r.id];
}

/** Whether a chain of edges leads from one of `from` to `to` (only through `via`, when given). */
function reachable(edges: ReturnType<typeof schedule>['transition']['edges'], from: number[], to: number, via?: Set<number>): boolean {
  const next = new Map<number, number[]>();
  for (const e of edges) for (const f of e.first) for (const t of e.then) next.set(f.id, [...(next.get(f.id) ?? []), t.id]);
  const seen = new Set<number>(from);
  const queue = [...from];
  while (queue.length > 0) {
    const x = queue.shift() as number;
    if (x === to) return true;
    for (const y of next.get(x) ?? []) if (!seen.has(y) && (!via || via.has(y))) { seen.add(y); queue.push(y); }
  }
  return false;
}
