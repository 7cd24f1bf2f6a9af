/**
 * Transitions as the DC runs them: a graph of actions with their inputs, built from the
 * scheduler's actions and edges (or a probe phase), and the CIB the scheduler is shown.
 */
import { OcfRc, type Attributes, type Cib } from '../model/cluster.js';
import type { SchedulerResult } from '../scheduler/index.js';
import type { DcState } from './dc.js';
import { stonithEnabled, watchdogTimeoutOf } from './options.js';
import { transitionKey } from './records.js';
import { isPromotable, managed, primitives, statusId, truthy } from './resources.js';

export type Task = 'start' | 'stop' | 'promote' | 'demote' | 'fence' | 'probe';

export interface GraphAction {
  id: number;
  task: Task;
  node: string | null;
  /** Status id (`web`, `ip:1` for a unique clone instance) and configured primitive. */
  resource?: string;
  primitive?: string;
  /** Carried out by something else (a stop implied by fencing): done once its inputs are. */
  pseudo: boolean;
  /** Part of the graph: the scheduler wants it done and it can run. */
  inGraph: boolean;
  state: 'waiting' | 'in-flight' | 'done' | 'failed' | 'lost';
  /** Inputs: each entry is satisfied when `need` of `ids` are done. */
  inputs: Array<{ ids: number[]; need: number }>;
  key?: string;
  deadline?: number;
  /** Not before this time (fence delay, retry back-off). */
  notBefore?: number;
  held?: string;
  fenceType?: 'reboot' | 'off';
  reason?: string;
  /** Instance parameters it was sent with (a start's are recorded: see changedParams). */
  params?: Attributes;
}

export interface Transition {
  id: number;
  phase: 'probe' | 'run';
  actions: GraphAction[];
  aborted: string | null;
  summary: string[];
}

export function memberNodes(s: DcState): Set<string> {
  const names = s.members ?? s.cib.status.nodes.filter((n) => n.inCluster && n.join === 'member').map((n) => n.name);
  return new Set(names);
}

export function nodeInMaintenance(s: DcState, node: string): boolean {
  const conf = s.cib.config.nodes.find((n) => n.name === node);
  const st = s.cib.status.nodes.find((n) => n.name === node);
  return truthy(conf?.attributes.maintenance) || truthy(st?.transientAttributes.maintenance);
}

/** Name of the stand-in fence device that tells the scheduler watchdog fencing is available. */
export const WATCHDOG_DEVICE = 'vigil-watchdog-fencing';

/**
 * The CIB as the scheduler should see it: this partition's quorum and DC, and — when
 * self-fencing is configured and no fence device is — watchdog fencing as a fence device (as
 * Pacemaker registers fence_watchdog), never started, so that the scheduler manages resources
 * and schedules fencing of unclean nodes; the DC carries that fencing out by waiting.
 */
export function schedulerView(s: DcState): Cib {
  let config = s.cib.config;
  const hasDevice = config.resources.some((r) => r.kind === 'primitive' && r.agent.class === 'stonith');
  if (stonithEnabled(s.cib) && watchdogTimeoutOf(s.cib, s.opts.watchdogTimeoutMs) !== undefined && !hasDevice) {
    config = {
      ...config,
      resources: [...config.resources, {
        kind: 'primitive', id: WATCHDOG_DEVICE, agent: { class: 'stonith', type: 'fence_watchdog' }, params: {},
        meta: { 'target-role': 'Stopped' }, operations: [], utilization: {},
      }],
    };
  }
  return { ...s.cib, config, status: { ...s.cib.status, haveQuorum: s.haveQuorum, dc: s.opts.self } };
}

