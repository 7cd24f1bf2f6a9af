/**
 * The transition: actions (start, stop, promote, demote, fence) for every resource instance and
 * the ordering graph between them. Order constraints, group and clone internals and fencing add
 * edges with Pacemaker's ordering semantics; flags then flow along the edges to a fixed point:
 *   implies-then   — if the first action is needed, so is the then action;
 *   implies-first  — if the then action is needed, so is the first;
 *   runnable-left  — if the first action cannot run, neither can the then action;
 *   restart        — a needed (or impossible) start on a node where the resource runs needs its stop.
 */
import type { Cib, OrderAction } from '../model/cluster.js';
import { INFINITY } from '../model/score.js';
import { multipleActive } from './status.js';
import { cloneOf, primitivesOf, topOf, type SchedRsc, type WorkingSet } from './working-set.js';

export type Task = 'start' | 'stop' | 'promote' | 'demote' | 'fence';

export interface Action {
  id: number;
  task: Task;
  rsc?: SchedRsc;
  node: string | null;
  optional: boolean;
  runnable: boolean;
  /** Carried out implicitly (a stop on a node being fenced). */
  pseudo: boolean;
  reasons: string[];
  /** Why it became needed or unrunnable through an ordering (for the summary). */
  dueTo?: string;
  blockedBy?: string;
  fenceType?: 'reboot' | 'off' | 'on';
  /** The resource is unmanaged: this action is never scheduled, whatever the orderings say. */
  frozen?: boolean;
}

export type EdgeFlag = 'implies_then' | 'implies_first' | 'runnable_left' | 'restart' | 'optional' | 'asymmetrical';

export interface Edge {
  first: Action[];
  then: Action[];
  flags: Set<EdgeFlag>;
  /** The first side is a collective: runnable when any (clone) or all (group) of `first` are. */
  firstMode: 'all' | 'any';
  /** For a clone first side: how many instances must be able to run (clone-min). */
  minRunnable?: number;
  label: string;
  source: string;
}

export interface Transition {
  actions: Action[];
  edges: Edge[];
  /** Actions of each primitive by task. */
  byRsc: Map<SchedRsc, Action[]>;
}

class Builder {
  readonly actions: Action[] = [];
  readonly edges: Edge[] = [];
  readonly byRsc = new Map<SchedRsc, Action[]>();
  constructor(readonly ws: WorkingSet) {}

  add(a: Omit<Action, 'id' | 'reasons'> & { reasons?: string[] }): Action {
    const action: Action = { ...a, id: this.actions.length, reasons: a.reasons ?? [] };
    this.actions.push(action);
    if (a.rsc) {
      const list = this.byRsc.get(a.rsc) ?? [];
      list.push(action);
      this.byRsc.set(a.rsc, list);
    }
    return action;
  }

  edge(first: Action[], then: Action[], flags: EdgeFlag[], source: string, firstMode: 'all' | 'any' = 'all', label?: string, minRunnable?: number): void {
    if (first.length === 0 || then.length === 0) return;
    this.edges.push({ first, then, flags: new Set(flags), firstMode, source, label: label ?? labelOf(first, firstMode), ...(minRunnable ? { minRunnable } : {}) });
  }

  of(r: SchedRsc, task: Task, node?: string | null): Action[] {
    const list = this.byRsc.get(r) ?? [];
    return list.filter((a) => a.task === task && (node === undefined || a.node === node));
  }
}

function labelOf(first: Action[], mode: 'all' | 'any'): string {
  const a = first[0];
  return `${a.rsc?.id ?? a.node ?? ''} ${a.task}${mode === 'any' && first.length > 1 ? '' : ''}`;
}

export function canFence(ws: WorkingSet, node: string): boolean {
  const n = ws.nodes.get(node);
  if (!ws.options.stonithEnabled || !ws.haveStonithResource) return false;
  if (ws.haveQuorum || ws.options.noQuorumPolicy === 'ignore') return true;
  return !!n && n.online;
}

function nodeRunnable(ws: WorkingSet, node: string | null, task: Task): boolean {
  if (node === null) return false;
  const n = ws.nodes.get(node);
  if (!n) return false;
  if (n.unclean) return task === 'stop' || task === 'demote' ? ws.fencing.has(node) : false;
  if (!n.online) return false;
  if (n.pending) return false;
  return true;
}

