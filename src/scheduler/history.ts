/**
 * Operation history → current state. Replays a resource's recorded operations on one node in
 * call-id order, as Pacemaker does: expected vs. actual rc (target rc from the transition key),
 * probes (rc 7 = not running, rc 8 = running promoted), op-status, failure-timeout expiry,
 * on-fail handling, hard errors and stop failures. The result says whether the resource is active
 * there, in which role, and what its failures require.
 */
import type { OnFail, OperationRecord, Role } from '../model/cluster.js';
import { historyOrder, OcfRc, OpStatus } from '../model/cluster.js';
import type { ClusterOptions } from './options.js';
import type { SchedRsc } from './working-set.js';

export interface HistoryOutcome {
  role: Role;
  /** Strongest on-fail response still in force. */
  onFail: OnFail | 'none';
  /** A failure needs recovery here (stop, then maybe start). */
  failed: boolean;
  /** Ban from this node (-INFINITY), with the reason. */
  banNode?: string;
  /** Ban from every node (fatal configuration error). */
  banAll?: string;
  /** Last failed operation, for display. */
  lastFailure?: OperationRecord;
  /** A start failed (start-failure-is-fatal turns this into a ban via the fail count). */
  startFailed: boolean;
  /** Pending operations (start/stop in flight). */
  pending?: string;
  /** Stop failed: the resource is blocked on this node unless it can be fenced. */
  stopFailed: boolean;
  /** A failure was ignored (on-fail=ignore): migration-threshold does not apply either. */
  failureIgnored?: boolean;
}

/** Rank of on-fail responses: a stronger response replaces a weaker one. */
const ON_FAIL_RANK: Record<OnFail | 'none', number> = {
  none: 0, ignore: 0, demote: 1, restart: 2, block: 4, stop: 5, standby: 6, fence: 7, 'restart-container': 8,
};

function targetRc(op: OperationRecord): number | undefined {
  const key = op.transitionKey ?? op.transitionMagic?.split(';')[1];
  if (!key) return undefined;
  const parts = key.split(':');
  if (parts.length < 4) return undefined;
  const n = Number.parseInt(parts[2], 10);
  return Number.isFinite(n) ? n : undefined;
}

/** The configured on-fail for an operation, or Pacemaker's default for it. */
export function onFailFor(rsc: SchedRsc, task: string, intervalMs: number, options: ClusterOptions, opDefaults: Record<string, string>): OnFail {
  const conf = rsc.operations.find((o) => o.name === task && o.intervalMs === intervalMs)
    ?? (task === 'monitor' && intervalMs === 0 ? undefined : undefined);
  let v = conf?.onFail ?? (opDefaults['on-fail'] as OnFail | undefined);
  if (task === 'stop' && conf?.onFail === undefined) v = options.stonithEnabled ? 'fence' : 'block';
  if (v === 'demote' && task !== 'promote' && !(task === 'monitor' && conf?.role === 'Promoted')) v = undefined;
  if (v === undefined || !(v in ON_FAIL_RANK)) v = 'restart';
  if (v === 'fence' && !options.stonithEnabled) v = 'block';
  return v;
}

const HARD_RCS = new Set<number>([OcfRc.InvalidParam, OcfRc.InsufficientPriv, OcfRc.NotInstalled]);

