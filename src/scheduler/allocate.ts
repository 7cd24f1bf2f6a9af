/**
 * Placement ("allocation"): resources in priority order, each after the resources it must be
 * placed with; primitives pick their best node; groups place members in order; clones distribute
 * instances (current locations first, clone-max, clone-node-max); promotable clones then choose
 * which instances to promote (promotion scores, promoted-max, promoted-node-max).
 */
import { INFINITY, MINUS_INFINITY, addScores, type Score } from '../model/score.js';
import { applyColocation, instanceLocation, mergeWeights, primaryLocation } from './colocation.js';
import { addScore, banEverywhere, canRunAny, sortedCandidates } from './scores.js';
import { nodeAvailable, roleRank, type Colocation, type SchedRsc, type WorkingSet } from './working-set.js';

export function allocateAll(ws: WorkingSet): void {
  const order = ws.resources.slice().sort((a, b) => b.priority - a.priority || a.order - b.order);
  for (const r of order) allocate(r, ws, null);
  enforceMandatoryColocations(ws);
}

/**
 * Colocation loops (A with B, B with A) can leave a mandatory colocation unsatisfied after
 * placement. Safety first: a dependent that is not where its INFINITY primary is does not run.
 */
function enforceMandatoryColocations(ws: WorkingSet): void {
  let changed = true;
  for (let round = 0; changed && round < 10; round++) {
    changed = false;
    for (const r of ws.byId.values()) {
      if (r.variant === 'clone' || r.parent?.variant === 'clone' || r.parent?.parent?.variant === 'clone') continue;
      for (const c of r.withPrimaries) {
        if (c.score < INFINITY || c.primary.variant === 'clone' || c.dependent !== r) continue;
        if (c.dependentRole || c.primaryRole) continue;
        const dep = r.variant === 'group' ? r.children[0] : r;
        if (!dep?.allocatedTo) continue;
        const where = primaryLocation(c.primary, c.score);
        const attr = c.nodeAttribute;
        if (where !== null && ws.nodes.get(where)?.attrs[attr] === ws.nodes.get(dep.allocatedTo)?.attrs[attr]) continue;
        for (const p of r.variant === 'group' ? r.children : [r]) {
          if (!p.managed || !p.allocatedTo) continue;
          const n = ws.nodes.get(p.allocatedTo);
          if (n) n.numResources--;
          p.allocatedTo = null;
          p.nextRole = 'Stopped';
          p.notes.push(`stopped: mandatory colocation ${c.id} with ${c.primary.id} cannot be satisfied (colocation loop)`);
          changed = true;
        }
        if (r.variant === 'group') r.allocatedTo = null;
      }
    }
  }
}

export function allocate(r: SchedRsc, ws: WorkingSet, prefer: string | null): string | null {
  if (r.variant === 'clone') { allocateClone(r, ws); return null; }
  if (r.variant === 'group') return allocateGroup(r, ws, prefer);
  return allocatePrimitive(r, ws, prefer, [], []);
}

function wantsStopped(r: SchedRsc): boolean {
  return r.nextRole === 'Stopped' || r.targetRole === 'Stopped';
}

function allocatePrimitive(r: SchedRsc, ws: WorkingSet, prefer: string | null, extraPrimaries: Colocation[], extraDependents: Colocation[]): string | null {
  if (r.parent?.variant === 'group' && r.parent.provisional && !r.parent.allocating) return allocateGroup(r.parent, ws, null) && r.allocatedTo;
  if (!r.provisional) return r.allocatedTo;
  if (r.allocating) return null;
  r.allocating = true;
  if (!r.allowed) r.allowed = new Map();
  for (const c of [...extraPrimaries, ...r.withPrimaries]) {
    const archive: Map<string, Score> | undefined = c.dependentRole === 'Promoted' || (c.score < 0 && c.score > MINUS_INFINITY) ? new Map(r.allowed ?? []) : undefined;
    allocate(c.primary, ws, null);
    applyColocation(r, c, ws);
    if (archive && !canRunAny(r.allowed ?? new Map(), ws)) r.allowed = archive;
  }
  for (const c of [...extraDependents, ...r.withDependents]) {
    if (!c.influence && c.dependent.runningOn.length > 0) continue;
    const before = r.allowed ?? new Map<string, Score>();
    r.allowed = mergeWeights(c.dependent, before, c.nodeAttribute, c.score / INFINITY, { rollback: true, positive: false }, ws);
    for (const [node, w] of r.allowed) {
      const was = before.get(node) ?? 0;
      if (w !== was) r.contributions.push({ node, score: w >= INFINITY || w <= MINUS_INFINITY ? w : w - was, source: `preferences of ${c.dependent.id}, which is colocated with it (${c.id})` });
    }
  }
  if (wantsStopped(r)) {
    banEverywhere(r, ws, r.nextRoleReason ?? 'target-role=Stopped');
    r.nextRole = 'Stopped';
  }
  // Fencing enabled but no fencing device: Pacemaker leaves every resource as it is.
  if (ws.options.stonithEnabled && !ws.haveStonithResource && r.managed) {
    r.managed = false;
    r.notes.push('fencing is enabled but no fencing device is configured: resources are not managed');
  }
  if (!r.managed) {
    const cur = r.runningOn[0] ?? null;
    assign(r, cur, ws);
    r.notes.push(cur ? `unmanaged: stays on ${cur}` : 'unmanaged and inactive');
  } else if (ws.options.stopAllResources) {
    assign(r, null, ws);
    r.notes.push('stop-all-resources is set');
  } else {
    assign(r, chooseNode(r, ws, prefer), ws);
  }
  r.allocating = false;
  return r.allocatedTo;
}

