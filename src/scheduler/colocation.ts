/**
 * Colocation: how a placed primary constrains its dependent (mandatory: only where the primary
 * is, or never there; advisory: a score added there), and how dependents' preferences flow back
 * into a primary's scores before it is placed ("merging weights", scaled by score/INFINITY).
 */
import { INFINITY, MINUS_INFINITY, addScores, type Score } from '../model/score.js';
import { canRunAny } from './scores.js';
import { nodeAvailable, roleRank, type Colocation, type SchedRsc, type WorkingSet } from './working-set.js';

export function nodeAttr(ws: WorkingSet, node: string, attr: string): string | undefined {
  return ws.nodes.get(node)?.attrs[attr];
}

/** Where the primary ended up, as a colocation sees it (groups: last member for mandatory, first otherwise). */
export function primaryLocation(primary: SchedRsc, score: Score): string | null {
  if (primary.variant === 'group') {
    const m = score >= INFINITY ? primary.children[primary.children.length - 1] : primary.children[0];
    return m ? m.allocatedTo : null;
  }
  return primary.allocatedTo;
}

function roleFilterPasses(c: Colocation, dep: SchedRsc): boolean {
  if (c.dependentRole && roleRank[c.dependentRole] >= roleRank.Unpromoted && c.dependentRole !== dep.nextRole) return false;
  if (c.primaryRole && roleRank[c.primaryRole] >= roleRank.Unpromoted && c.primary.variant !== 'clone' && c.primaryRole !== c.primary.nextRole) return false;
  return true;
}

/** Apply a colocation to the dependent `dep` (a primitive, or a clone's own table) now that the primary is placed. */
export function applyColocation(dep: SchedRsc, c: Colocation, ws: WorkingSet): void {
  if (c.score === 0 || !dep.allowed) return;
  const primary = c.primary;
  if (primary.provisional) return;
  if (!roleFilterPasses(c, dep)) return;
  if (primary.variant === 'clone') {
    applyCloneColocation(dep, c, ws);
    return;
  }
  const where = primaryLocation(primary, c.score);
  const attr = c.nodeAttribute;
  if (where === null && c.score < 0) return;
  const value = where !== null ? nodeAttr(ws, where, attr) : undefined;
  const work = new Map(dep.allowed);
  for (const [node, w] of work) {
    if (where !== null && nodeAttr(ws, node, attr) === value) {
      if (c.score < INFINITY) work.set(node, addScores(c.score, w));
    } else if (where === null || c.score >= INFINITY) {
      work.set(node, MINUS_INFINITY);
    }
  }
  if (canRunAny(work, ws) || c.score <= MINUS_INFINITY || c.score >= INFINITY) {
    record(dep, work, `colocation ${c.id} with ${primary.id}${where ? ` (on ${where})` : ' (not running)'}`);
    dep.allowed = work;
  }
}

function record(dep: SchedRsc, work: Map<string, Score>, source: string): void {
  for (const [node, w] of work) {
    const before = dep.allowed?.get(node) ?? 0;
    if (w !== before) dep.contributions.push({ node, score: w >= INFINITY || w <= MINUS_INFINITY ? w : w - before, source });
  }
}

/** The primary is a clone: the dependent goes where instances are (with the required role). */
function applyCloneColocation(dep: SchedRsc, c: Colocation, ws: WorkingSet): void {
  const primary = c.primary;
  const dependentClone = dep.variant === 'clone' ? dep : dep.parent?.variant === 'clone' ? dep.parent : dep.parent?.parent?.variant === 'clone' ? dep.parent.parent : undefined;
  if (dependentClone && dependentClone !== primary && dependentClone.interleave && dep.variant !== 'clone') {
    // Interleaved clones: pair with the primary's instance on the same node.
    const cur = dep.allocatedTo;
    void cur;
  }
  const nodes = new Set<string>();
  for (const inst of primary.children) {
    const where = instanceLocation(inst);
    if (!where) continue;
    if (c.primaryRole && roleRank[c.primaryRole] >= roleRank.Unpromoted && instanceNextRole(inst) !== c.primaryRole) continue;
    if (inst.blocked) continue;
    nodes.add(where);
  }
  if (!dep.allowed) return;
  const work = new Map(dep.allowed);
  if (c.score >= INFINITY) {
    for (const node of work.keys()) if (!nodes.has(node)) work.set(node, MINUS_INFINITY);
  } else {
    if (nodes.size === 0 && c.score < 0) return;
    for (const node of nodes) if (work.has(node)) work.set(node, addScores(c.score, work.get(node) ?? 0));
  }
  if (c.score >= INFINITY || c.score <= MINUS_INFINITY || canRunAny(work, ws)) {
    record(dep, work, `colocation ${c.id} with ${primary.id}${c.primaryRole ? ` (${c.primaryRole})` : ''}`);
    dep.allowed = work;
  }
}