export function buildTransition(cib: Cib, ws: WorkingSet): Transition {
  const b = new Builder(ws);
  // Fencing of unclean nodes first: stops there are implied by it.
  for (const n of ws.nodeList) {
    if (n.unclean && canFence(ws, n.name)) {
      ws.fencing.set(n.name, n.fenceReason ?? 'node is unclean');
      b.add({ task: 'fence', node: n.name, optional: false, runnable: true, pseudo: false, fenceType: ws.options.stonithAction, reasons: [n.fenceReason ?? 'node is unclean'] });
    }
  }
  const prims = [...ws.byId.values()].filter((r) => r.variant === 'primitive');
  for (const p of prims) primitiveActions(b, p);
  for (const r of ws.byId.values()) if (r.variant === 'group') groupInternals(b, r);
  for (const r of ws.byId.values()) if (r.variant === 'clone') cloneInternals(b, r);
  orderConstraints(b, cib);
  propagate(b);
  return { actions: b.actions, edges: b.edges, byRsc: b.byRsc };
}

function freezeBlocks(ws: WorkingSet, p: SchedRsc): boolean {
  if (ws.haveQuorum) return false;
  if (ws.options.noQuorumPolicy === 'stop' || ws.options.noQuorumPolicy === 'suicide') return true;
  if (ws.options.noQuorumPolicy === 'freeze') return p.runningOn.length === 0;
  // demote: promotable instances may stay (unpromoted); everything else stops as with "stop".
  if (ws.options.noQuorumPolicy === 'demote') return !cloneOf(p)?.promotable;
  return false;
}