function chooseNode(r: SchedRsc, ws: WorkingSet, prefer: string | null): string | null {
  if (!r.allowed || r.allowed.size === 0) return null;
  const current = r.runningOn[0];
  const list = sortedCandidates(r.allowed, ws, current);
  if (list.length === 0) return null;
  const best = list[0];
  let chosen: [typeof best[0], Score] | undefined;
  if (prefer !== null) {
    const p = list.find(([n]) => n.name === prefer);
    if (p && p[1] >= best[1] && nodeAvailable(p[0])) chosen = p;
  }
  if (!chosen) {
    chosen = best;
    const uniqueInstance = r.parent?.variant === 'clone' && r.parent.unique;
    if (!uniqueInstance && chosen[1] > 0 && current && nodeAvailable(ws.nodes.get(current)) && (r.allowed.get(current) ?? -1) >= 0) {
      for (const entry of list.slice(1)) {
        if (entry[1] !== chosen[1]) break;
        if (entry[0].name === current) chosen = entry;
      }
    }
  }
  if (!nodeAvailable(chosen[0]) || chosen[1] < 0) {
    r.notes.push('no node can run it: all scores are negative or the nodes are unavailable');
    return null;
  }
  return chosen[0].name;
}

function assign(r: SchedRsc, node: string | null, ws: WorkingSet): void {
  r.provisional = false;
  r.allocatedTo = node;
  if (node) {
    const n = ws.nodes.get(node);
    if (n) n.numResources++;
    if (r.nextRole === 'Unknown') r.nextRole = 'Started';
  } else {
    r.nextRole = 'Stopped';
  }
}

function unassign(r: SchedRsc, ws: WorkingSet): void {
  for (const p of r.variant === 'primitive' ? [r] : r.children) {
    if (p.allocatedTo) {
      const n = ws.nodes.get(p.allocatedTo);
      if (n) n.numResources--;
    }
    p.allocatedTo = null;
    p.provisional = true;
    if (p.nextRole === 'Started' || p.nextRole === 'Stopped') p.nextRole = p.targetRole === 'Stopped' ? 'Stopped' : 'Unknown';
  }
  r.provisional = true;
  r.allocatedTo = null;
}

function allocateGroup(g: SchedRsc, ws: WorkingSet, prefer: string | null): string | null {
  if (!g.provisional) return g.allocatedTo;
  if (g.allocating) return null;
  g.allocating = true;
  let first: string | null = null;
  g.children.forEach((m, i) => {
    const extraP = i === 0 ? g.withPrimaries : [];
    const extraD = i === g.children.length - 1 ? g.withDependents : [];
    const node = allocatePrimitive(m, ws, prefer, extraP, extraD);
    if (i === 0) first = node;
  });
  g.allocating = false;
  g.provisional = false;
  g.allocatedTo = first;
  g.nextRole = first ? 'Started' : 'Stopped';
  return first;
}

// ---------------------------------------------------------------------------------------------
// Clones

function instanceRunning(inst: SchedRsc): string[] {
  if (inst.variant === 'primitive') return inst.runningOn;
  const s = new Set<string>();
  for (const m of inst.children) for (const n of m.runningOn) s.add(n);
  return [...s];
}

