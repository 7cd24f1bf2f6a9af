/**
 * How operation results are written into the status section, the way Pacemaker writes them, so
 * that the scheduler's history replay (src/scheduler/history.ts) reads them back correctly:
 *
 * - the last one-off operation (start, stop, promote, demote, probe) is `<rsc>_last_0`;
 * - each recurring operation keeps its own entry `<rsc>_<op>_<interval>`;
 * - a failed operation is also copied to `<rsc>_last_failure_0`, so that a later success does
 *   not hide it (the scheduler replays all entries in call-id order);
 * - the expected rc travels inside the transition key `<action>:<transition>:<target-rc>:<dc>`.
 */
import { historyOrder, OcfRc, OpStatus, type OperationRecord } from '../model/cluster.js';

/** Pacemaker's transition key: the scheduler reads the target rc from its third field. */
export function transitionKey(action: string | number, transition: number, targetRc: number, dc: string): string {
  return `${action}:${transition}:${targetRc}:${dc}`;
}

export interface ParsedKey {
  action: string;
  transition: number;
  targetRc: number;
  dc: string;
}

export function parseTransitionKey(key: string | undefined): ParsedKey | undefined {
  if (!key) return undefined;
  const parts = key.split(':');
  if (parts.length < 4) return undefined;
  const transition = Number.parseInt(parts[1], 10);
  const targetRc = Number.parseInt(parts[2], 10);
  if (!Number.isFinite(targetRc)) return undefined;
  return { action: parts[0], transition: Number.isFinite(transition) ? transition : -1, targetRc, dc: parts.slice(3).join(':') };
}

export function isProbe(operation: string, intervalMs: number): boolean {
  return operation === 'monitor' && intervalMs === 0;
}

/** The rc an operation is expected to return when nothing is said: probes expect "not running". */
export function defaultTargetRc(operation: string, intervalMs: number): number {
  return isProbe(operation, intervalMs) ? OcfRc.NotRunning : OcfRc.Success;
}

/** Record id as Pacemaker names it. */
export function recordId(rsc: string, operation: string, intervalMs: number): string {
  return intervalMs > 0 ? `${rsc}_${operation}_${intervalMs}` : `${rsc}_last_0`;
}

export function lastFailureId(rsc: string): string {
  return `${rsc}_last_failure_0`;
}

/**
 * Whether a recorded result is a failure, judged exactly as the scheduler's replay judges it:
 * the target rc from the key; a probe finding the resource stopped, running or promoted, and a
 * stop finding it already stopped, are not failures; "degraded" rcs count as their healthy ones.
 */
export function isFailure(op: Pick<OperationRecord, 'operation' | 'intervalMs' | 'rc' | 'opStatus' | 'transitionKey' | 'transitionMagic'>): boolean {
  if (op.opStatus === OpStatus.Pending || op.opStatus === OpStatus.Cancelled || op.opStatus === OpStatus.NotSupported) return false;
  if (op.opStatus !== OpStatus.Done && op.opStatus !== OpStatus.Error) return true;
  const probe = isProbe(op.operation, op.intervalMs);
  let rc = op.rc;
  if (rc === 190) rc = OcfRc.Success;
  if (rc === 191) rc = OcfRc.RunningPromoted;
  const key = op.transitionKey ?? op.transitionMagic?.split(';')[1];
  const target = parseTransitionKey(key)?.targetRc ?? defaultTargetRc(op.operation, op.intervalMs);
  if (rc === target) return false;
  if (rc === OcfRc.NotRunning && (probe || op.operation === 'stop')) return false;
  if (probe && (rc === OcfRc.Success || rc === OcfRc.RunningPromoted)) return false;
  // An unimplemented recurring operation is skipped by the replay, not held against the resource.
  if (rc === OcfRc.Unimplemented && op.intervalMs > 0) return false;
  return true;
}

/**
 * Whether a resource may still be active after its history on one node: inactive only when the
 * last one-off operation proved it stopped (a successful stop, or a probe that found it stopped).
 * Anything else — a start, a failed stop, a timeout — counts as possibly active. This is the
 * conservative reading the DC's fencing guard needs.
 */
export function possiblyActive(ops: OperationRecord[]): boolean {
  let last: OperationRecord | undefined;
  for (const op of ops) {
    if (op.intervalMs > 0 || op.operation === 'notify' || op.operation === 'meta-data' || op.operation === 'validate-all') continue;
    if (op.opStatus === OpStatus.Cancelled || op.opStatus === OpStatus.NotSupported) continue;
    if (!last || historyOrder(op) > historyOrder(last)) last = op;
  }
  if (!last) return false;
  if (last.opStatus === OpStatus.Done || last.opStatus === OpStatus.Error) {
    if (last.operation === 'stop' && (last.rc === OcfRc.Success || last.rc === OcfRc.NotRunning)) return false;
    if (isProbe(last.operation, last.intervalMs) && last.rc === OcfRc.NotRunning) return false;
  }
  return true;
}

/**
 * Whether a resource may still be promoted after its history on one node: possibly active, and
 * something since its last successful demote says promoted (a promote, or a monitor or probe
 * that returned 8 or 9).
 */
export function possiblyPromoted(ops: OperationRecord[]): boolean {
  if (!possiblyActive(ops)) return false;
  let demoted = -1;
  for (const op of ops) {
    if (op.operation === 'demote' && op.opStatus === OpStatus.Done && op.rc === OcfRc.Success) demoted = Math.max(demoted, historyOrder(op));
  }
  return ops.some((op) => historyOrder(op) > demoted && (op.operation === 'promote' || (op.operation === 'monitor' && (op.rc === OcfRc.RunningPromoted || op.rc === OcfRc.FailedPromoted))));
}