function primitiveActions(b: Builder, p: SchedRsc): void {
  const ws = b.ws;
  const next = p.allocatedTo;
  const cur = p.runningOn;
  // Found active on several nodes: every copy stops (then one starts), unless the policy keeps
  // the copy where it is placed.
  const multiple = cur.length > 1;
  const keepPlaced = multiple && multipleActive(p) === 'stop_unexpected';
  const stopping = p.nextRole === 'Stopped' || next === null;
  const stops: Action[] = [];
  const demotes: Action[] = [];
  for (const n of cur) {
    const changed = p.changedOn.get(n);
    const stopReason = (): string => {
      if (next === null) return 'node availability';
      if (multiple && (!keepPlaced || n !== next)) return 'being multiply active';
      if (p.failedOn.has(n)) return 'failed';
      if (changed && n === next && !stopping) return `parameters changed (${changed.join(', ')})`;
      return 'moving';
    };
    const needStop = n !== next || p.failedOn.has(n) || (multiple && !keepPlaced) || stopping || changed !== undefined;
    const unclean = ws.nodes.get(n)?.unclean ?? false;
    const runnable = p.managed && nodeRunnable(ws, n, 'stop');
    // An unmanaged resource is never stopped by us: its stop stays optional (and cannot run).
    const stop = b.add({ task: 'stop', rsc: p, node: n, optional: !needStop || !p.managed, runnable, pseudo: unclean && ws.fencing.has(n) });
    if (needStop) stop.reasons.push(stopReason());
    stops.push(stop);
    if (p.roleOn.get(n) === 'Promoted') {
      const needDemote = needStop || p.nextRole !== 'Promoted';
      const demote = b.add({ task: 'demote', rsc: p, node: n, optional: !needDemote, runnable: p.managed && nodeRunnable(ws, n, 'demote'), pseudo: unclean && ws.fencing.has(n) });
      demotes.push(demote);
      b.edge([demote], [stop], ['implies_first', 'optional'], 'demote before stop');
    }
  }
  const startOptional = next !== null && cur.includes(next) && !stops.some((s) => s.node === next && !s.optional);
  // An unmanaged resource's start is never scheduled, but it does not block what is ordered after it.
  let startRunnable = nodeRunnable(ws, next, 'start') && (p.managed || (!p.blocked && !p.failed));
  const start = b.add({ task: 'start', rsc: p, node: next, optional: next === null || startOptional || !p.managed, runnable: startRunnable, pseudo: false, ...(p.managed ? {} : { frozen: true }) });
  if (next !== null && startRunnable && freezeBlocks(ws, p)) {
    start.runnable = false;
    startRunnable = false;
    start.blockedBy = ws.options.noQuorumPolicy === 'freeze' ? 'quorum freeze' : 'no quorum';
  }
  // Starts wait for fencing of nodes where the resource might still be active.
  for (const [node] of ws.fencing) {
    const fenceAction = b.actions.find((a) => a.task === 'fence' && a.node === node);
    if (fenceAction) b.edge([fenceAction], [start], ['optional'], 'fencing before recovery');
    if (fenceAction && cur.includes(node)) for (const s of stops) if (s.node === node) b.edge([fenceAction], [s], ['implies_then', 'runnable_left'], 'stop implied by fencing');
  }
  if (keepPlaced) {
    // Stopping the unexpected copies does not restart the one kept.
    b.edge(stops.filter((x) => x.node === next), [start], ['optional', 'implies_then', 'restart'], 'stop before start');
    b.edge(stops.filter((x) => x.node !== next), [start], ['optional'], 'stop before start');
  } else {
    b.edge(stops, [start], ['optional', 'implies_then', 'restart'], 'stop before start');
  }
  // Never two copies: a start elsewhere needs every stop of the old copies to be possible.
  const elsewhere = stops.filter((s) => s.node !== next && !ws.nodes.get(s.node ?? '')?.unclean);
  if (next !== null) b.edge(elsewhere, [start], ['runnable_left'], 'stop before start elsewhere');
  // Recovery elsewhere must wait until the resource is known stopped on a lost node; without
  // fencing of that node it cannot start anywhere else.
  const stuck = stops.find((s) => s.node !== next && !s.runnable && p.managed && ws.nodes.get(s.node ?? '')?.unclean);
  if (stuck && start.runnable && next !== null) {
    start.runnable = false;
    start.blockedBy = ws.haveQuorum || ws.options.noQuorumPolicy === 'ignore' ? `${stuck.node} cannot be fenced` : 'no quorum';
  }
  if (p.nextRole === 'Promoted' && next !== null) {
    const alreadyPromoted = p.roleOn.get(next) === 'Promoted';
    const promote = b.add({ task: 'promote', rsc: p, node: next, optional: alreadyPromoted && start.optional, runnable: p.managed && nodeRunnable(ws, next, 'promote'), pseudo: false });
    if (!ws.haveQuorum && ws.options.noQuorumPolicy !== 'ignore' && !alreadyPromoted) { promote.runnable = false; promote.blockedBy = 'no quorum'; }
    b.edge([start], [promote], ['implies_then', 'runnable_left', 'optional'], 'start before promote');
    for (const d of demotes) b.edge([d], [promote], ['optional'], 'demote before promote');
  }
}

function groupInternals(b: Builder, g: SchedRsc): void {
  const m = g.children;
  for (let i = 1; i < m.length; i++) {
    b.edge(b.of(m[i - 1], 'start'), b.of(m[i], 'start'), ['implies_then', 'runnable_left'], `group ${g.baseId} order`);
    b.edge(b.of(m[i], 'stop'), b.of(m[i - 1], 'stop'), ['implies_first', 'optional'], `group ${g.baseId} order`);
    b.edge(b.of(m[i - 1], 'promote'), b.of(m[i], 'promote'), ['implies_then', 'runnable_left'], `group ${g.baseId} order`);
    b.edge(b.of(m[i], 'demote'), b.of(m[i - 1], 'demote'), ['implies_first', 'optional'], `group ${g.baseId} order`);
  }
}

function cloneInternals(b: Builder, c: SchedRsc): void {
  if (!c.ordered) return;
  const inst = c.children;
  for (let i = 1; i < inst.length; i++) {
    b.edge(actionsOf(b, inst[i - 1], 'start'), actionsOf(b, inst[i], 'start'), ['optional'], `clone ${c.id} ordered`);
  }
}

/** The primitive actions a resource-level action stands for. */
function actionsOf(b: Builder, r: SchedRsc, task: Task): Action[] {
  const out: Action[] = [];
  for (const p of primitivesOf(r)) out.push(...b.of(p, task));
  return out;
}