export function probeActions(s: DcState, tid: number): GraphAction[] {
  const out: GraphAction[] = [];
  const prims = primitives(s.cib.config);
  for (const node of memberNodes(s)) {
    if (s.unsafe.has(node)) continue;
    // A node in maintenance is left alone, except where nothing is known of a resource there (its
    // history was erased when it rejoined, before it entered maintenance): a probe changes
    // nothing, and without it the DC would take the resource for stopped there and start it
    // elsewhere (vigil sim --whole --scenario mixed --seed 3139).
    const maintenance = nodeInMaintenance(s, node);
    const ns = s.cib.status.nodes.find((n) => n.name === node);
    if (!ns || !ns.inCluster) continue;
    const known = new Set(ns.history.map((h) => h.rsc));
    for (const [id, info] of prims) {
      if (!managed(s.cib.config, info)) continue;
      const ids = info.clone && truthy(info.meta['globally-unique'])
        ? Array.from({ length: Number.parseInt(info.meta['clone-max'] ?? '', 10) || s.cib.config.nodes.length }, (_, i) => `${id}:${i}`)
        : [id];
      for (const rid of ids) {
        if (known.has(rid) && (maintenance || !s.reprobe.has(node))) continue;
        const a: GraphAction = { id: out.length, task: 'probe', node, resource: rid, primitive: id, pseudo: false, inGraph: true, state: 'waiting', inputs: [] };
        a.key = transitionKey(a.id, tid, OcfRc.NotRunning, s.opts.self);
        out.push(a);
      }
    }
  }
  return out;
}

/** The scheduler's actions and edges as a graph to run (Pacemaker's semantics, see docs/controller.md). */
export function graphFromSchedule(s: DcState, r: SchedulerResult, tid: number): GraphAction[] {
  const prims = primitives(s.cib.config);
  const actions: GraphAction[] = r.transition.actions.map((a) => {
    const g: GraphAction = {
      id: a.id, task: a.task, node: a.node, pseudo: a.pseudo, inGraph: !a.optional && a.runnable && a.node !== null,
      state: 'waiting', inputs: [], reason: a.reasons[0] ?? a.dueTo,
    };
    if (a.rsc) {
      const info = prims.get(a.rsc.baseId);
      g.primitive = a.rsc.baseId;
      g.resource = info ? statusId(info, a.rsc.id) : a.rsc.id;
    }
    if (a.task === 'fence') g.fenceType = a.fenceType === 'off' ? 'off' : 'reboot';
    g.key = transitionKey(a.id, tid, OcfRc.Success, s.opts.self);
    return g;
  });
  // A then-action behind a runnable-left edge whose first side cannot run stays out (the
  // scheduler has normally decided that already; this keeps the graph safe if it has not).
  for (let changed = true; changed;) {
    changed = false;
    for (const e of r.transition.edges) {
      if (!e.flags.has('runnable_left')) continue;
      const firsts = e.first.filter((f) => f.node !== null || e.first.length === 1);
      const blocked = e.minRunnable !== undefined
        ? firsts.filter((f) => f.runnable).length < e.minRunnable
        : e.firstMode === 'any' ? firsts.length > 0 && !firsts.some((f) => f.runnable) : firsts.some((f) => !f.optional && !f.runnable);
      if (!blocked) continue;
      for (const t of e.then) {
        const g = actions[t.id];
        if (g.inGraph) { g.inGraph = false; g.held = `unrunnable ${e.label}`; changed = true; }
      }
    }
  }
  // Orderings: a then-action waits for the first actions that are part of this transition.
  for (const e of r.transition.edges) {
    for (const t of e.then) {
      const g = actions[t.id];
      if (!g.inGraph) continue;
      const scheduled = e.first.filter((f) => f.id !== t.id && actions[f.id].inGraph).map((f) => f.id);
      if (scheduled.length === 0) continue;
      const need = e.minRunnable !== undefined ? Math.min(e.minRunnable, scheduled.length) : scheduled.length;
      g.inputs.push({ ids: scheduled, need });
    }
  }
  // A promotable clone promotes only after all its demotes in this transition are done
  // (Pacemaker's clone-level "demoted before promote"), so promoted-max holds at every instant.
  const cloneOf = (g: GraphAction): string | undefined => {
    const info = g.primitive ? prims.get(g.primitive) : undefined;
    return isPromotable(info) ? info?.top : undefined;
  };
  const demotes = new Map<string, number[]>();
  for (const g of actions) {
    const c = g.inGraph && g.task === 'demote' ? cloneOf(g) : undefined;
    if (c) demotes.set(c, [...(demotes.get(c) ?? []), g.id]);
  }
  for (const g of actions) {
    const c = g.inGraph && g.task === 'promote' ? cloneOf(g) : undefined;
    const ids = c ? demotes.get(c) : undefined;
    if (ids && ids.length > 0) g.inputs.push({ ids, need: ids.length });
  }
  return actions;
}
