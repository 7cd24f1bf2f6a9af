/**
 * Node score tables: the symmetric (or opt-in) starting point, location constraints, stickiness,
 * failure bans (migration-threshold, hard errors, stop failures). Every change is recorded as a
 * contribution so `explain` can say what made each score.
 */
import { INFINITY, MINUS_INFINITY, addScores, type Score } from '../model/score.js';
import { failCount, indexFailures } from './history.js';
import type { PendingBan } from './status.js';
import { cloneOf, nodeAvailable, primitivesOf, type SchedNode, type SchedRsc, type WorkingSet } from './working-set.js';

/** Add a score for a node to a resource and everything below it (groups: members; clones: clone and instances). */
export function addScore(r: SchedRsc, node: string, score: Score, source: string): void {
  if (!r.allowed) r.allowed = new Map();
  r.allowed.set(node, addScores(r.allowed.get(node) ?? 0, score));
  r.contributions.push({ node, score, source });
  for (const c of r.children) addScore(c, node, score, source);
}

export function banEverywhere(r: SchedRsc, ws: WorkingSet, source: string): void {
  for (const n of ws.nodeList) addScore(r, n.name, MINUS_INFINITY, source);
}

function initTables(r: SchedRsc, ws: WorkingSet): void {
  r.allowed = new Map();
  if (ws.options.symmetric && !r.orphan) for (const n of ws.nodeList) r.allowed.set(n.name, 0);
  for (const c of r.children) initTables(c, ws);
}

export function buildScoreTables(ws: WorkingSet, bans: PendingBan[]): void {
  for (const r of ws.resources) initTables(r, ws);
  // Location constraints (role-specific ones for Promoted are promotion preferences instead).
  for (const r of ws.byId.values()) {
    for (const loc of r.locations) {
      if (loc.role === 'Promoted') continue;
      for (const [node, score] of loc.scores) addScore(r, node, score, `location constraint ${loc.id}`);
    }
  }
  for (const b of bans) {
    if (b.node) addScore(b.rsc, b.node, MINUS_INFINITY, b.reason);
    else banEverywhere(b.rsc, ws, b.reason);
  }
  // Stickiness: a managed resource active on exactly one node prefers to stay.
  for (const r of ws.byId.values()) {
    if (r.variant !== 'primitive' || !r.managed || r.stickiness === 0 || r.runningOn.length !== 1) continue;
    const node = r.runningOn[0];
    if (r.allowed?.has(node) || ws.options.symmetric) addScore(r, node, r.stickiness, 'stickiness (resource-stickiness)');
  }
  // Fail counts: migration-threshold bans the resource (an anonymous clone as a whole).
  const failures = new Map(ws.nodeList.map((n) => [n.name, indexFailures(n.attrs)]));
  const anyFailures = [...failures.values()].some((f) => f.counts.size > 0);
  for (const r of anyFailures ? ws.byId.values() : []) {
    if (r.variant !== 'primitive' || r.migrationThreshold <= 0 || r.failureIgnored) continue;
    const clone = cloneOf(r);
    const ids = clone && !clone.unique ? [r.baseId, r.id] : [r.id];
    for (const node of ws.nodeList) {
      const fc = failCount(failures.get(node.name) ?? { counts: new Map(), last: new Map() }, ids, r.failureTimeoutS, ws.now);
      if (fc <= 0 || fc < r.migrationThreshold) continue;
      // An anonymous clone is forced away as a whole; anything else only the failed primitive.
      const target = clone && !clone.unique ? clone : r;
      addScore(target, node.name, MINUS_INFINITY, `${fc >= INFINITY ? 'INFINITY' : fc} failure(s) reached migration-threshold=${r.migrationThreshold}`);
    }
  }
}

/** Some node in the table can run the resource (available, score >= 0). */
export function canRunAny(table: Map<string, Score>, ws: WorkingSet): boolean {
  for (const [n, w] of table) if (w >= 0 && nodeAvailable(ws.nodes.get(n))) return true;
  return false;
}

/** Node sort for placement: score, then fewest resources placed, then the current node, then name. */
export function sortedCandidates(table: Map<string, Score>, ws: WorkingSet, current: string | undefined): Array<[SchedNode, Score]> {
  const list: Array<[SchedNode, Score]> = [];
  for (const [name, w] of table) {
    const n = ws.nodes.get(name);
    if (n) list.push([n, nodeAvailable(n) ? w : MINUS_INFINITY]);
  }
  list.sort((a, b) => {
    if (a[1] !== b[1]) return b[1] - a[1];
    if (a[0].numResources !== b[0].numResources) return a[0].numResources - b[0].numResources;
    if (current) {
      if (a[0].name === current) return -1;
      if (b[0].name === current) return 1;
    }
    return a[0].name < b[0].name ? -1 : a[0].name > b[0].name ? 1 : 0;
  });
  return list;
}

export { primitivesOf };
