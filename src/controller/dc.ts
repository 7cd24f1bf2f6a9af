/**
 * The DC controller: a pure state machine that runs on the designated coordinator. It asks the
 * scheduler what to do, runs the resulting transition (actions in dependency order, at most
 * batch-limit at once), records every result through the replicated log, and replans when a
 * result was not the expected one or anything else changed — only once the actions in flight
 * have settled or timed out. It also decides fencing: a node lost uncleanly is unsafe until it
 * is fenced, has certainly killed itself (watchdog-timeout), or the operator confirms it is down;
 * until then nothing that may still run there is started or promoted anywhere else.
 */
import type { CibUpdate } from '../coordination/cib-update.js';
import { OcfRc, OpStatus, type Attributes, type Cib, type ClusterConfig, type OperationRecord, type Role } from '../model/cluster.js';
import { INFINITY } from '../model/score.js';
import { schedule, type SchedulerResult } from '../scheduler/index.js';
import { applyUpdate } from './cib-state.js';
import { expiredFailCounts, nextFailureExpiry } from './failure-timeout.js';
import { fenceLevels } from './fence-devices.js';
import { checkFenceConfirm } from './fence-confirm.js';
import { propMs, stonithEnabled, watchdogTimeoutOf } from './options.js';
import { isFailure, isProbe, parseTransitionKey, possiblyActive, possiblyPromoted, transitionKey } from './records.js';
import {
  baseId, buildRequest, isPromotable, managed, monitorTargetRc, orphanInfo, primitives, recurringMonitors, truthy, withStartParams, type PrimitiveInfo,
} from './resources.js';
import {
  graphFromSchedule, memberNodes, nodeInMaintenance, probeActions, schedulerView, type GraphAction, type Transition,
} from './transition-graph.js';
import type { ActionResult, DcInput, DcOptions, DcOutput, ExecuteRequest, StepResult } from './types.js';

export interface UnsafeNode {
  /** When the DC learned the node was lost (or first saw it unclean). */
  since: number;
  reason: string;
  /** A watchdog self-fence request was sent to it. */
  asked?: boolean;
  /** Primitives whose start or promote was in flight there when it was lost: they may be active. */
  inFlight?: string[];
}

export interface DcState {
  opts: Required<Omit<DcOptions, 'watchdogTimeoutMs' | 'fenceDelayMs' | 'skipWatchdogWait'>> & Pick<DcOptions, 'watchdogTimeoutMs' | 'fenceDelayMs' | 'skipWatchdogWait'>;
  cib: Cib;
  haveQuorum: boolean;
  /** Current membership as last reported (null until the first report). */
  members: string[] | null;
  transitionSeq: number;
  transition: Transition | null;
  /** Something changed that the current plan does not account for. */
  dirty: string | null;
  /** Proposals not yet seen committed, by content. */
  pending: Map<string, { id: string; at: number; count: number }>;
  proposalSeq: number;
  unsafe: Map<string, UnsafeNode>;
  /** Nodes to probe for every resource (they rejoined), regardless of their recorded history. */
  reprobe: Set<string>;
  /**
   * Nodes fenced while the membership still listed them (it notices a power-off only after
   * deadtime): not members again until the membership drops them or reports them restarted.
   */
  fencedListed: Set<string>;
  /**
   * Call keys of the recurring monitors this DC runs, per `node/resource`. A stop, promote or
   * demote cancels them (empty set): a result that was already under way then is stale.
   * No entry: not known to this DC (an earlier DC started them), so results are taken as they come.
   */
  monitors: Map<string, string[]>;
  /** Per node: added to its executor's call ids after the executor restarted (numbering from 1 again). */
  callOffsets: Map<string, number>;
  fenceFailedAt: Map<string, number>;
  recheckAt: number | null;
}

const DEFAULT_BATCH_LIMIT = 16;

function watchdogTimeout(s: DcState): number | undefined {
  return watchdogTimeoutOf(s.cib, s.opts.watchdogTimeoutMs);
}

export function createDc(options: DcOptions, cib: Cib, now: number, haveQuorum = true): DcState {
  const p = cib.config.properties;
  const batch = options.batchLimit ?? (p['batch-limit'] !== undefined ? Number.parseInt(p['batch-limit'], 10) : DEFAULT_BATCH_LIMIT);
  const s: DcState = {
    opts: {
      self: options.self,
      batchLimit: Number.isFinite(batch) && batch >= 0 ? batch : DEFAULT_BATCH_LIMIT,
      fenceTimeoutMs: options.fenceTimeoutMs ?? propMs(p['stonith-timeout']) ?? 60_000,
      fenceRetryMs: options.fenceRetryMs ?? 5_000,
      resultGraceMs: options.resultGraceMs ?? 10_000,
      recheckIntervalMs: options.recheckIntervalMs ?? propMs(p['cluster-recheck-interval']) ?? 15 * 60_000,
      proposalTimeoutMs: options.proposalTimeoutMs ?? 30_000,
      watchdogTimeoutMs: options.watchdogTimeoutMs,
      fenceDelayMs: options.fenceDelayMs,
      skipWatchdogWait: options.skipWatchdogWait,
    },
    cib, haveQuorum, members: null, transitionSeq: 0, transition: null, dirty: 'new DC', pending: new Map(), proposalSeq: 0,
    unsafe: new Map(), reprobe: new Set(), fencedListed: new Set(), monitors: new Map(), callOffsets: new Map(), fenceFailedAt: new Map(), recheckAt: null,
  };
  // Nodes the CIB already shows lost (by an earlier DC) stay unsafe: the wait starts again now.
  if (stonithEnabled(cib)) {
    for (const n of cib.status.nodes) {
      if (n.name === options.self) continue;
      if (n.unclean || (!n.inCluster && n.expected === 'member')) s.unsafe.set(n.name, { since: now, reason: n.unclean ? 'marked unclean' : 'lost before this DC was elected' });
    }
  }
  return s;
}