function instanceFailed(inst: SchedRsc): boolean {
  return inst.variant === 'primitive' ? inst.failed : inst.children.some((m) => m.failed);
}

function allocateClone(clone: SchedRsc, ws: WorkingSet): void {
  if (!clone.provisional || clone.allocating) return;
  clone.allocating = true;
  if (!clone.allowed) clone.allowed = new Map();
  for (const c of clone.withPrimaries) {
    allocate(c.primary, ws, null);
    // Mandatory and negative colocations restrict the clone as a whole.
    if (c.score >= INFINITY || c.score < 0) applyColocation(clone, c, ws);
  }
  for (const c of clone.withDependents) {
    if (!c.influence) continue;
    clone.allowed = mergeWeights(c.dependent, clone.allowed, c.nodeAttribute, c.score / INFINITY, { rollback: true, positive: true }, ws);
  }
  // target-role is honoured per instance: a child's own setting overrides the clone's.
  const instances = clone.children.slice().sort((a, b) => compareInstances(a, b, ws));
  distribute(clone, instances, ws);
  if (clone.promotable) setPromotableRoles(clone, ws);
  else for (const inst of clone.children) setStartedRole(inst);
  clone.allocating = false;
  clone.provisional = false;
}

function setStartedRole(inst: SchedRsc): void {
  for (const p of inst.variant === 'primitive' ? [inst] : inst.children) if (p.nextRole === 'Unknown') p.nextRole = p.allocatedTo ? 'Started' : 'Stopped';
}

function compareInstances(a: SchedRsc, b: SchedRsc, ws: WorkingSet): number {
  const ra = instanceRunning(a);
  const rb = instanceRunning(b);
  if (ra.length > 0 && rb.length > 0 && ra.length !== rb.length) return ra.length - rb.length;
  const ca = ra.length > 0 && nodeAvailable(ws.nodes.get(ra[0]));
  const cb = rb.length > 0 && nodeAvailable(ws.nodes.get(rb[0]));
  if (ca !== cb) return ca ? -1 : 1;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if ((ra.length > 0) !== (rb.length > 0)) return ra.length > 0 ? -1 : 1;
  const fa = instanceFailed(a);
  const fb = instanceFailed(b);
  if (fa !== fb) return fa ? 1 : -1;
  return a.order - b.order;
}

function distribute(clone: SchedRsc, instances: SchedRsc[], ws: WorkingSet): void {
  const max = clone.cloneMax;
  const perHost = clone.cloneNodeMax;
  let available = 0;
  clone.nodeCount = new Map();
  for (const [n] of clone.allowed ?? []) if (nodeAvailable(ws.nodes.get(n))) available++;
  const allColoc = max < available;
  const loopMax = Math.max(1, available > 0 ? Math.floor(max / available) : 1);
  let allocated = 0;
  for (const inst of instances) {
    if (allocated >= max) break;
    const running = instanceRunning(inst);
    if (running.length === 0 || !inst.provisional || instanceFailed(inst)) continue;
    const cur = running[0];
    if (clone.allowed?.has(cur) && (clone.nodeCount.get(cur) ?? 0) < loopMax && canRunInstance(clone, inst, cur, perHost, ws)) {
      if (allocateInstance(clone, inst, cur, allColoc, perHost, ws)) allocated++;
    }
  }
  for (const inst of instances) {
    if (!inst.provisional) continue;
    if (allocated >= max) {
      banEverywhere(inst, ws, `clone-max=${max} reached`);
      markStopped(inst, ws);
      continue;
    }
    if (allocateInstance(clone, inst, null, allColoc, perHost, ws)) allocated++;
  }
}

function markStopped(inst: SchedRsc, ws: WorkingSet): void {
  if (inst.variant === 'group') {
    for (const m of inst.children) assign(m, null, ws);
    inst.provisional = false;
    inst.allocatedTo = null;
    inst.nextRole = 'Stopped';
  } else assign(inst, null, ws);
}

function canRunInstance(clone: SchedRsc, inst: SchedRsc, node: string, limit: number, ws: WorkingSet): boolean {
  let ok = nodeAvailable(ws.nodes.get(node)) && !inst.orphan;
  const parentScore = clone.allowed?.get(node);
  if (parentScore === undefined || parentScore < 0) ok = false;
  if ((clone.nodeCount.get(node) ?? 0) >= limit) ok = false;
  if (!ok && inst.allowed?.has(node)) setInstanceScore(inst, node, MINUS_INFINITY);
  return ok;
}

