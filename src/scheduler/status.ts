/**
 * Status unpacking: binds each node's recorded resource history to a resource (or clone
 * instance) in the working set and records where it is active, in which role, and with which
 * failures. Anonymous clone history is bound to an instance the way Pacemaker does: an instance
 * already active on that node, else one not active anywhere.
 */
import type { Attributes, Cib, Role } from '../model/cluster.js';
import { MINUS_INFINITY } from '../model/score.js';
import { replayHistory, type HistoryOutcome } from './history.js';
import { fence } from './nodes.js';
import { cloneInstance } from './resources.js';
import { cloneOf, roleRank, topOf, type SchedNode, type SchedRsc, type WorkingSet } from './working-set.js';

/** Bans found while unpacking, applied once score tables exist. */
export interface PendingBan {
  rsc: SchedRsc;
  node?: string;
  reason: string;
}

function stripInstance(id: string): string {
  const i = id.lastIndexOf(':');
  return i > 0 && /^\d+$/.test(id.slice(i + 1)) ? id.slice(0, i) : id;
}

export function unpackResourceStatus(cib: Cib, ws: WorkingSet, bans: PendingBan[]): void {
  // Primitives inside clones, indexed by their configured id.
  const cloned = new Map<string, SchedRsc>();
  for (const r of ws.resources) if (r.variant === 'clone') for (const p of allPrimitivesConfigured(r, ws)) cloned.set(p, r);
  // Anonymous clone instance (top of instance) → node it is bound to.
  const boundTo = new Map<SchedRsc, string>();

  for (const st of cib.status.nodes) {
    const node = ws.nodeList.find((n) => n.id === st.id) ?? ws.nodes.get(st.name);
    if (!node) continue;
    // An offline node's history matters only when it may need fencing.
    if (!node.online && !ws.options.stonithEnabled) continue;
    for (const h of st.history) {
      const base = stripInstance(h.rsc);
      let prim = ws.byId.get(h.rsc);
      if (prim && (prim.variant !== 'primitive' || cloneOf(prim))) prim = cloneOf(prim) ? prim : undefined;
      const clone = cloned.get(base) ?? (prim ? cloneOf(prim) : undefined);
      const config = prim ?? (clone ? firstInstanceOf(clone, base) : undefined);
      const outcome = replayHistory(config ?? orphanTemplate(h.rsc, ws), node.name, h.ops, ws.now, ws.options, ws.opDefaults, config?.failureTimeoutS ?? 0);
      const active = outcome.role !== 'Stopped';
      if (clone && !clone.unique) {
        let inst: SchedRsc | undefined;
        if (active) inst = bindAnonymous(clone, base, h.rsc, node.name, boundTo, ws);
        if (inst) {
          // The name the history was recorded under (e.g. `db:1`) is the one node attributes
          // such as promotion scores use, whatever instance it is bound to here.
          inst.historyName ??= h.rsc;
          applyOutcome(inst, node, outcome, ws, bans, h.params);
        } else {
          clone.knownOn.add(node.name);
          if (outcome.banNode) bans.push({ rsc: clone, node: node.name, reason: outcome.banNode });
          if (outcome.banAll) bans.push({ rsc: clone, reason: outcome.banAll });
        }
        continue;
      }
      if (clone && clone.unique) {
        const inst = ws.byId.get(h.rsc);
        if (inst && cloneOf(inst) === clone) applyOutcome(inst, node, outcome, ws, bans, h.params);
        else if (active) applyOutcome(makeOrphan(h.rsc, ws), node, outcome, ws, bans);
        continue;
      }
      if (prim) applyOutcome(prim, node, outcome, ws, bans, h.params);
      else if (active) applyOutcome(makeOrphan(h.rsc, ws), node, outcome, ws, bans);
    }
  }
  for (const r of ws.byId.values()) if (r.variant === 'primitive' && r.runningOn.length > 1 && r.managed) applyMultipleActive(r);
}

export type MultipleActive = 'block' | 'stop_only' | 'stop_start' | 'stop_unexpected';