function copyState(s: DcState): DcState {
  return {
    ...s,
    pending: new Map(s.pending),
    unsafe: new Map([...s.unsafe].map(([k, v]) => [k, { ...v }])),
    reprobe: new Set(s.reprobe),
    fencedListed: new Set(s.fencedListed),
    monitors: new Map(s.monitors),
    callOffsets: new Map(s.callOffsets),
    fenceFailedAt: new Map(s.fenceFailedAt),
    transition: s.transition ? { ...s.transition, actions: s.transition.actions.map((a) => ({ ...a })) } : null,
  };
}

class Step {
  readonly out: DcOutput[] = [];
  constructor(readonly s: DcState, readonly now: number) {}

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.out.push({ type: 'log', line: { level, message } });
  }

  propose(update: CibUpdate): void {
    const key = JSON.stringify(update);
    const id = `${this.s.opts.self}-${++this.s.proposalSeq}`;
    const same = this.s.pending.get(key);
    this.s.pending.set(key, { id, at: this.now, count: (same?.count ?? 0) + 1 });
    this.out.push({ type: 'propose', id, update });
  }

  markDirty(reason: string): void {
    this.s.dirty ??= reason;
    const t = this.s.transition;
    if (t && !t.aborted) {
      t.aborted = reason;
      this.log('info', `transition ${t.id} aborted: ${reason}`);
    }
  }
}

export function dcStep(state: DcState, input: DcInput): StepResult<DcState, DcOutput> {
  const s = copyState(state);
  const st = new Step(s, input.now);
  switch (input.type) {
    case 'tick':
      break;
    case 'committed':
      onCommitted(st, input.update);
      break;
    case 'cib':
      s.cib = input.cib;
      s.pending.clear();
      st.markDirty('CIB replaced');
      break;
    case 'membership':
      onMembership(st, input.members, input.left ?? [], input.restarted ?? [], input.fenced ?? []);
      break;
    case 'quorum':
      if (s.haveQuorum !== input.haveQuorum) {
        s.haveQuorum = input.haveQuorum;
        st.markDirty(input.haveQuorum ? 'quorum gained' : 'quorum lost');
      }
      break;
    case 'action-result':
      onResult(st, input.node, input.result);
      break;
    case 'action-undeliverable':
      onUndeliverable(st, input.node, input.userData, input.maybeRan);
      break;
    case 'fence-result':
      onFenceResult(st, input.node, input.key, input.ok, input.reason);
      break;
    case 'fence-confirmed': {
      // The daemon checks first and tells the operator; this guards against a stale request.
      const check = checkFenceConfirm(s, input.node);
      if (!check.ok) {
        st.log('error', `confirmation that ${input.node} is down refused: ${check.reason}`);
        break;
      }
      st.log('warn', `operator confirmed that ${input.node} is down`);
      nodeFenced(st, input.node, 'confirmed by operator');
      break;
    }
  }
  housekeeping(st);
  advance(st);
  return { state: s, outputs: st.out, wakeAt: nextWake(s, input.now) };
}

// ---------------------------------------------------------------------------------------------
// Inputs

function onCommitted(st: Step, update: CibUpdate): void {
  const s = st.s;
  const inMaintenance = [...memberNodes(s)].filter((n) => nodeInMaintenance(s, n));
  s.cib = applyUpdate(s.cib, update);
  // Nothing was probed or watched on a node in maintenance, so what is recorded there may be
  // stale (it may even have rebooted): it is probed again when it leaves maintenance.
  for (const n of inMaintenance) {
    if (nodeInMaintenance(s, n)) continue;
    s.reprobe.add(n);
    st.markDirty(`${n} left maintenance`);
  }
  if (s.unsafe.size > 0 && !stonithEnabled(s.cib)) {
    // The operator turned fencing off: lost nodes count as down from now on (unsafe, as asked).
    st.log('warn', `fencing disabled: ${[...s.unsafe.keys()].join(', ')} treated as down without fencing`);
    s.unsafe.clear();
  }
  const key = JSON.stringify(update);
  const mine = s.pending.get(key);
  if (mine) {
    if (mine.count > 1) s.pending.set(key, { ...mine, count: mine.count - 1 });
    else s.pending.delete(key);
    return;
  }
  if (update.kind === 'config') reconcileMonitors(st);
  st.markDirty(`CIB changed (${update.kind})`);
}

/**
 * A new configuration may change the recurring monitors of what runs (an interval added, removed
 * or changed): where the monitors this DC started differ from the configuration's, they are
 * replaced, without a restart, as Pacemaker does. (A stop sent meanwhile cancels them anyway,
 * and makes any late result of theirs one the DC ignores.)
 */
function reconcileMonitors(st: Step): void {
  const s = st.s;
  const prims = primitives(s.cib.config);
  const members = memberNodes(s);
  for (const [id, keys] of [...s.monitors]) {
    if (keys.length === 0) continue;
    const node = id.slice(0, id.indexOf('/'));
    const resource = id.slice(id.indexOf('/') + 1);
    const info = prims.get(baseId(resource));
    if (!info || !members.has(node)) continue;
    const role = runningRole(info, parseTransitionKey(keys[0])?.targetRc === OcfRc.RunningPromoted);
    const have = keys.map(monitorInterval).sort((a, b) => a - b).join();
    const want = recurringMonitors(info.primitive, role).map((o) => o.intervalMs).sort((a, b) => a - b).join();
    if (have === want) continue;
    st.log('info', `monitors of ${resource} on ${node} changed (every ${have || '-'} ms → ${want || '-'} ms): replaced`);
    s.monitors.set(id, []);
    startMonitors(st, node, resource, info.primitive.id, role, s.transitionSeq, 0, true);
  }
}