export function replayHistory(rsc: SchedRsc, node: string, ops: OperationRecord[], now: number, options: ClusterOptions, opDefaults: Record<string, string>, failureTimeoutS: number): HistoryOutcome {
  const sorted = ops.slice().sort((a, b) => historyOrder(a) - historyOrder(b));
  const out: HistoryOutcome = { role: 'Stopped', onFail: 'none', failed: false, startFailed: false, stopFailed: false };
  let sawStop = false;
  for (const op of sorted) {
    const task = op.operation;
    if (task === 'notify' || task === 'meta-data' || task === 'validate-all') continue;
    if (op.opStatus === OpStatus.Cancelled) continue;
    const probe = task === 'monitor' && op.intervalMs === 0;
    if (op.opStatus === OpStatus.Pending) {
      if (task === 'start' || task === 'migrate_from') { out.role = 'Started'; out.pending = 'start'; }
      else if (task === 'promote') { out.role = 'Promoted'; out.pending = 'promote'; }
      else if (task === 'stop') out.pending = 'stop';
      continue;
    }
    let rc = op.rc;
    if (rc === 190) rc = OcfRc.Success; // degraded: running
    if (rc === 191) rc = OcfRc.RunningPromoted; // degraded promoted
    const target = targetRc(op) ?? (probe ? rc === OcfRc.NotRunning || rc === OcfRc.RunningPromoted || rc === OcfRc.Success ? rc : OcfRc.NotRunning : OcfRc.Success);
    let ok: boolean;
    let hard = false;
    let fatal = false;
    let executorHard = false;
    if (op.opStatus !== OpStatus.Done && op.opStatus !== OpStatus.Error) {
      ok = false;
      if (op.opStatus === OpStatus.ErrorHard || op.opStatus === OpStatus.NotInstalled) { hard = true; executorHard = true; }
      if (op.opStatus === OpStatus.ErrorFatal) fatal = true;
      if (op.opStatus === OpStatus.NotSupported) continue;
    } else if (rc === target) {
      ok = true;
    } else if (rc === OcfRc.NotRunning && (probe || task === 'stop')) {
      ok = true;
    } else if (rc === OcfRc.RunningPromoted && probe) {
      ok = true;
    } else if (rc === OcfRc.Success && probe) {
      ok = true;
    } else {
      ok = false;
      if (HARD_RCS.has(rc)) hard = true;
      else if (rc === OcfRc.NotConfigured) fatal = true;
      else if (rc === OcfRc.Unimplemented && op.intervalMs === 0) hard = true;
    }
    // failure-timeout: an old enough failure no longer counts.
    if (!ok && failureTimeoutS > 0 && op.lastRcChange !== undefined && now >= op.lastRcChange + failureTimeoutS) {
      if (!(task === 'monitor' && op.intervalMs > 0 && rc === OcfRc.NotRunning)) continue;
    }
    if (!ok && !executorHard && onFailFor(rsc, task, op.intervalMs, options, opDefaults) === 'ignore') { ok = true; out.failureIgnored = true; rc = target; }
    if (ok) {
      let clear = false;
      if (task === 'start' || task === 'migrate_from') { out.role = 'Started'; clear = true; }
      else if (task === 'stop' || task === 'migrate_to') { out.role = 'Stopped'; clear = true; sawStop = true; }
      else if (task === 'promote') { out.role = 'Promoted'; clear = true; }
      else if (task === 'demote') { out.role = 'Unpromoted'; if (out.onFail === 'demote') clear = true; }
      else if (task === 'monitor') {
        if (rc === OcfRc.NotRunning) {
          out.role = 'Stopped';
          if (probe) { out.onFail = 'none'; out.failed = false; }
        } else if (rc === OcfRc.RunningPromoted) out.role = 'Promoted';
        else if (out.role === 'Stopped') out.role = 'Started';
      }
      if (clear && (out.onFail === 'block' || out.onFail === 'ignore' || out.onFail === 'demote' || out.onFail === 'restart' || out.onFail === 'none')) {
        out.onFail = 'none';
        out.failed = false;
      }
      continue;
    }
    // A failure.
    out.lastFailure = op;
    const response = onFailFor(rsc, task, op.intervalMs, options, opDefaults);
    if (ON_FAIL_RANK[response] > ON_FAIL_RANK[out.onFail]) out.onFail = response;
    if (task === 'stop') { out.banNode = 'stop failed'; out.stopFailed = true; }
    if (task === 'start') out.startFailed = true;
    if (task === 'promote') out.role = 'Promoted';
    else if (task === 'demote') out.role = response === 'block' ? 'Promoted' : rc === OcfRc.NotRunning ? 'Stopped' : 'Unpromoted';
    if (rc === OcfRc.RunningPromoted || rc === OcfRc.FailedPromoted) out.role = 'Promoted';
    if (hard) out.banNode = `hard error (rc=${rc})`;
    if (fatal) out.banAll = `fatal configuration error (rc=${rc})`;
    if (probe && rc === OcfRc.NotInstalled) {
      // Not installed here: nothing can be running.
    } else if (rc === OcfRc.NotRunning && task === 'monitor' && op.intervalMs > 0) {
      // It stopped on its own: still needs a stop to clean up, so it counts as active and failed.
      if (out.role === 'Stopped') out.role = 'Started';
    } else if (out.role === 'Stopped') out.role = 'Started';
    out.failed = true;
  }
  void sawStop;
  if (out.role === 'Stopped') out.failed = out.onFail !== 'none' && out.onFail !== 'restart' && out.onFail !== 'demote' && out.onFail !== 'block' ? out.failed : false;
  return out;
}

/** Fail counts and last-failure times of one node, indexed by resource id (built once per node). */
export interface FailIndex {
  counts: Map<string, number>;
  last: Map<string, number>;
}

/** Index `fail-count-RSC[#op_interval]` and `last-failure-RSC[#op_interval]` transient attributes. */
export function indexFailures(attrs: Record<string, string>): FailIndex {
  const counts = new Map<string, number>();
  const last = new Map<string, number>();
  for (const [k, v] of Object.entries(attrs)) {
    const isCount = k.startsWith('fail-count-');
    const isLast = !isCount && k.startsWith('last-failure-');
    if (!isCount && !isLast) continue;
    const rest = k.slice(isCount ? 11 : 13);
    const hash = rest.indexOf('#');
    const id = hash >= 0 ? rest.slice(0, hash) : rest;
    if (isCount) {
      const lv = v.trim().toLowerCase();
      const n = lv === 'infinity' || lv === '+infinity' ? 1_000_000 : Number.parseInt(v, 10) || 0;
      counts.set(id, Math.min(1_000_000, (counts.get(id) ?? 0) + n));
    } else {
      last.set(id, Math.max(last.get(id) ?? 0, Number.parseInt(v, 10) || 0));
    }
  }
  return { counts, last };
}

/** Sum of fail counts for a resource on a node, honouring failure-timeout. */
export function failCount(index: FailIndex, ids: string[], failureTimeoutS: number, now: number): number {
  let total = 0;
  let last = 0;
  for (const id of ids) {
    total = Math.min(1_000_000, total + (index.counts.get(id) ?? 0));
    last = Math.max(last, index.last.get(id) ?? 0);
  }
  if (total > 0 && failureTimeoutS > 0 && last > 0 && now >= last + failureTimeoutS) return 0;
  return total;
}