export function instanceLocation(inst: SchedRsc): string | null {
  if (inst.variant === 'group') return inst.children[0]?.allocatedTo ?? null;
  return inst.allocatedTo;
}

export function instanceNextRole(inst: SchedRsc): string {
  if (inst.variant === 'group') return inst.children[0]?.nextRole ?? 'Unknown';
  return inst.nextRole;
}

interface MergeFlags { rollback: boolean; positive: boolean }

const INFINITY_HACK = INFINITY * -100;

/** Best score `rsc` has on an available node whose `attr` equals `value`. */
function bestScoreMatching(rsc: SchedRsc, attr: string, value: string | undefined, ws: WorkingSet): Score {
  let best = MINUS_INFINITY;
  if (!rsc.allowed) return best;
  for (const [node, w] of rsc.allowed) {
    if (w > best && nodeAvailable(ws.nodes.get(node)) && nodeAttr(ws, node, attr) === value) best = w;
  }
  return best;
}

function addMatching(work: Map<string, Score>, rsc: SchedRsc, attr: string, factor: number, onlyPositive: boolean, ws: WorkingSet): void {
  // "Same place" by node name (the default) needs no search over the other nodes.
  const byName = attr === '#uname';
  for (const [node, w] of work) {
    let score: Score;
    if (byName) {
      const own = rsc.allowed?.get(node);
      score = own !== undefined && nodeAvailable(ws.nodes.get(node)) ? own : MINUS_INFINITY;
    } else score = bestScoreMatching(rsc, attr, nodeAttr(ws, node, attr), ws);
    if (factor < 0 && score < 0) continue;
    const f = factor * score;
    let weight = Math.trunc(f < 0 ? f - 0.5 : f + 0.5);
    if (weight === 0 && score !== 0) weight = factor > 0 ? 1 : factor < 0 ? -1 : 0;
    const next = addScores(weight, w);
    if (onlyPositive && next < 0 && w > 0) { work.set(node, INFINITY_HACK); continue; }
    if (onlyPositive && next < 0 && w === 0) continue;
    work.set(node, next);
  }
}

/**
 * Merge `rsc`'s node preferences (and, recursively, those of resources colocated with it) into a
 * primary's table `nodes`, scaled by `factor`. Rolled back when it would leave nowhere to run.
 */
export function mergeWeights(rsc: SchedRsc, nodes: Map<string, Score>, attr: string, factor: number, flags: MergeFlags, ws: WorkingSet): Map<string, Score> {
  if (rsc.merging) return nodes;
  rsc.merging = true;
  let work: Map<string, Score>;
  if (rsc.variant === 'group' && rsc.children.length > 0) {
    work = mergeWeights(rsc.children[0], nodes, attr, factor, flags, ws);
    for (const c of rsc.withDependents) {
      if (!c.influence) continue;
      work = mergeWeights(c.dependent, work, c.nodeAttribute, c.score / INFINITY, flags, ws);
    }
    rsc.merging = false;
    return work;
  }
  work = new Map(nodes);
  addMatching(work, rsc, attr, factor, flags.positive, ws);
  if (canRunAny(work, ws)) {
    const sign = factor < 0 ? -1 : 1;
    const deps = rsc.variant === 'primitive' && rsc.parent?.variant === 'group' && rsc.parent.children[rsc.parent.children.length - 1] === rsc
      ? [...rsc.withDependents, ...rsc.parent.withDependents] : rsc.withDependents;
    for (const c of deps) {
      if (!c.influence) continue;
      work = mergeWeights(c.dependent, work, c.nodeAttribute, (sign * c.score) / INFINITY, { ...flags, rollback: true }, ws);
    }
  } else if (flags.rollback) {
    rsc.merging = false;
    return nodes;
  }
  if (flags.positive) for (const [n, w] of work) if (w === INFINITY_HACK) work.set(n, 1);
  rsc.merging = false;
  return work;
}
