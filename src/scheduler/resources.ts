/**
 * Builds the working set's resources from the configuration: meta attributes merged from
 * rsc_defaults and parents, clones expanded into instances, and constraints attached to the
 * resources they name (location rules evaluated per node, colocations indexed both ways).
 */
import type { Attributes, Cib, Primitive, Resource, Role } from '../model/cluster.js';
import { INFINITY, addScores, parseScore } from '../model/score.js';
import { metaSeconds, truthy } from './options.js';
import { ruleMatches, ruleScore } from './rules.js';
import type { Colocation, LocationRule, SchedRsc, WorkingSet } from './working-set.js';

export function parseRole(v: string | undefined): Role | undefined {
  if (v === undefined) return undefined;
  switch (v.toLowerCase()) {
    case 'stopped': return 'Stopped';
    case 'started': return 'Started';
    case 'slave': case 'unpromoted': return 'Unpromoted';
    case 'master': case 'promoted': return 'Promoted';
    default: return undefined;
  }
}

function intMeta(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const s = parseScore(v);
  return s === undefined ? dflt : s;
}

let orderCounter = 0;

function newRsc(id: string, baseId: string, variant: SchedRsc['variant'], meta: Attributes, parent: SchedRsc | undefined, ws: WorkingSet): SchedRsc {
  const stick = meta['resource-stickiness'] ?? meta['resource_stickiness'];
  const managed = truthy(meta['is-managed'] ?? meta['is_managed'], true) && !truthy(meta.maintenance) && !ws.options.maintenanceMode;
  // Old configurations set migration-threshold as a cluster option; it still acts as a default.
  const mt = meta['migration-threshold'] ?? ws.legacyMigrationThreshold;
  const r: SchedRsc = {
    id, baseId, variant, parent, children: [], meta, params: {}, operations: [], agentClass: '', order: orderCounter++,
    priority: intMeta(meta.priority, 0),
    stickiness: stick !== undefined && stick !== 'default' ? intMeta(stick, 0) : ws.options.defaultStickiness,
    migrationThreshold: mt === undefined ? INFINITY : intMeta(mt, INFINITY),
    failureTimeoutS: metaSeconds(meta['failure-timeout']) ?? 0,
    targetRole: parseRole(meta['target-role']),
    managed, blocked: false, failureIgnored: false, orphan: false,
    promotable: false, unique: false, cloneMax: 0, cloneNodeMax: 1, cloneMin: 0, promotedMax: 1, promotedNodeMax: 1, interleave: false, ordered: false,
    runningOn: [], role: 'Stopped', roleOn: new Map(), failed: false, failedOn: new Set(), changedOn: new Map(), onFail: 'none', knownOn: new Set(),
    allowed: null, contributions: [], provisional: true, allocating: false, merging: false, allocatedTo: null, nextRole: 'Unknown', nodeCount: new Map(), inheritedColocations: false,
    promotionPriority: 0, sortIndex: 0, withPrimaries: [], withDependents: [], locations: [], notes: [],
  };
  ws.byId.set(id, r);
  return r;
}

function primitiveRsc(p: Primitive, suffix: string, inherited: Attributes, parent: SchedRsc | undefined, ws: WorkingSet): SchedRsc {
  const r = newRsc(p.id + suffix, p.id, 'primitive', { ...inherited, ...p.meta }, parent, ws);
  r.params = p.params;
  r.operations = p.operations;
  r.agentClass = p.agent.class;
  if (p.agent.class === 'stonith') ws.haveStonithResource = true;
  return r;
}

function groupRsc(g: Resource & { kind: 'group' }, suffix: string, inherited: Attributes, parent: SchedRsc | undefined, ws: WorkingSet): SchedRsc {
  const meta = { ...inherited, ...g.meta };
  const r = newRsc(g.id + suffix, g.id, 'group', meta, parent, ws);
  r.children = g.members.map((m) => primitiveRsc(m, suffix, meta, r, ws));
  return r;
}

function buildResource(res: Resource, ws: WorkingSet, nodeCount: number): SchedRsc {
  const defaults = ws.rscDefaults;
  if (res.kind === 'primitive') return primitiveRsc(res, '', defaults, undefined, ws);
  if (res.kind === 'group') return groupRsc(res, '', defaults, undefined, ws);
  const meta = { ...defaults, ...res.meta };
  const clone = newRsc(res.id, res.id, 'clone', meta, undefined, ws);
  clone.promotable = res.promotable || truthy(meta.promotable);
  // Agents without instance support (LSB, systemd, ...) force a clone to be anonymous.
  const childPrims = res.child.kind === 'primitive' ? [res.child] : res.child.members;
  clone.unique = truthy(meta['globally-unique']) && childPrims.every((p) => p.agent.class === 'ocf' || p.agent.class === 'builtin' || p.agent.class === 'heartbeat');
  clone.cloneMax = intMeta(meta['clone-max'], nodeCount);
  clone.cloneNodeMax = intMeta(meta['clone-node-max'], 1);
  clone.cloneMin = intMeta(meta['clone-min'], 0);
  clone.promotedMax = intMeta(meta['promoted-max'] ?? meta['master-max'], 1);
  clone.promotedNodeMax = intMeta(meta['promoted-node-max'] ?? meta['master-node-max'], 1);
  clone.interleave = truthy(meta.interleave);
  clone.ordered = truthy(meta.ordered);
  // Clone instances are sticky by default (stickiness 1) unless configured otherwise.
  const childMeta = { ...meta };
  if (childMeta['resource-stickiness'] === undefined && childMeta['resource_stickiness'] === undefined && res.child.meta['resource-stickiness'] === undefined) childMeta['resource-stickiness'] = '1';
  for (let i = 0; i < clone.cloneMax; i++) clone.children.push(cloneInstance(res.child, i, childMeta, clone, ws));
  return clone;
}