function onMembership(st: Step, reported: string[], left: string[], restarted: string[], fencedHere: string[]): void {
  const s = st.s;
  const now = st.now;
  const at = Math.floor(now / 1000);
  // A node fenced a moment ago is still listed until the membership notices it is gone: taking
  // that stale listing for a rejoin, then its drop for a new loss, fenced it again and again
  // (vigil sim --whole seed 2334). It is a member again once it left, or came back restarted.
  for (const name of [...s.fencedListed]) if (!reported.includes(name) || restarted.includes(name)) s.fencedListed.delete(name);
  const members = reported.filter((m) => !s.fencedListed.has(m));
  // A restarted member: what is recorded for it no longer matches its executor (state, call ids).
  for (const name of restarted) {
    const ns = s.cib.status.nodes.find((n) => n.name === name);
    if (!members.includes(name) || !ns || !ns.inCluster) continue;
    for (const change of ['lost', 'joined'] as const) {
      st.propose({ kind: 'node-state', node: name, state: change, at });
      s.cib = applyUpdate(s.cib, { kind: 'node-state', node: name, state: change, at });
    }
    s.callOffsets.delete(name);
    s.monitors = new Map([...s.monitors].filter(([k]) => !k.startsWith(`${name}/`)));
    s.reprobe.add(name);
    for (const a of s.transition?.actions ?? []) if (a.state === 'in-flight' && a.node === name && a.task !== 'fence') a.state = 'lost';
    st.markDirty(`${name} restarted`);
  }
  const inSet = new Set(members);
  const fencing = stonithEnabled(s.cib);
  const known = new Set([...s.cib.config.nodes.map((n) => n.name), ...s.cib.status.nodes.map((n) => n.name)]);
  for (const name of known) {
    const ns = s.cib.status.nodes.find((n) => n.name === name);
    const wasMember = !!ns && (ns.inCluster || ns.join === 'member');
    if (inSet.has(name)) {
      if (!ns || !ns.inCluster || ns.join !== 'member' || ns.expected !== 'member') {
        st.propose({ kind: 'node-state', node: name, state: 'joined', at });
        s.cib = applyUpdate(s.cib, { kind: 'node-state', node: name, state: 'joined', at });
        s.reprobe.add(name);
        st.markDirty(`${name} joined`);
      }
      if (s.unsafe.delete(name)) {
        st.log('info', `${name} is back before it was fenced; its resources were never started elsewhere`);
        for (const a of s.transition?.actions ?? []) if (a.task === 'fence' && a.node === name && a.state === 'in-flight' && a.key?.startsWith('watchdog:')) a.state = 'failed';
        st.markDirty(`${name} is back`);
      }
      continue;
    }
    if (!wasMember) continue;
    const clean = left.includes(name);
    const change = clean ? 'left' : 'lost';
    st.propose({ kind: 'node-state', node: name, state: change, at });
    s.cib = applyUpdate(s.cib, { kind: 'node-state', node: name, state: change, at });
    s.reprobe.delete(name);
    if (!clean && fencing && !s.unsafe.has(name)) {
      s.unsafe.set(name, { since: now, reason: 'lost from the membership' });
      st.log('warn', `${name} was lost: its resources stay where they were until it is fenced${watchdogTimeout(s) !== undefined ? ` or ${watchdogTimeout(s)} ms (watchdog-timeout) have passed` : ''}`);
    }
    // Operations in flight there will not report back; a start or promote may have happened.
    const u = s.unsafe.get(name);
    for (const a of s.transition?.actions ?? []) {
      if (a.state !== 'in-flight' || a.node !== name || a.task === 'fence') continue;
      a.state = 'lost';
      if (u && a.primitive && (a.task === 'start' || a.task === 'promote')) u.inFlight = [...(u.inFlight ?? []), a.primitive];
    }
    st.markDirty(`${name} ${change}`);
  }
  // Fenced by this node's own controller (the two-node fence race, before this DC existed): the
  // same record a fence by the DC makes, so it is not fenced a second time for the same loss.
  for (const name of fencedHere) {
    const ns = s.cib.status.nodes.find((n) => n.name === name);
    if (inSet.has(name) || name === s.opts.self || (ns && !ns.inCluster && ns.expected !== 'member' && !s.unsafe.has(name))) continue;
    nodeFenced(st, name, 'fenced by this node (two-node fence race)');
  }
  // A new DC probes every member once: operations an earlier DC started may have finished
  // without their results reaching the log (the executor runs the probe after them).
  if (s.members === null) for (const m of members) if (!nodeInMaintenance(s, m)) s.reprobe.add(m);
  s.members = members.slice();
}

/**
 * The newest executor result recorded on a node (records the DC wrote itself are not executor
 * results: they neither number the executor's calls nor hide its later results).
 */
function newestReal(s: DcState, node: string): OperationRecord | undefined {
  let newest: OperationRecord | undefined;
  for (const h of s.cib.status.nodes.find((n) => n.name === node)?.history ?? []) {
    for (const o of h.ops) if (!o.synthetic && (!newest || o.callId > newest.callId)) newest = o;
  }
  return newest;
}

/**
 * The call id to record. The status orders a node's operations by call id, but an executor that
 * restarted numbers from 1 again: a probe with a lower call id than the newest recorded one
 * comes from a new executor (a probe is the latest word on its resource: the executor runs it
 * after everything queued before it) — its ids are shifted above what is recorded, and every
 * later one by the same amount. (Restarted members named in `membership` are forgotten outright.)
 */
