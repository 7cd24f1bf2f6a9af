/**
 * Cluster options the controller reads from the CIB (with the daemon's overrides): fencing,
 * self-fencing's watchdog-timeout, durations in properties.
 */
import type { Cib } from '../model/cluster.js';
import { parseDuration } from '../model/time.js';
import { truthy } from './resources.js';

export function propMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  return ms === undefined ? undefined : ms;
}

/** stonith-enabled (default true). */
export function stonithEnabled(cib: Cib): boolean {
  const v = cib.config.properties['stonith-enabled'] ?? cib.config.properties['stonith_enabled'];
  return v === undefined ? true : truthy(v);
}

/** Self-fencing's watchdog-timeout: the override, else `stonith-watchdog-timeout`; undefined when off. */
export function watchdogTimeoutOf(cib: Cib, override?: number): number | undefined {
  const t = override ?? propMs(cib.config.properties['stonith-watchdog-timeout']);
  return t !== undefined && t > 0 ? t : undefined;
}
