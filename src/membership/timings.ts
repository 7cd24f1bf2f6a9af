/**
 * Failure-detection timings, with Heartbeat's meanings:
 * - keepalive: how often we send a heartbeat on every link;
 * - warntime: silence after which a peer (or link) is "late" (a warning, nothing acts on it);
 * - deadtime: silence after which a peer (or link) is declared dead;
 * - initdead: the deadtime used for a peer not yet heard from since we started watching it
 *   (networks and peers take a while to come up after a boot).
 *
 * Defaults: a DC failover well under a second on a LAN without false alarms on a loaded host
 * (see docs/links-and-membership.md for why): four missed heartbeats before a peer is declared dead.
 */
import { DEFAULTS } from '../config/settings.js';
import type { Millis } from '../model/index.js';

export interface MembershipTimings {
  keepaliveMs: Millis;
  warntimeMs: Millis;
  deadtimeMs: Millis;
  initdeadMs: Millis;
}

// One source of truth: the product defaults of the configuration layer (documented in the schema
// and in docs/links-and-membership.md), so a membership built without timings behaves as vigild does.
export const DEFAULT_TIMINGS: Readonly<MembershipTimings> = Object.freeze({
  keepaliveMs: DEFAULTS.keepaliveMs,
  warntimeMs: DEFAULTS.warntimeMs,
  deadtimeMs: DEFAULTS.deadtimeMs,
  initdeadMs: DEFAULTS.initdeadMs,
});

/** Heartbeat's own defaults (ha.cf), for reference and for imported v1 configurations without timings. */
export const HEARTBEAT_DEFAULT_TIMINGS: Readonly<MembershipTimings> = Object.freeze({
  keepaliveMs: 2000,
  warntimeMs: 10_000,
  deadtimeMs: 30_000,
  initdeadMs: 120_000,
});

/** Problems with a set of timings, as sentences; empty when they are usable. */
export function checkTimings(t: MembershipTimings): string[] {
  const errs: string[] = [];
  for (const [k, v] of Object.entries(t)) if (!Number.isFinite(v) || v <= 0) errs.push(`${k} must be a positive number of milliseconds (got ${v})`);
  if (errs.length) return errs;
  if (t.warntimeMs <= t.keepaliveMs) errs.push(`warntime (${t.warntimeMs} ms) must be longer than keepalive (${t.keepaliveMs} ms)`);
  if (t.deadtimeMs <= t.warntimeMs) errs.push(`deadtime (${t.deadtimeMs} ms) must be longer than warntime (${t.warntimeMs} ms)`);
  if (t.deadtimeMs < 2 * t.keepaliveMs) errs.push(`deadtime (${t.deadtimeMs} ms) must be at least two keepalives (${2 * t.keepaliveMs} ms), or one lost packet kills a peer`);
  if (t.initdeadMs < t.deadtimeMs) errs.push(`initdead (${t.initdeadMs} ms) must be at least deadtime (${t.deadtimeMs} ms)`);
  return errs;
}
