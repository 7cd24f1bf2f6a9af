/**
 * Cluster options (crm_config properties) the scheduler reads, with Pacemaker 2.1's defaults.
 */
import type { Attributes } from '../model/cluster.js';
import { parseDuration } from '../model/time.js';

export type NoQuorumPolicy = 'stop' | 'freeze' | 'ignore' | 'demote' | 'suicide';

export interface ClusterOptions {
  stonithEnabled: boolean;
  stonithAction: 'reboot' | 'off';
  symmetric: boolean;
  noQuorumPolicy: NoQuorumPolicy;
  startFailureIsFatal: boolean;
  maintenanceMode: boolean;
  stopOrphanResources: boolean;
  stopAllResources: boolean;
  /** Legacy cluster-wide default stickiness (`default-resource-stickiness`). */
  defaultStickiness: number;
  startupFencing: boolean;
}

export function truthy(v: string | undefined, dflt = false): boolean {
  if (v === undefined) return dflt;
  const t = v.trim().toLowerCase();
  return t === 'true' || t === 'yes' || t === 'on' || t === '1' || t === 'y';
}

export function readOptions(p: Attributes): ClusterOptions {
  const nqp = (p['no-quorum-policy'] ?? 'stop').toLowerCase();
  const policy: NoQuorumPolicy = nqp === 'freeze' || nqp === 'ignore' || nqp === 'demote' || nqp === 'suicide' ? nqp : 'stop';
  const stonith = p['stonith-enabled'] ?? p['stonith_enabled'];
  const action = (p['stonith-action'] ?? 'reboot').toLowerCase();
  return {
    stonithEnabled: truthy(stonith, true),
    stonithAction: action === 'off' || action === 'poweroff' ? 'off' : 'reboot',
    symmetric: truthy(p['symmetric-cluster'] ?? p['symmetric_cluster'], true),
    noQuorumPolicy: policy,
    startFailureIsFatal: truthy(p['start-failure-is-fatal'], true),
    maintenanceMode: truthy(p['maintenance-mode'], false),
    stopOrphanResources: truthy(p['stop-orphan-resources'], true),
    stopAllResources: truthy(p['stop-all-resources'], false),
    defaultStickiness: Number.parseInt(p['default-resource-stickiness'] ?? '0', 10) || 0,
    startupFencing: truthy(p['startup-fencing'], true),
  };
}

/** Durations in meta attributes ("60s", "10min", "0") in seconds; undefined when unset or unparsable. */
export function metaSeconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  return ms === undefined ? undefined : ms / 1000;
}