/** The `multiple-active` meta attribute: what to do with a resource found active on several nodes. */
export function multipleActive(r: SchedRsc): MultipleActive {
  const v = r.meta['multiple-active'];
  return v === 'block' || v === 'stop_only' || v === 'stop_unexpected' ? v : 'stop_start';
}

/**
 * block: leave every copy alone (unmanaged); stop_only: stop them all and start none;
 * stop_start (default): stop them all, start one; stop_unexpected: stop all but the one where it
 * is placed (see transition.ts).
 */
function applyMultipleActive(r: SchedRsc): void {
  switch (multipleActive(r)) {
    case 'block':
      r.managed = false;
      r.blocked = true;
      r.notes.push(`blocked: active on ${r.runningOn.join(', ')} and multiple-active=block`);
      break;
    case 'stop_only':
      r.nextRole = 'Stopped';
      r.nextRoleReason = 'multiple-active=stop_only';
      break;
    default:
      break;
  }
}

function allPrimitivesConfigured(clone: SchedRsc, ws: WorkingSet): string[] {
  const cfg = ws.configById.get(clone.id);
  if (!cfg || cfg.kind !== 'clone') return [];
  return cfg.child.kind === 'primitive' ? [cfg.child.id] : cfg.child.members.map((m) => m.id);
}

function firstInstanceOf(clone: SchedRsc, base: string): SchedRsc | undefined {
  for (const inst of clone.children) {
    if (inst.variant === 'primitive' && inst.baseId === base) return inst;
    for (const m of inst.children) if (m.baseId === base) return m;
  }
  return undefined;
}

/** Pick the anonymous instance for history on a node: one already there, else a free one. */
function bindAnonymous(clone: SchedRsc, base: string, recorded: string, node: string, boundTo: Map<SchedRsc, string>, ws: WorkingSet): SchedRsc | undefined {
  const memberOf = (inst: SchedRsc): SchedRsc | undefined => (inst.variant === 'primitive' ? (inst.baseId === base ? inst : undefined) : inst.children.find((m) => m.baseId === base));
  for (const inst of clone.children) {
    if (boundTo.get(inst) === node) {
      const m = memberOf(inst);
      if (m && !m.runningOn.includes(node)) return m;
    }
  }
  for (const inst of clone.children) {
    if (boundTo.has(inst) || inst.orphan) continue;
    boundTo.set(inst, node);
    return memberOf(inst);
  }
  // More active copies than clone-max: an orphan instance, to be stopped.
  const cfg = ws.configById.get(clone.id);
  if (!cfg || cfg.kind !== 'clone') return undefined;
  const inst = cloneInstance(cfg.child, clone.children.length, { ...ws.rscDefaults, ...clone.meta }, clone, ws);
  markOrphan(inst);
  clone.children.push(inst);
  boundTo.set(inst, node);
  return memberOf(inst);
}

function markOrphan(r: SchedRsc): void {
  r.orphan = true;
  for (const c of r.children) markOrphan(c);
}

function orphanTemplate(id: string, ws: WorkingSet): SchedRsc {
  return makeOrphan(id, ws, false);
}

function makeOrphan(id: string, ws: WorkingSet, register = true): SchedRsc {
  const existing = ws.byId.get(id);
  if (existing && existing.orphan) return existing;
  const r: SchedRsc = {
    id, baseId: stripInstance(id), variant: 'primitive', children: [], meta: {}, params: {}, operations: [], agentClass: '', order: 1e9,
    priority: 0, stickiness: 0, migrationThreshold: 1_000_000, failureTimeoutS: 0, targetRole: undefined,
    managed: !ws.options.maintenanceMode, blocked: false, failureIgnored: false, orphan: true,
    promotable: false, unique: false, cloneMax: 0, cloneNodeMax: 1, cloneMin: 0, promotedMax: 1, promotedNodeMax: 1, interleave: false, ordered: false,
    runningOn: [], role: 'Stopped', roleOn: new Map(), failed: false, failedOn: new Set(), changedOn: new Map(), onFail: 'none', knownOn: new Set(),
    allowed: new Map(), contributions: [], provisional: true, allocating: false, merging: false, allocatedTo: null, nextRole: 'Unknown',
    nodeCount: new Map(), inheritedColocations: false,
    promotionPriority: 0, sortIndex: 0, withPrimaries: [], withDependents: [], locations: [], notes: ['orphan: no longer in the configuration'],
  };
  if (register) {
    ws.byId.set(id, r);
    ws.resources.push(r);
    if (!ws.options.stopOrphanResources) r.managed = false;
  }
  return r;
}

