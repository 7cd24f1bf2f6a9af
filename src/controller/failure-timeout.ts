/**
 * failure-timeout: when recorded failures expire, and which fail counts have expired (the DC
 * clears those, as Pacemaker's clear_failcount does, and wakes up when the next one expires).
 */
import type { CibUpdate } from '../coordination/cib-update.js';
import type { Cib } from '../model/cluster.js';
import { parseDuration } from '../model/time.js';
import { isFailure } from './records.js';
import { baseId, primitives } from './resources.js';

const FAIL_COUNT = /^fail-count-(.+)#(.+)_(\d+)$/;

/** failure-timeout per configured primitive (ms), where set. */
export function failureTimeouts(cib: Cib): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, info] of primitives(cib.config)) {
    const ft = info.meta['failure-timeout'] !== undefined ? parseDuration(info.meta['failure-timeout']) : undefined;
    if (ft !== undefined && ft > 0) out.set(id, ft);
  }
  return out;
}

/** Updates that clear the fail counts whose failure-timeout has passed at `now` (ms). */
export function expiredFailCounts(cib: Cib, now: number): CibUpdate[] {
  const fts = failureTimeouts(cib);
  const out: CibUpdate[] = [];
  for (const n of cib.status.nodes) {
    for (const k of Object.keys(n.transientAttributes)) {
      const m = FAIL_COUNT.exec(k);
      if (!m) continue;
      const ft = fts.get(baseId(m[1]));
      const last = Number.parseInt(n.transientAttributes[`last-failure-${m[1]}#${m[2]}_${m[3]}`] ?? '', 10);
      if (ft === undefined || !Number.isFinite(last) || now < last * 1000 + ft) continue;
      out.push({ kind: 'fail-count', node: n.name, rsc: m[1], operation: m[2], intervalMs: Number(m[3]), count: 0 });
    }
  }
  return out;
}

/** When (ms) the earliest recorded failure still in force expires; null when none will. */
export function nextFailureExpiry(cib: Cib, now: number): number | null {
  const fts = failureTimeouts(cib);
  if (fts.size === 0) return null;
  let best: number | null = null;
  const consider = (t: number): void => { if (t > now && (best === null || t < best)) best = t; };
  for (const n of cib.status.nodes) {
    for (const [k, v] of Object.entries(n.transientAttributes)) {
      const m = /^last-failure-(.+?)(?:#.*)?$/.exec(k);
      const ft = m ? fts.get(baseId(m[1])) : undefined;
      if (ft !== undefined) consider(Number.parseInt(v, 10) * 1000 + ft);
    }
    for (const h of n.history) {
      const ft = fts.get(baseId(h.rsc));
      if (ft === undefined) continue;
      for (const o of h.ops) if (o.lastRcChange !== undefined && isFailure(o)) consider(o.lastRcChange * 1000 + ft);
    }
  }
  return best;
}