/**
 * First side of an ordering on a collective: a group's start/promote is "done" when its last
 * member's is; its stop/demote when every member's is. (Pacemaker orders through the group's
 * stopped/demoted pseudo-actions, which wait for every member: a member that is not active has
 * no stop here, so picking one member would drop the ordering when that one is already stopped.)
 */
function firstSide(b: Builder, r: SchedRsc, task: Task): { actions: Action[]; mode: 'all' | 'any' } {
  if (r.variant === 'group') {
    const members = r.children;
    if (task === 'stop' || task === 'demote') return { actions: members.flatMap((m) => b.of(m, task)), mode: 'all' };
    const pick = members[members.length - 1];
    return { actions: pick ? b.of(pick, task) : [], mode: 'all' };
  }
  if (r.variant === 'clone') {
    return { actions: actionsOf(b, r, task).filter((a) => a.node !== null || task === 'start' || task === 'promote'), mode: 'any' };
  }
  return { actions: b.of(r, task), mode: 'all' };
}

/**
 * Then side of an ordering on a collective: a group's start/promote begins with its first
 * member's; every member's stop/demote waits (Pacemaker: the group's stop pseudo-action precedes
 * each member's stop; the last member alone is not enough when it is not active).
 */
function thenSide(b: Builder, r: SchedRsc, task: Task): Action[] {
  if (r.variant === 'group') {
    const members = r.children;
    if (task === 'stop' || task === 'demote') return members.flatMap((m) => b.of(m, task));
    const pick = members[0];
    return pick ? b.of(pick, task) : [];
  }
  return actionsOf(b, r, task);
}

const INVERSE: Record<OrderAction, OrderAction> = { start: 'stop', stop: 'start', promote: 'demote', demote: 'promote' };

function orderConstraints(b: Builder, cib: Cib): void {
  const ws = b.ws;
  const find = (id: string): SchedRsc | undefined => ws.byId.get(id);
  for (const c of cib.config.constraints) {
    if (c.kind === 'order') {
      const first = find(c.first);
      const then = find(c.then);
      if (!first || !then) continue;
      addOrder(b, first, c.firstAction, then, c.thenAction, c.orderKind, c.id, false, c.symmetrical);
      if (c.symmetrical && c.orderKind !== 'Serialize') addOrder(b, then, INVERSE[c.thenAction], first, INVERSE[c.firstAction], c.orderKind, c.id, true);
    } else if (c.kind === 'order-set') {
      const sets = c.sets.map((s) => ({ ...s, rscs: s.resources.map(find).filter((r): r is SchedRsc => !!r) }));
      const kind = c.orderKind ?? 'Mandatory';
      for (const s of sets) {
        if (!s.sequential) continue;
        for (let i = 1; i < s.rscs.length; i++) {
          const act = s.action ?? 'start';
          addOrder(b, s.rscs[i - 1], act, s.rscs[i], act, kind, c.id, false);
          if (c.symmetrical !== false) addOrder(b, s.rscs[i], INVERSE[act], s.rscs[i - 1], INVERSE[act], kind, c.id, true);
        }
      }
      for (let i = 1; i < sets.length; i++) {
        const a = sets[i - 1];
        const z = sets[i];
        const fa = a.action ?? 'start';
        const ta = z.action ?? 'start';
        const firsts = a.sequential ? a.rscs.slice(-1) : a.rscs;
        const thens = z.sequential ? z.rscs.slice(0, 1) : z.rscs;
        for (const f of firsts) for (const t of thens) {
          addOrder(b, f, fa, t, ta, kind, c.id, false);
          if (c.symmetrical !== false) addOrder(b, t, INVERSE[ta], f, INVERSE[fa], kind, c.id, true);
        }
      }
    }
  }
}

