/**
 * Reading the decided transition back as the operator sees it: the final placement of every
 * instance (as if every runnable action succeeded) and the "Transition Summary" entries
 * (Start / Stop / Move / Recover / Restart / Promote / Demote, blocked ones marked).
 */
import type { Role } from '../model/cluster.js';
import type { Action, Transition } from './transition.js';
import { multipleActive } from './status.js';
import { cloneOf, type SchedRsc, type WorkingSet } from './working-set.js';

export interface Placement {
  rsc: string;
  /** Instance id as scheduled (`web:1`), when it differs from `rsc`. */
  instance: string;
  role: Role;
  node: string;
  flags: string[];
}

export interface SummaryEntry {
  action: 'start' | 'stop' | 'move' | 'recover' | 'restart' | 'promote' | 'demote';
  rsc: string;
  instance: string;
  from: string | null;
  to: string | null;
  roleFrom: Role | null;
  roleTo: Role | null;
  blocked: boolean;
  reason: string | null;
}

export interface FenceEntry { action: 'fence'; type: 'reboot' | 'off' | 'on'; node: string; reason: string }

/** The id shown for an instance: anonymous clone instances lose their `:N`. */
export function displayId(p: SchedRsc): string {
  const clone = cloneOf(p);
  if (clone && !clone.unique) return p.baseId;
  return p.id;
}

function isPromotable(p: SchedRsc): boolean {
  return !!cloneOf(p)?.promotable;
}

function shownRole(p: SchedRsc, r: Role): Role {
  if (isPromotable(p) && r === 'Started') return 'Unpromoted';
  return r;
}

function acts(t: Transition, p: SchedRsc, task: string, node?: string | null): Action[] {
  return (t.byRsc.get(p) ?? []).filter((a) => a.task === task && (node === undefined || a.node === node));
}

const done = (a: Action | undefined): boolean => !!a && !a.optional && a.runnable;