export function cloneInstance(child: Primitive | (Resource & { kind: 'group' }), i: number, meta: Attributes, clone: SchedRsc, ws: WorkingSet): SchedRsc {
  return child.kind === 'primitive' ? primitiveRsc(child, `:${i}`, meta, clone, ws) : groupRsc(child, `:${i}`, meta, clone, ws);
}

export function buildResources(cib: Cib, ws: WorkingSet): void {
  orderCounter = 0;
  const nodeCount = ws.nodeList.length;
  for (const res of cib.config.resources) ws.resources.push(buildResource(res, ws, nodeCount));
}

/** Attach location, colocation constraints to resources. Order constraints are read by the transition builder. */
export function attachConstraints(cib: Cib, ws: WorkingSet): void {
  const top = new Map(ws.resources.map((r) => [r.id, r]));
  const find = (id: string): SchedRsc | undefined => top.get(id) ?? ws.byId.get(id);
  for (const c of cib.config.constraints) {
    if (c.kind === 'location') {
      const targets = c.rscPattern !== undefined ? ws.resources.filter((r) => safeRegex(c.rscPattern ?? '')?.test(r.id)) : [find(c.rsc)].filter((r): r is SchedRsc => !!r);
      for (const rsc of targets) {
        const scores = new Map<string, number>();
        if (c.node !== undefined && c.rules.length === 0) {
          if (ws.nodes.has(c.node)) scores.set(c.node, c.score ?? 0);
        } else {
          for (const node of ws.nodeList) {
            for (const rule of c.rules) {
              const ctx = { attrs: node.attrs, now: ws.now };
              if (ruleMatches(rule, ctx)) scores.set(node.name, addScores(scores.get(node.name) ?? 0, ruleScore(rule, ctx)));
            }
          }
        }
        const role = c.role ?? c.rules.find((r) => r.role)?.role;
        const loc: LocationRule = { id: c.id, rsc, scores, ...(role ? { role } : {}) };
        rsc.locations.push(loc);
      }
    } else if (c.kind === 'colocation') {
      const dep = find(c.rsc);
      const pri = find(c.withRsc);
      if (!dep || !pri || c.score === 0) continue;
      addColocation(ws, { id: c.id, dependent: dep, primary: pri, score: c.score, dependentRole: c.rscRole, primaryRole: c.withRscRole, nodeAttribute: c.nodeAttribute ?? '#uname', influence: c.influence ?? truthy(dep.meta.critical, true) });
    } else if (c.kind === 'colocation-set') {
      // Within a sequential set each member is placed with the one before it; between sets, every
      // member of a later set is placed with the last member of the set before it... approximated:
      // members of each set are chained; the first of each later set follows the last of the previous.
      let prevLast: SchedRsc | undefined;
      for (const set of c.sets) {
        const members = set.resources.map(find).filter((r): r is SchedRsc => !!r);
        const score = set.score ?? c.score ?? 0;
        if (set.sequential) {
          for (let i = 1; i < members.length; i++) addColocation(ws, { id: c.id, dependent: members[i], primary: members[i - 1], score, dependentRole: set.role, primaryRole: set.role, nodeAttribute: '#uname', influence: true });
        }
        if (prevLast) for (const m of members) addColocation(ws, { id: c.id, dependent: prevLast, primary: m, score, nodeAttribute: '#uname', influence: true });
        if (members.length > 0) prevLast = members[members.length - 1];
      }
    }
  }
}

function safeRegex(p: string): RegExp | undefined {
  try {
    return new RegExp(p);
  } catch {
    return undefined;
  }
}

export function addColocation(ws: WorkingSet, c: Colocation): void {
  if (c.dependent === c.primary) return;
  insertByPriority(c.dependent.withPrimaries, c, (x) => x.primary.priority);
  insertByPriority(c.primary.withDependents, c, (x) => x.dependent.priority);
}

function insertByPriority(list: Colocation[], c: Colocation, prio: (x: Colocation) => number): void {
  let i = list.length;
  while (i > 0 && prio(list[i - 1]) < prio(c)) i--;
  list.splice(i, 0, c);
}