function addOrder(b: Builder, first: SchedRsc, fa: OrderAction, then: SchedRsc, ta: OrderAction, kind: string, id: string, inverse: boolean, symmetrical = true): void {
  const flags: EdgeFlag[] = ['optional'];
  if (kind === 'Mandatory' && !symmetrical) flags.push('asymmetrical');
  else if (kind === 'Mandatory') {
    if (inverse) flags.push('implies_first');
    else {
      flags.push('implies_then');
      if (ta === 'start' || ta === 'promote') flags.push('runnable_left');
    }
  } else if (kind === 'Optional' && !inverse && then.variant === 'primitive') {
    // An optional order still restarts the then resource when the first restarts (restart-type default).
  }
  const fc = cloneOf(first) ?? (first.variant === 'clone' ? first : undefined);
  const tc = then.variant === 'clone' ? then : undefined;
  // clone-min on the first clone means "enough instances anywhere", so no per-node pairing.
  const interleave = fc && tc && fc.variant === 'clone' && tc.interleave && first.variant === 'clone' && fc.cloneMin === 0;
  if (interleave && fc && tc) {
    // Interleaved clones: each then-instance depends only on the first-instance on its own node.
    for (const inst of tc.children) {
      const thenActs = actionsOf(b, inst, ta);
      const nodeOf = thenActs.find((a) => a.node)?.node ?? null;
      const firstInst = fc.children.find((fi) => primitivesOf(fi).some((p) => (p.allocatedTo ?? p.runningOn[0]) === nodeOf && nodeOf !== null));
      if (!firstInst) {
        if (flags.includes('runnable_left') && nodeOf !== null) {
          for (const a of thenActs) { if (a.runnable) { a.runnable = false; a.blockedBy = `unrunnable ${fc.id} ${fa}`; } }
        }
        continue;
      }
      const fs = firstSide(b, firstInst, fa);
      b.edge(fs.actions, thenActs, flags, `order ${id}`, fs.mode);
    }
    return;
  }
  const fs = firstSide(b, first, fa);
  let thenActs = thenSide(b, then, ta);
  if (thenActs.length === 0) return;
  if (fs.actions.length === 0) {
    // Nothing to wait for: a stopped first that will not start blocks a mandatory then-start.
    if (flags.includes('runnable_left') || (flags.includes('asymmetrical') && ta === 'start')) {
      thenActs = thenActs.filter((a) => a.node !== null && (!flags.includes('asymmetrical') || !(a.optional && a.rsc?.runningOn.length === 1 && a.rsc.runningOn[0] === a.node)));
      for (const a of thenActs) if (a.runnable) { a.runnable = false; a.blockedBy = `unrunnable ${first.id} ${fa}`; }
    }
    return;
  }
  const min = first.variant === 'clone' && first.cloneMin > 0 && (fa === 'start' || fa === 'promote') ? first.cloneMin : undefined;
  b.edge(fs.actions, thenActs, flags, `order ${id}`, fs.mode, `${first.id} ${fa === 'start' && first.variant !== 'primitive' ? 'running' : fa}`, min);
}

function sideRequired(e: Edge): boolean {
  return e.first.some((a) => !a.optional);
}

function sideRunnable(e: Edge): boolean {
  const real = e.first.filter((a) => a.node !== null || e.first.length === 1);
  if (real.length === 0) return false;
  if (e.minRunnable !== undefined) return real.filter((a) => a.runnable && a.node !== null).length >= e.minRunnable;
  return e.firstMode === 'any' ? real.some((a) => a.runnable) : real.every((a) => a.runnable);
}

/**
 * A collective (or primitive) that cannot reach its role blocks the starts of what must be
 * colocated with it (mandatory colocations only).
 */
function blockColocatedDependents(b: Builder): boolean {
  let changed = false;
  const tops = new Set<SchedRsc>();
  for (const a of b.actions) {
    if (a.runnable || !a.rsc || (a.task !== 'start' && a.task !== 'promote') || a.node === null && a.task === 'promote') continue;
    tops.add(topOf(a.rsc));
  }
  for (const top of tops) {
    for (const task of ['start', 'promote'] as const) {
      const acts = actionsOf(b, top, task).filter((a) => a.node !== null || top.variant === 'primitive');
      if (acts.length === 0 || acts.some((a) => a.runnable)) continue;
      for (const c of top.withDependents) {
        if (c.score < INFINITY) continue;
        if (task === 'promote' && c.primaryRole !== 'Promoted') continue;
        const depTask: Task = c.dependentRole === 'Promoted' ? 'promote' : 'start';
        const deps = c.dependent.variant === 'group' ? b.of(c.dependent.children[0], depTask) : actionsOf(b, c.dependent, depTask);
        for (const d of deps) {
          if (d.runnable && d.node !== null) {
            d.runnable = false;
            d.blockedBy ??= `colocation with ${top.id}`;
            changed = true;
          }
        }
      }
    }
  }
  return changed;
}