function setInstanceScore(inst: SchedRsc, node: string, score: Score): void {
  inst.allowed?.set(node, score);
  for (const c of inst.children) setInstanceScore(c, node, score);
}

function inheritCloneColocations(clone: SchedRsc, inst: SchedRsc, all: boolean): void {
  if (inst.inheritedColocations) return;
  inst.inheritedColocations = true;
  const target = inst.variant === 'group' ? inst : inst;
  for (const c of clone.withPrimaries) if (all || c.score < 0 || c.score >= INFINITY) target.withPrimaries.unshift(c);
  for (const c of clone.withDependents) if (c.influence && (all || c.score < 0)) target.withDependents.unshift(c);
}

function allocateInstance(clone: SchedRsc, inst: SchedRsc, prefer: string | null, allColoc: boolean, limit: number, ws: WorkingSet): boolean {
  if (!inst.provisional) return instanceLocation(inst) !== null;
  if (inst.allocating) return false;
  inheritCloneColocations(clone, inst, allColoc);
  if (prefer !== null) {
    const w = inst.allowed?.get(prefer);
    if (w === undefined || w < 0) return false;
  }
  for (const node of [...(inst.allowed?.keys() ?? [])]) canRunInstance(clone, inst, node, limit, ws);
  const backup = snapshot(inst);
  const chosen = allocate(inst, ws, prefer);
  let result = chosen;
  if (chosen !== null && prefer !== null && chosen !== prefer) {
    unassign(inst, ws);
    restore(inst, backup);
    result = null;
  }
  if (result !== null) clone.nodeCount.set(result, (clone.nodeCount.get(result) ?? 0) + 1);
  return result !== null;
}

function snapshot(r: SchedRsc): Map<SchedRsc, Map<string, Score>> {
  const m = new Map<SchedRsc, Map<string, Score>>();
  const walk = (x: SchedRsc): void => { m.set(x, new Map(x.allowed ?? [])); x.children.forEach(walk); };
  walk(r);
  return m;
}

function restore(r: SchedRsc, s: Map<SchedRsc, Map<string, Score>>): void {
  for (const [x, t] of s) x.allowed = t;
  void r;
}

// ---------------------------------------------------------------------------------------------
// Promotion

function promotionScore(inst: SchedRsc, node: string, ws: WorkingSet): number | undefined {
  const prims = inst.variant === 'primitive' ? [inst] : inst.children;
  let total: number | undefined;
  const attrs = ws.nodes.get(node)?.attrs ?? {};
  for (const p of prims) {
    const v = (p.historyName !== undefined ? attrs[`master-${p.historyName}`] : undefined) ?? attrs[`master-${p.id}`] ?? attrs[`master-${p.baseId}`] ?? attrs[`promotion-${p.baseId}`];
    if (v === undefined) continue;
    const t = v.trim().toLowerCase();
    const n = t === 'infinity' || t === '+infinity' ? INFINITY : t === '-infinity' ? MINUS_INFINITY : Number.parseInt(v, 10);
    if (Number.isNaN(n)) continue;
    total = addScores(total ?? 0, n);
  }
  return total;
}

function setRole(inst: SchedRsc, role: 'Promoted' | 'Unpromoted' | 'Stopped'): void {
  for (const p of inst.variant === 'primitive' ? [inst] : inst.children) p.nextRole = p.allocatedTo ? role : 'Stopped';
  inst.nextRole = instanceLocation(inst) ? role : 'Stopped';
}

function currentRole(inst: SchedRsc): number {
  const p = inst.variant === 'primitive' ? inst : inst.children[0];
  return p ? roleRank[p.role] : 0;
}