function rebasedCallId(s: DcState, node: string, r: ActionResult): number {
  if (r.callId <= 0) return r.callId;
  const offset = s.callOffsets.get(node) ?? 0;
  const id = r.callId + offset;
  const newest = newestReal(s, node);
  if (!newest || id > newest.callId) return id;
  // A probe is the latest word on its resource by construction (the executor runs it after
  // everything queued before it), so a probe below the newest record means a new executor.
  // Anything else below the newest record is taken for a late result of an older call.
  if (!isProbe(r.action, r.intervalMs)) return id;
  s.callOffsets.set(node, newest.callId + 1 - r.callId);
  return newest.callId + 1;
}

/**
 * The record of a result. Times are the DC's clock when the result arrived (less the run time),
 * not the node's: failure-timeout is judged on the DC's clock, and nodes' clocks may differ.
 */
function toRecord(node: string, r: ActionResult, now: number): OperationRecord {
  const at = Math.floor(now / 1000);
  const rec: OperationRecord = {
    id: '', operation: r.action, callId: r.callId, rc: r.rc, opStatus: r.opStatus, intervalMs: r.intervalMs,
    lastRcChange: at, lastRun: Math.floor((now - (r.durationMs ?? 0)) / 1000), onNode: node,
  };
  if (r.userData) {
    rec.transitionKey = r.userData;
    rec.transitionMagic = `${r.opStatus}:${r.rc};${r.userData}`;
  }
  if (r.durationMs !== undefined) rec.execTimeMs = r.durationMs;
  if (r.queueTimeMs !== undefined) rec.queueTimeMs = r.queueTimeMs;
  if (r.exitReason) rec.exitReason = r.exitReason;
  return rec;
}

/**
 * Record a result and, when it is a failure, count it (Pacemaker's rules for the increment).
 * `synthetic`: the DC writes it itself (a timeout, a fence device's start): it is anchored to the
 * newest executor result on the node, so any later executor result supersedes it — the
 * executor's next call may well carry the id "newest + 1" (vigil sim --whole seed 10).
 */
function recordResult(st: Step, node: string, r: ActionResult, synthetic = false, sentParams?: Attributes): boolean {
  const s = st.s;
  const rec = synthetic
    ? { ...toRecord(node, { ...r, callId: Math.max(0, newestReal(s, node)?.callId ?? 0) }, st.now), synthetic: true }
    : toRecord(node, { ...r, callId: rebasedCallId(s, node, r) }, st.now);
  const info = primitives(s.cib.config).get(baseId(r.resource));
  // A start remembers the agent and the parameters it ran with: an orphan can still be stopped,
  // a stop uses them, and the scheduler restarts it where they differ from the configuration. A
  // probe tells only that it runs, not with what: it records the configured parameters where
  // nothing is recorded yet, and leaves what a start recorded.
  const recorded = s.cib.status.nodes.find((n) => n.name === node)?.history.find((h) => h.rsc === r.resource)?.params;
  const params = r.action === 'start' ? sentParams ?? info?.primitive.params : recorded === undefined ? info?.primitive.params : undefined;
  const remember = info && r.intervalMs === 0 && (r.action === 'start' || r.action === 'monitor') ? { agent: info.primitive.agent, ...(params ? { params: { ...params } } : {}) } : {};
  st.propose({ kind: 'operation-result', node, rsc: r.resource, record: rec, ...remember });
  const failed = isFailure(rec);
  if (!failed) return true;
  const opConf = info?.primitive.operations.find((o) => o.name === r.action && o.intervalMs === r.intervalMs);
  const onFail = opConf?.onFail ?? s.cib.config.opDefaults['on-fail'];
  const probe = isProbe(r.action, r.intervalMs);
  st.log('warn', `${r.action}${r.intervalMs ? ` (every ${r.intervalMs} ms)` : ''} of ${r.resource} on ${node} failed: rc=${r.rc} status=${OpStatus[r.opStatus] ?? r.opStatus}${r.exitReason ? ` (${r.exitReason})` : ''}`);
  if (onFail !== 'ignore' && !(probe && r.rc === OcfRc.NotInstalled)) {
    const fatalStart = truthy(s.cib.config.properties['start-failure-is-fatal'] ?? 'true');
    const by = r.action === 'start' ? (fatalStart ? INFINITY : 1) : r.action === 'stop' ? INFINITY : 1;
    st.propose({ kind: 'fail-count-increment', node, rsc: r.resource, operation: r.action, intervalMs: r.intervalMs, by, lastFailure: rec.lastRcChange ?? Math.floor(st.now / 1000) });
  }
  return false;
}