/** Names of the parameters whose recorded value differs from the configured one. */
function changedParams(recorded: Attributes, configured: Attributes): string[] {
  const names = new Set([...Object.keys(recorded), ...Object.keys(configured)]);
  return [...names].filter((k) => recorded[k] !== configured[k]).sort();
}

/** `startedWith`: the parameters recorded with its start, where the history has them (Vigil's records do; a CIB's carry digests only). */
function applyOutcome(r: SchedRsc, node: SchedNode, o: HistoryOutcome, ws: WorkingSet, bans: PendingBan[], startedWith?: Attributes): void {
  r.knownOn.add(node.name);
  // Any instance of an anonymous clone would fail the same way there: ban the clone.
  const anon = cloneOf(r);
  const banned = anon && !anon.unique ? anon : r;
  if (o.banNode) bans.push({ rsc: banned, node: node.name, reason: `${o.banNode} of ${r.id}` });
  if (o.banAll) bans.push({ rsc: banned, reason: `${o.banAll} of ${r.id}` });
  if (o.failureIgnored) r.failureIgnored = true;
  if (o.role === 'Stopped') return;
  if (!r.runningOn.includes(node.name)) r.runningOn.push(node.name);
  // Whatever runs on a node in maintenance is left alone.
  if (node.maintenance && r.managed) { r.managed = false; r.notes.push(`unmanaged: ${node.name} is in maintenance`); }
  r.roleOn.set(node.name, o.role as Role);
  const changed = startedWith && !r.orphan ? changedParams(startedWith, r.params) : [];
  if (changed.length > 0) {
    r.changedOn.set(node.name, changed);
    r.notes.push(`parameters changed on ${node.name} since it started: ${changed.join(', ')}`);
  }
  if (r.runningOn.length === 1 || roleRank[o.role] > roleRank[r.role]) r.role = o.role;
  if (o.onFail !== 'none' && (r.onFail === 'none' || r.onFail === 'restart')) r.onFail = o.onFail;
  // A node about to be fenced takes its failures with it: nothing to block or recover there.
  if (o.failed && !node.unclean) {
    switch (o.onFail) {
      case 'block':
        r.blocked = true;
        r.managed = false;
        r.notes.push(`blocked: a failure on ${node.name} has on-fail=block`);
        break;
      case 'stop':
        r.failed = true;
        r.failedOn.add(node.name);
        r.nextRole = 'Stopped';
        r.nextRoleReason = 'on-fail=stop';
        break;
      case 'standby':
        r.failed = true;
        r.failedOn.add(node.name);
        node.standby = true;
        break;
      case 'fence':
        r.failed = true;
        r.failedOn.add(node.name);
        if (node.online && ws.options.stonithEnabled) fence(node, `${r.id} failed there`);
        break;
      case 'ignore':
        break;
      default:
        r.failed = true;
        r.failedOn.add(node.name);
    }
  }
  if (o.stopFailed && !node.unclean && !r.failedOn.has(node.name)) {
    r.failed = true;
    r.failedOn.add(node.name);
  }
  // A managed resource believed active on a node that is down means that node must be fenced.
  if (!node.online && !node.maintenance && r.managed && ws.options.stonithEnabled && !node.unclean) {
    fence(node, `${r.id} is thought to be active there`);
  }
  void topOf;
  void MINUS_INFINITY;
}