function setPromotableRoles(clone: SchedRsc, ws: WorkingSet): void {
  const promotedLocs = [...clone.locations.filter((l) => l.role === 'Promoted')];
  for (const inst of clone.children) {
    const chosen = instanceLocation(inst);
    inst.promotionPriority = MINUS_INFINITY;
    if (!chosen) { inst.sortIndex = MINUS_INFINITY; setRole(inst, 'Stopped'); continue; }
    const p0 = inst.variant === 'primitive' ? inst : inst.children[0];
    const target = p0.targetRole;
    if (target === 'Unpromoted' || p0.nextRole === 'Unpromoted') inst.promotionPriority = MINUS_INFINITY;
    else {
      const s = promotionScore(inst, chosen, ws);
      inst.promotionPriority = s === undefined ? -1 : s;
    }
    for (const loc of promotedLocs) {
      const s = loc.scores.get(chosen);
      if (s !== undefined) { inst.promotionPriority = addScores(inst.promotionPriority, s); inst.contributions.push({ node: chosen, score: s, source: `location constraint ${loc.id} (Promoted role)` }); }
    }
    for (const c of clone.withPrimaries) {
      if (c.dependentRole !== 'Promoted' && c.dependentRole !== 'Unpromoted') continue;
      inst.promotionPriority = influencePriority(inst, chosen, c, ws);
    }
    inst.sortIndex = inst.promotionPriority;
  }
  // Merge in the preferences of resources that must be with (or that want) the promoted instance.
  let table = new Map(clone.allowed ?? []);
  for (const inst of clone.children) {
    const chosen = instanceLocation(inst);
    if (!chosen || inst.sortIndex < 0) continue;
    table.set(chosen, addScores(table.get(chosen) ?? 0, inst.sortIndex));
  }
  for (const c of clone.withPrimaries) {
    if (c.dependentRole !== 'Promoted') continue;
    table = mergeWeights(c.primary, table, c.nodeAttribute, c.score / INFINITY, { rollback: c.score < INFINITY, positive: false }, ws);
  }
  for (const c of clone.withDependents) {
    if (!c.influence || c.primaryRole !== 'Promoted') continue;
    table = mergeWeights(c.dependent, table, c.nodeAttribute, c.score / INFINITY, { rollback: true, positive: true }, ws);
  }
  for (const inst of clone.children) {
    const chosen = instanceLocation(inst);
    const p0 = inst.variant === 'primitive' ? inst : inst.children[0];
    if (!p0.managed && p0.role === 'Promoted') inst.sortIndex = INFINITY;
    else if (chosen && inst.sortIndex >= 0) inst.sortIndex = table.get(chosen) ?? inst.sortIndex;
  }
  const sorted = clone.children.slice().sort((a, b) => b.sortIndex - a.sortIndex || currentRole(b) - currentRole(a) || a.order - b.order);
  let promoted = 0;
  const perNode = new Map<string, number>();
  for (const inst of sorted) {
    const chosen = instanceLocation(inst);
    if (!chosen) continue;
    const p0 = inst.variant === 'primitive' ? inst : inst.children[0];
    let can = inst.sortIndex >= 0 && (promoted < clone.promotedMax || !p0.managed);
    if (can) {
      if (!p0.managed) can = p0.role === 'Promoted';
      else if (inst.promotionPriority < 0) can = false;
      else if (!nodeAvailable(ws.nodes.get(chosen))) can = false;
      else if ((perNode.get(chosen) ?? 0) >= clone.promotedNodeMax) can = false;
    }
    if (can && !ws.haveQuorum && (ws.options.noQuorumPolicy === 'freeze' || ws.options.noQuorumPolicy === 'demote') && p0.role !== 'Promoted') can = false;
    if (can && !ws.haveQuorum && ws.options.noQuorumPolicy === 'demote') can = false;
    if (!can) { setRole(inst, 'Unpromoted'); continue; }
    perNode.set(chosen, (perNode.get(chosen) ?? 0) + 1);
    promoted++;
    setRole(inst, 'Promoted');
    inst.notes.push(`promoted on ${chosen} with promotion score ${inst.sortIndex}`);
  }
}

function influencePriority(inst: SchedRsc, chosen: string, c: Colocation, ws: WorkingSet): number {
  const primary = c.primary;
  let prio = inst.promotionPriority;
  if (primary.variant === 'clone') {
    const match = primary.children.some((pi) => instanceLocation(pi) === chosen && (!c.primaryRole || c.primaryRole === 'Started' || pi.nextRole === c.primaryRole || (pi.variant === 'group' && pi.children[0]?.nextRole === c.primaryRole)));
    if (match) prio = addScores(prio, c.dependentRole === 'Unpromoted' ? -c.score : c.score);
    else if (c.score >= INFINITY && c.dependentRole === 'Promoted') prio = MINUS_INFINITY;
    return prio;
  }
  const where = primary.variant === 'group' ? primary.children[0]?.allocatedTo : primary.allocatedTo;
  if (!where || ws.nodes.get(where)?.id !== ws.nodes.get(chosen)?.id) {
    if (c.score >= INFINITY && c.dependentRole === 'Promoted') prio = MINUS_INFINITY;
    return prio;
  }
  return addScores(prio, c.dependentRole === 'Unpromoted' ? -c.score : c.score);
}

export { canRunAny, addScore };