function onResult(st: Step, node: string, r: ActionResult): void {
  const s = st.s;
  const t = s.transition;
  const key = r.userData;
  const a = key && t ? t.actions.find((x) => x.key === key && x.state === 'in-flight' && x.node === node && r.intervalMs === 0) : undefined;
  if (a && t) {
    const ok = recordResult(st, node, r, false, a.params);
    if (!ok) {
      a.state = 'failed';
      st.markDirty(`${r.action} of ${r.resource} on ${node} returned rc=${r.rc}`);
      return;
    }
    a.state = 'done';
    if (a.task === 'probe') {
      // A probe that finds the resource active changes the picture: replan once probes settle.
      if (r.rc !== OcfRc.NotRunning) s.dirty ??= 'probe found a resource active';
      monitorsAfterProbe(st, node, r, t.id, a.id);
      return;
    }
    const role: Role | undefined = a.task === 'start' ? startedRole(s, a) : a.task === 'promote' ? 'Promoted' : a.task === 'demote' ? 'Unpromoted' : undefined;
    if (role && a.resource && a.primitive) startMonitors(st, node, a.resource, a.primitive, role, t.id, a.id);
    return;
  }
  // Unsolicited: a recurring monitor, a local probe, or the late result of an older transition.
  if (r.intervalMs > 0) {
    const known = s.monitors.get(`${node}/${r.resource}`);
    if (known && !known.includes(key ?? '')) {
      st.log('debug', `ignoring a result of a cancelled monitor of ${r.resource} on ${node} (rc=${r.rc})`);
      return;
    }
  }
  const ok = recordResult(st, node, r);
  if (r.intervalMs > 0) {
    if (!ok) st.markDirty(`monitor of ${r.resource} on ${node} failed`);
    return;
  }
  if (isProbe(r.action, r.intervalMs)) {
    monitorsAfterProbe(st, node, r, parseTransitionKey(key)?.transition ?? 0, 0);
    const ns = s.cib.status.nodes.find((n) => n.name === node);
    const hist = ns?.history.find((h) => h.rsc === r.resource);
    const believedActive = !!hist && possiblyActive(hist.ops);
    const nowActive = r.rc !== OcfRc.NotRunning;
    // The role counts too: a promotable instance found unpromoted where the DC believed it
    // promoted (demoted by no-quorum-policy while the DC could not hear it), or the other way
    // round, is a change the DC did not make (vigil sim --whole seeds 356, 1763).
    const believedPromoted = believedActive && possiblyPromoted(hist.ops);
    const nowPromoted = r.rc === OcfRc.RunningPromoted || r.rc === OcfRc.FailedPromoted;
    if (believedActive !== nowActive || (nowActive && believedPromoted !== nowPromoted) || !hist || !ok) {
      st.markDirty(`probe of ${r.resource} on ${node}: ${nowActive ? (nowPromoted ? 'promoted' : 'active') : 'stopped'}`);
    }
    return;
  }
  const parsed = parseTransitionKey(key);
  st.markDirty(`late result of ${r.action} ${r.resource} on ${node}${parsed ? ` (transition ${parsed.transition})` : ''}`);
}

function onUndeliverable(st: Step, node: string, key: string, maybeRan: boolean): void {
  const s = st.s;
  const a = s.transition?.actions.find((x) => x.key === key && x.state === 'in-flight');
  if (!a) return;
  a.state = 'lost';
  st.markDirty(`could not reach ${node}`);
  // A lost node is handled by the membership (fenced, or probed when it is back).
  if (!memberNodes(s).has(node) || s.unsafe.has(node)) return;
  if (a.task === 'probe' && maybeRan) {
    // Probing again could loop while the node stays unreachable: a probe without an answer is a
    // probe that timed out, as at its deadline (the resource may be active there).
    noResult(st, a, 'no answer from the node');
  } else if (a.task === 'probe' || maybeRan) {
    // A refused probe is still needed. An operation without an answer may have run (the
    // connection broke after the request arrived): what is recorded for the node may be wrong, so
    // it is probed before anything is placed; its executor runs the probe after the operation.
    s.reprobe.add(node);
  }
}

function onFenceResult(st: Step, node: string, key: string, ok: boolean, reason?: string): void {
  const s = st.s;
  // A self-fence order that was delivered proves nothing: the DC still waits watchdog-timeout.
  if (key.startsWith('watchdog:')) return;
  const a = s.transition?.actions.find((x) => x.task === 'fence' && x.key === key);
  if (ok) {
    nodeFenced(st, node, 'fenced', a ? `${a.fenceType ?? 'reboot'}: ${a.reason ?? 'node is unclean'}` : undefined);
    if (a) a.state = 'done';
    return;
  }
  s.fenceFailedAt.set(node, st.now);
  st.log('error', `fencing ${node} failed${reason ? `: ${reason}` : ''}; retrying in ${s.opts.fenceRetryMs} ms`);
  if (a && a.state === 'in-flight') {
    a.state = 'failed';
    st.markDirty(`fencing ${node} failed`);
  }
}

/** The node is certainly down: erase what it was running and let the scheduler recover it. */
/** `detail`: what is recorded besides `how` (the fence action and its reason). */
function nodeFenced(st: Step, node: string, how: string, detail?: string): void {
  const s = st.s;
  const at = Math.floor(st.now / 1000);
  s.unsafe.delete(node);
  s.fenceFailedAt.delete(node);
  if (s.members?.includes(node) && node !== s.opts.self) {
    s.fencedListed.add(node);
    s.members = s.members.filter((m) => m !== node);
  }
  const update: CibUpdate = { kind: 'node-state', node, state: 'fenced', at, how: detail ? `${how} (${detail})` : how };
  st.propose(update);
  s.cib = applyUpdate(s.cib, update);
  st.log('info', `${node} ${how}: its resources can be recovered`);
  for (const a of s.transition?.actions ?? []) if (a.task === 'fence' && a.node === node && (a.state === 'waiting' || a.state === 'in-flight')) a.state = 'done';
  st.markDirty(`${node} ${how}`);
}

/** No result will come: record a timeout, as Pacemaker does when its action timer pops. */
function noResult(st: Step, a: GraphAction, why: string): void {
  if (a.node && a.resource) {
    const action = a.task === 'probe' ? 'monitor' : a.task;
    recordResult(st, a.node, { callId: 0, resource: a.resource, action, intervalMs: 0, rc: OcfRc.Error, opStatus: OpStatus.Timeout, exitReason: why, userData: a.key, finishedAt: st.now }, true);
  }
  st.markDirty(`${a.task} of ${a.resource ?? ''} on ${a.node ?? ''} timed out`);
}

// ---------------------------------------------------------------------------------------------
// Time: timeouts, the watchdog wait, failure-timeout rechecks, forgotten proposals