export function finalPlacements(ws: WorkingSet, t: Transition): Placement[] {
  const out: Placement[] = [];
  for (const p of ws.byId.values()) {
    if (p.variant !== 'primitive') continue;
    const flags: string[] = [];
    if (!p.managed) flags.push('unmanaged');
    if (p.blocked) flags.push('blocked');
    if (p.orphan) flags.push('orphaned');
    if (p.failed) flags.push('failed');
    const nodes = new Map<string, Role>();
    for (const n of p.runningOn) {
      const stop = acts(t, p, 'stop', n)[0];
      if (done(stop)) continue;
      let role = p.roleOn.get(n) ?? 'Started';
      if (done(acts(t, p, 'demote', n)[0])) role = 'Unpromoted';
      if (role === 'Unpromoted' && done(acts(t, p, 'promote', n)[0])) role = 'Promoted';
      nodes.set(n, role);
    }
    const next = p.allocatedTo;
    if (next !== null) {
      const start = acts(t, p, 'start', next)[0];
      if (done(start)) nodes.set(next, done(acts(t, p, 'promote', next)[0]) ? 'Promoted' : 'Started');
      else if (nodes.has(next) && done(acts(t, p, 'promote', next)[0])) nodes.set(next, 'Promoted');
    }
    for (const [node, role] of nodes) out.push({ rsc: displayId(p), instance: p.id, role: shownRole(p, role), node, flags });
  }
  out.sort((a, b) => (a.rsc < b.rsc ? -1 : a.rsc > b.rsc ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return out;
}

export function stoppedIds(ws: WorkingSet, placements: Placement[]): string[] {
  const active = new Set(placements.map((p) => p.instance));
  const out: string[] = [];
  for (const p of ws.byId.values()) {
    if (p.variant !== 'primitive' || active.has(p.id)) continue;
    const clone = cloneOf(p);
    if (clone && !clone.unique) continue;
    out.push(p.id);
  }
  return out.sort();
}

function rolesShown(p: SchedRsc, from: Role | null, to: Role | null): { roleFrom: Role | null; roleTo: Role | null } {
  const f = from ? shownRole(p, from) : null;
  const tt = to ? shownRole(p, to) : null;
  if (f === 'Unpromoted' || f === 'Promoted' || tt === 'Promoted') return { roleFrom: f ?? 'Stopped', roleTo: tt ?? 'Stopped' };
  return { roleFrom: null, roleTo: null };
}

export function transitionSummary(ws: WorkingSet, t: Transition): Array<SummaryEntry | FenceEntry> {
  const out: Array<SummaryEntry | FenceEntry> = [];
  for (const a of t.actions) if (a.task === 'fence' && a.node) out.push({ action: 'fence', type: a.fenceType ?? 'reboot', node: a.node, reason: a.reasons[0] ?? 'node is unclean' });
  for (const p of ws.byId.values()) {
    if (p.variant !== 'primitive') continue;
    if (!p.managed && p.runningOn.length === 0) continue;
    // Transition summaries name instances of clones configured globally-unique by instance.
    const shownId = cloneOf(p) && /^(true|yes|on|1)$/i.test(cloneOf(p)?.meta['globally-unique'] ?? '') ? p.id : displayId(p);
    const entry = (action: SummaryEntry['action'], from: string | null, to: string | null, rf: Role | null, rt: Role | null, blocked: boolean, reason: string | null): void => {
      out.push({ action, rsc: shownId, instance: p.id, from, to, ...rolesShown(p, rf, rt), blocked, reason });
    };
    const cur = p.runningOn[0] ?? null;
    const next = p.allocatedTo;
    const start = next !== null ? acts(t, p, 'start', next)[0] : undefined;
    const startNeeded = !!start && !start.optional;
    const promote = next !== null ? acts(t, p, 'promote', next)[0] : undefined;
    const curRole = cur ? (p.roleOn.get(cur) ?? 'Started') : 'Stopped';
    const nextRole: Role = next === null ? 'Stopped' : p.nextRole === 'Promoted' ? 'Promoted' : p.nextRole === 'Unpromoted' ? 'Unpromoted' : 'Started';
    if (!p.managed) continue;
    if (cur === null) {
      if (!start || !startNeeded || next === null) continue;
      const blocked = !start.runnable;
      const reason = blocked ? (start.blockedBy ?? null) : start.dueTo ?? null;
      if (nextRole === 'Promoted' && promote && !promote.optional) entry('promote', null, next, 'Stopped', 'Promoted', blocked || !promote.runnable, reason);
      else entry('start', null, next, null, null, blocked, reason);
      continue;
    }
    // A start that cannot run leaves only the stops (Pacemaker never shows a blocked move or restart).
    if (next === null || nextRole === 'Stopped' || (start && !start.runnable && (startNeeded || acts(t, p, 'stop', next).some((x) => !x.optional)))) {
      for (const n of p.runningOn) {
        const stop = acts(t, p, 'stop', n)[0];
        if (!stop || stop.optional) continue;
        entry('stop', n, null, p.roleOn.get(n) ?? 'Started', 'Stopped', !stop.runnable, stop.blockedBy ?? stop.dueTo ?? stop.reasons[0] ?? null);
      }
      continue;
    }
    if (p.runningOn.includes(next)) {
      // multiple-active=stop_unexpected: the other copies stop, the placed one may stay as it is.
      if (p.runningOn.length > 1 && multipleActive(p) === 'stop_unexpected') {
        for (const n of p.runningOn) {
          const other = n === next ? undefined : acts(t, p, 'stop', n)[0];
          if (other && !other.optional) entry('stop', n, null, p.roleOn.get(n) ?? 'Started', 'Stopped', !other.runnable, other.reasons[0] ?? null);
        }
      }
      const stop = acts(t, p, 'stop', next)[0];
      const demote = acts(t, p, 'demote', next)[0];
      const roleHere = p.roleOn.get(next) ?? 'Started';
      if (stop && !stop.optional && !stop.runnable) {
        entry('stop', next, null, roleHere, 'Stopped', true, stop.blockedBy ?? stop.dueTo ?? null);
      } else if (stop && !stop.optional && startNeeded) {
        entry(p.failed ? 'recover' : 'restart', next, next, roleHere, nextRole, !start?.runnable || !stop.runnable, start?.dueTo ?? null);
      } else if (promote && !promote.optional && roleHere !== 'Promoted') {
        entry('promote', next, next, roleHere, 'Promoted', !promote.runnable, promote.blockedBy ?? null);
      } else if (demote && !demote.optional && nextRole !== 'Promoted') {
        entry('demote', next, next, 'Promoted', nextRole === 'Started' ? 'Unpromoted' : nextRole, !demote.runnable, null);
      }
      continue;
    }
    // Moving.
    if (!start) continue;
    const anonClone = cloneOf(p);
    if (anonClone && !anonClone.unique && anonClone.cloneMax > 1) {
      // An anonymous instance does not move: one copy stops here, another starts there.
      for (const n of p.runningOn) {
        const stop = acts(t, p, 'stop', n)[0];
        if (stop && !stop.optional) entry('stop', n, null, p.roleOn.get(n) ?? 'Started', 'Stopped', !stop.runnable, stop.reasons[0] ?? null);
      }
      if (nextRole === 'Promoted' && promote && !promote.optional) entry('promote', null, next, 'Stopped', 'Promoted', !start.runnable || !promote.runnable, null);
      else entry('start', null, next, null, null, !start.runnable, start.blockedBy ?? null);
      continue;
    }
    const stop = acts(t, p, 'stop', cur)[0];
    const blocked = !start.runnable || (!!stop && !stop.runnable);
    entry(p.failed ? 'recover' : 'move', cur, next, curRole, nextRole, blocked, start.blockedBy ?? null);
  }
  return out;
}