function propagate(b: Builder): void {
  let changed = true;
  let rounds = 0;
  while (changed && rounds < 1000) {
    changed = blockColocatedDependents(b);
    rounds++;
    for (const e of b.edges) {
      if (e.flags.has('implies_then') && sideRequired(e)) {
        const cloneFirst = e.firstMode === 'any' && e.first.length > 1;
        for (const t of e.then) {
          // A clone instance starting elsewhere does not restart what is already running here.
          if (cloneFirst && t.rsc && t.rsc.runningOn.includes(t.node ?? '') && !e.first.some((f) => !f.optional && f.node === t.node)) continue;
          if (t.optional && !t.frozen && (t.runnable || !e.flags.has('restart')) && t.node !== null) {
            t.optional = false;
            t.dueTo ??= `required ${e.label}`;
            changed = true;
          }
        }
      }
      if (e.flags.has('runnable_left') && !sideRunnable(e)) {
        for (const t of e.then) {
          if (t.runnable) {
            t.runnable = false;
            t.blockedBy ??= `unrunnable ${e.label}`;
            changed = true;
          }
        }
      }
      if (e.flags.has('asymmetrical')) {
        const firstRunnable = sideRunnable(e);
        const firstRequired = sideRequired(e);
        for (const t of e.then) {
          const r = t.rsc;
          if (!r || t.node === null) continue;
          if (t.task === 'start' && t.optional && r.runningOn.length === 1 && r.runningOn[0] === t.node) {
            // Already running where it should and not restarting: nothing to order.
          } else if (t.task === 'start' && !firstRunnable) {
            if (t.runnable) { t.runnable = false; t.blockedBy ??= `unrunnable ${e.label}`; changed = true; }
          } else if (firstRequired && t.optional && !t.frozen) {
            t.optional = false;
            t.dueTo ??= `required ${e.label}`;
            changed = true;
          }
        }
      }
      if (e.flags.has('implies_first') || (e.flags.has('implies_then') && e.first.every((f) => f.task === 'stop' || f.task === 'demote'))) {
        // A stop that must happen first but cannot blocks the stops ordered after it (so does
        // the stop of a resource that is blocked where it runs).
        const blocked = e.first.find((f) => (!f.optional || (e.flags.has('implies_then') && f.rsc?.blocked)) && !f.runnable && f.node !== null);
        if (blocked) {
          for (const t of e.then) {
            if (t.runnable && t.node !== null && (t.task === 'stop' || t.task === 'demote')) {
              t.runnable = false;
              t.blockedBy ??= `unrunnable ${blocked.rsc?.id ?? ''} ${blocked.task}`;
              changed = true;
            }
          }
        }
      }
      // A needed then-action makes a clone's first-action needed as a whole, not every instance's.
      if (e.flags.has('implies_first') && !(e.firstMode === 'any' && e.first.length > 1) && e.then.some((t) => !t.optional)) {
        for (const f of e.first) {
          if (f.optional && !f.frozen && f.node !== null) {
            f.optional = false;
            const t0 = e.then.find((t) => !t.optional);
            f.dueTo ??= t0 ? `required ${t0.rsc?.id ?? ''} ${t0.task}` : undefined;
            changed = true;
          }
        }
      }
      if (e.flags.has('restart')) {
        for (const t of e.then) {
          if (t.node === null) continue;
          for (const f of e.first) {
            if (!f.optional || f.frozen || f.node !== t.node) continue;
            const recover = !t.optional;
            const shutdown = !t.runnable;
            if ((recover || shutdown) && (f.runnable || !t.optional)) {
              f.optional = false;
              if (shutdown && !recover) f.dueTo ??= t.blockedBy;
              changed = true;
            }
          }
        }
      }
    }
  }
}