function housekeeping(st: Step): void {
  const s = st.s;
  const now = st.now;
  for (const [k, p] of s.pending) {
    if (now - p.at >= s.opts.proposalTimeoutMs) {
      s.pending.delete(k);
      st.log('warn', `proposal ${p.id} was not committed within ${s.opts.proposalTimeoutMs} ms`);
      st.markDirty('a proposal was not committed');
    }
  }
  const t = s.transition;
  for (const a of t?.actions ?? []) {
    if (a.state !== 'in-flight' || a.deadline === undefined || now < a.deadline) continue;
    if (a.task === 'fence') {
      if (a.key?.startsWith('watchdog:')) {
        // The wait ended without the node being declared down (it came back, or quorum was lost).
        a.state = 'failed';
        st.markDirty(`watchdog fencing of ${a.node ?? ''} did not complete`);
      } else {
        onFenceResult(st, a.node ?? '', a.key ?? '', false, 'timed out');
      }
      continue;
    }
    a.state = 'failed';
    noResult(st, a, 'no result before the timeout');
  }
  // Only a quorate DC may decide that a node is gone.
  if (s.haveQuorum) watchdogFencing(st);
  if (s.recheckAt !== null && now >= s.recheckAt) {
    s.recheckAt = null;
    for (const u of expiredFailCounts(s.cib, now)) st.propose(u);
    s.dirty ??= 'recheck';
  }
}

/** Self-fencing: an unsafe node without a device is down once watchdog-timeout has passed. */
function watchdogFencing(st: Step): void {
  const s = st.s;
  const now = st.now;
  const wd = watchdogTimeout(s);
  for (const [node, u] of [...s.unsafe]) {
    const levels = fenceLevels(s.cib.config, node);
    if (levels.length > 0 || wd === undefined) continue;
    if (!u.asked && s.members?.includes(node)) {
      u.asked = true;
      st.out.push({ type: 'fence', request: { node, action: 'reboot', levels: [], method: 'watchdog', reason: u.reason, key: `watchdog:${node}:${u.since}`, timeoutMs: wd } });
    }
    if (s.opts.skipWatchdogWait || now >= u.since + wd) nodeFenced(st, node, s.opts.skipWatchdogWait ? 'assumed self-fenced (planted bug: no watchdog wait)' : `self-fenced (watchdog-timeout ${wd} ms passed)`);
  }
}

function nextWake(s: DcState, now: number): number | null {
  let w: number | null = null;
  const at = (t: number | undefined | null): void => { if (t !== undefined && t !== null && (w === null || t < w)) w = Math.max(t, now + 1); };
  for (const a of s.transition?.actions ?? []) {
    if (a.state === 'in-flight') at(a.deadline);
    if (a.state === 'waiting' && a.notBefore !== undefined) at(a.notBefore);
  }
  for (const p of s.pending.values()) at(p.at + s.opts.proposalTimeoutMs);
  const wd = watchdogTimeout(s);
  if (wd !== undefined) for (const [node, u] of s.unsafe) if (fenceLevels(s.cib.config, node).length === 0) at(u.since + wd);
  at(s.recheckAt);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Planning and running transitions

function advance(st: Step): void {
  const s = st.s;
  for (let round = 0; round < 4; round++) {
    if (s.transition) {
      dispatch(st);
      const t = s.transition;
      if (t.actions.some((a) => a.state === 'in-flight')) return;
      if (!t.aborted && t.actions.some((a) => a.state === 'waiting' && a.inGraph && a.notBefore !== undefined && a.notBefore > st.now && !a.held)) return;
      // Settled: nothing in flight and nothing more can start.
      const incomplete = t.actions.filter((a) => a.inGraph && a.state !== 'done');
      st.out.push({ type: 'transition-done', id: t.id, complete: !t.aborted && incomplete.length === 0, ...(t.aborted ? { reason: t.aborted } : incomplete.length ? { reason: `${incomplete.length} action(s) could not run` } : {}) });
      if (t.phase === 'probe') s.dirty ??= 'probes done';
      s.transition = null;
    }
    if (!s.dirty || !s.haveQuorum || s.pending.size > 0) return;
    if (!plan(st)) return;
  }
}

/** One line per action of the scheduler's summary, as logs, `vigil status` and plans show them. */
function summaryLines(result: SchedulerResult): string[] {
  return result.summary.map((e) => (e.action === 'fence' ? `fence (${e.type}) ${e.node}: ${e.reason}` : `${e.action} ${e.instance}${e.from ? ` on ${e.from}` : ''}${e.to && e.to !== e.from ? ` → ${e.to}` : ''}${e.blocked ? ' (blocked)' : ''}`));
}

/**
 * What the DC would do if `config` replaced the configuration now (for `vigil config apply`'s
 * plan): the scheduler's transition on the state as this DC sees it. Nothing changes.
 */
export function previewConfig(state: DcState, config: ClusterConfig, now: number): string[] {
  return summaryLines(schedule(schedulerView({ ...state, cib: { ...state.cib, config } }), Math.floor(now / 1000)));
}

/** Build the next transition: probes first where the state of a resource on a node is unknown. */
function plan(st: Step): boolean {
  const s = st.s;
  const reason = s.dirty ?? '';
  s.dirty = null;
  const id = ++s.transitionSeq;
  const probes = probeActions(s, id);
  if (probes.length > 0) {
    s.reprobe.clear();
    s.transition = { id, phase: 'probe', actions: probes, aborted: null, summary: probes.map((a) => `probe ${a.resource} on ${a.node}`) };
    st.out.push({ type: 'transition', id, phase: 'probe', actions: probes.length, summary: s.transition.summary });
    st.log('info', `transition ${id}: ${probes.length} probe(s) (${reason})`);
    return true;
  }
  const cib = schedulerView(s);
  let result: SchedulerResult;
  try {
    result = schedule(cib, Math.floor(st.now / 1000));
  } catch (e) {
    st.log('error', `the scheduler failed: ${(e as Error).message}`);
    return false;
  }
  // Nodes the scheduler sees as unclean are unsafe until fenced (even if it cannot fence them).
  if (stonithEnabled(s.cib)) {
    for (const [name, n] of Object.entries(result.nodes)) {
      if ((n.before !== 'unclean' && n.after !== 'unclean') || name === s.opts.self || s.unsafe.has(name)) continue;
      // A member the scheduler wants fenced (on-fail=fence) with no device for it: watchdog fencing.
      const watchdogOnly = fenceLevels(s.cib.config, name).length === 0 && watchdogTimeout(s) !== undefined;
      if (!memberNodes(s).has(name) || watchdogOnly) {
        s.unsafe.set(name, { since: st.now, reason: 'unclean' });
      }
    }
    watchdogFencing(st);
  }
  const actions = graphFromSchedule(s, result, id);
  const next = nextFailureExpiry(s.cib, st.now);
  s.recheckAt = Math.min(next ?? Infinity, st.now + s.opts.recheckIntervalMs);
  if (!actions.some((a) => a.inGraph)) {
    st.out.push({ type: 'idle', reason });
    return false;
  }
  const summary = summaryLines(result);
  s.transition = { id, phase: 'run', actions, aborted: null, summary };
  st.out.push({ type: 'transition', id, phase: 'run', actions: actions.filter((a) => a.inGraph).length, summary });
  st.log('info', `transition ${id} (${reason}): ${summary.join('; ') || 'no changes'}`);
  return true;
}

/** Resources that may still be active (and whether possibly promoted) on an unsafe node, by configured primitive id. */
function heldByUnsafe(s: DcState): Map<string, { node: string; promoted: boolean }> {
  const out = new Map<string, { node: string; promoted: boolean }>();
  for (const [node, u] of s.unsafe) {
    const ns = s.cib.status.nodes.find((n) => n.name === node);
    for (const h of ns?.history ?? []) {
      if (!possiblyActive(h.ops)) continue;
      const id = baseId(h.rsc);
      out.set(id, { node, promoted: possiblyPromoted(h.ops) || (out.get(id)?.promoted ?? false) });
    }
    for (const p of u.inFlight ?? []) out.set(p, { node, promoted: true });
  }
  return out;
}

/** Actions that count against batch-limit: probes only look, and the executor bounds them per node. */
function inFlightCount(t: Transition): number {
  return t.actions.filter((a) => a.state === 'in-flight' && !a.pseudo && a.task !== 'probe').length;
}

function dispatch(st: Step): void {
  const s = st.s;
  const t = s.transition;
  if (!t || t.aborted || !s.haveQuorum) return;
  const prims = primitives(s.cib.config);
  const held = heldByUnsafe(s);
  let progress = true;
  while (progress) {
    progress = false;
    for (const a of t.actions) {
      if (a.state !== 'waiting' || !a.inGraph) continue;
      const ready = a.inputs.every((inp) => inp.ids.filter((i) => t.actions[i].state === 'done').length >= inp.need);
      if (!ready) continue;
      // The fencing guard: never start or promote what may still run on a node not yet fenced.
      // Anonymous clone instances are interchangeable: only a possibly promoted one holds promotes.
      const risk = (a.task === 'start' || a.task === 'promote') && a.primitive ? held.get(a.primitive) : undefined;
      if (risk) {
        const info = prims.get(a.primitive ?? '');
        const anonymous = !!info?.clone && !truthy(info.meta['globally-unique']);
        if (!anonymous || (a.task === 'promote' && risk.promoted)) {
          if (!a.held) st.log('warn', `${a.task} of ${a.resource} on ${a.node} waits: it may still be ${a.task === 'promote' ? 'promoted' : 'active'} on ${risk.node}, which is not fenced yet`);
          a.held = `waiting for ${risk.node} to be fenced`;
          continue;
        }
      }
      a.held = undefined;
      if (a.pseudo) { a.state = 'done'; progress = true; continue; }
      if (s.opts.batchLimit > 0 && a.task !== 'probe' && inFlightCount(t) >= s.opts.batchLimit) return;
      if (a.task === 'fence') {
        if (!dispatchFence(st, a)) continue;
      } else if (!dispatchOperation(st, a, t, prims)) {
        continue;
      }
      progress = true;
    }
  }
}

function dispatchFence(st: Step, a: GraphAction): boolean {
  const s = st.s;
  const node = a.node ?? '';
  const levels = fenceLevels(s.cib.config, node);
  const wd = watchdogTimeout(s);
  if (levels.length === 0 && wd === undefined) {
    // Nothing can fence it: the operator has to (fence-confirmed). Until then its resources stay put.
    if (!a.held) st.log('error', `no fence device can fence ${node}: confirm it manually once it is powered off (vigil fence confirm ${node})`);
    a.held = 'no fence device for this node';
    return false;
  }
  if (a.notBefore === undefined) {
    // The delay settles fence races between partitions; watchdog fencing cannot race.
    const delay = levels.length ? s.opts.fenceDelayMs?.[node] ?? 0 : 0;
    const failedAt = s.fenceFailedAt.get(node);
    a.notBefore = Math.max(st.now + delay, failedAt !== undefined ? failedAt + s.opts.fenceRetryMs : 0);
  }
  if (st.now < a.notBefore) return false;
  a.state = 'in-flight';
  if (!s.unsafe.has(node)) s.unsafe.set(node, { since: st.now, reason: a.reason ?? 'fencing' });
  const u = s.unsafe.get(node)!;
  if (levels.length === 0 && wd !== undefined) {
    // Watchdog fencing: done when watchdogFencing declares the node self-fenced.
    a.key = `watchdog:${node}:${u.since}`;
    a.deadline = Math.max(st.now, u.since + wd) + s.opts.resultGraceMs;
    if (u.asked) return true;
    u.asked = true;
  } else {
    a.key = `${a.key ?? ''}:fence:${node}`;
    a.deadline = st.now + s.opts.fenceTimeoutMs + s.opts.resultGraceMs;
  }
  st.out.push({ type: 'fence', request: { node, action: a.fenceType ?? 'reboot', levels, method: levels.length ? 'device' : 'watchdog', reason: a.reason ?? 'node is unclean', key: a.key, timeoutMs: levels.length ? s.opts.fenceTimeoutMs : wd ?? 0 } });
  st.log('warn', `fencing ${node} (${levels.length ? a.fenceType ?? 'reboot' : 'watchdog'}): ${a.reason ?? 'node is unclean'}`);
  return true;
}

function startedRole(s: DcState, a: GraphAction): Role {
  return runningRole(a.primitive ? primitives(s.cib.config).get(a.primitive) : undefined, false);
}

/** The role of an active instance: promoted, else unpromoted in a promotable clone, else started. */
function runningRole(info: PrimitiveInfo | undefined, promoted: boolean): Role {
  return promoted ? 'Promoted' : isPromotable(info) ? 'Unpromoted' : 'Started';
}

function dispatchOperation(st: Step, a: GraphAction, t: Transition, prims: ReadonlyMap<string, PrimitiveInfo>): boolean {
  const s = st.s;
  const info = (a.primitive ? prims.get(a.primitive) : undefined) ?? (a.task === 'stop' && a.node && a.resource ? orphanInfo(s, a.node, a.resource) : undefined);
  if (!info || !a.node || !a.resource) {
    // An orphan without a recorded agent cannot be stopped by us.
    a.state = 'failed';
    st.log('error', `cannot ${a.task} ${a.resource ?? '?'} on ${a.node ?? '?'}: it is not configured and its agent was never recorded`);
    return true;
  }
  const action = a.task === 'probe' ? 'monitor' : a.task;
  const target = a.task === 'probe' ? OcfRc.NotRunning : OcfRc.Success;
  a.key = transitionKey(a.id, t.id, target, s.opts.self);
  if (info.primitive.agent.class === 'stonith') {
    // Fence devices are not started on a node: the DC runs their agent when it fences. Their
    // start, stop and probe are recorded as done so the scheduler sees the device available.
    const rc = a.task === 'probe' ? OcfRc.NotRunning : OcfRc.Success;
    a.state = 'done';
    recordResult(st, a.node, { callId: 0, resource: a.resource, action, intervalMs: 0, rc, opStatus: OpStatus.Done, userData: a.key, finishedAt: st.now }, true);
    return true;
  }
  const req: ExecuteRequest = buildRequest(s.cib.config, a.task === 'stop' ? withStartParams(s, a.node, a.resource, info) : info, a.node, a.resource, action, 0, a.key, target);
  a.params = req.params;
  if (req.cancelRecurring) s.monitors.set(`${a.node}/${a.resource}`, []);
  a.state = 'in-flight';
  a.deadline = st.now + req.timeoutMs + s.opts.resultGraceMs;
  st.out.push({ type: 'execute', request: req });
  return true;
}

/**
 * A probe that finds a resource running (after a DC change, or a restarted node daemon) makes
 * sure its recurring monitors run: the executor replaces a monitor with the same key, so asking
 * again is harmless.
 */
function monitorsAfterProbe(st: Step, node: string, r: ActionResult, tid: number, aid: number): void {
  if (r.opStatus !== OpStatus.Done || (r.rc !== OcfRc.Success && r.rc !== OcfRc.RunningPromoted)) return;
  const primitive = baseId(r.resource);
  const info = primitives(st.s.cib.config).get(primitive);
  if (!info) return;
  startMonitors(st, node, r.resource, primitive, runningRole(info, r.rc === OcfRc.RunningPromoted), tid, aid);
}

/** `replace`: the first request cancels every monitor of the resource there first (intervals that are gone). */
function startMonitors(st: Step, node: string, resource: string, primitive: string, role: Role, tid: number, aid: number, replace = false): void {
  const s = st.s;
  const info = primitives(s.cib.config).get(primitive);
  // Nothing runs on a node in maintenance, not even a monitor (it may have entered it meanwhile).
  if (!info || info.primitive.agent.class === 'stonith' || !managed(s.cib.config, info) || nodeInMaintenance(s, node)) return;
  const ops = recurringMonitors(info.primitive, role);
  // No monitor left to ask for: the old ones run on until the resource stops there; their results are ignored.
  ops.forEach((op, i) => {
    const target = monitorTargetRc(role);
    const key = transitionKey(`${aid}m${op.intervalMs}`, tid, target, s.opts.self);
    const id = `${node}/${resource}`;
    // The executor replaces a monitor with the same interval: its older key is stale from now on.
    s.monitors.set(id, [...(s.monitors.get(id) ?? []).filter((k) => monitorInterval(k) !== op.intervalMs), key]);
    const req = buildRequest(s.cib.config, info, node, resource, 'monitor', op.intervalMs, key, target, op.role ?? role);
    if (replace && i === 0) req.cancelRecurring = true;
    st.out.push({ type: 'execute', request: req });
  });
}

/** Same as dcStep. */
export const stepDc = dcStep;

/** The interval a monitor call key was made for (`<action>m<interval>:...`), or -1. */
function monitorInterval(key: string): number {
  const m = /^[^:]*m(\d+):/.exec(key);
  return m ? Number(m[1]) : -1;
}

