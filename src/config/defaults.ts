import type { ClusterConfig } from '../model/cluster.js';
import { parseDuration } from '../model/time.js';
import { DEFAULTS, type EngineSettings, type NoQuorumPolicy } from './settings.js';

const NO_QUORUM: readonly string[] = ['stop', 'freeze', 'ignore', 'suicide', 'demote'];

/**
 * Engine settings for a configuration that has none of its own (a Pacemaker CIB): Vigil's
 * defaults, nodes numbered in order (numeric CIB node ids are kept), fencing and no-quorum-policy
 * from the cluster properties. Node addresses are unknown and left empty.
 */
export function settingsForCib(config: ClusterConfig, file: string): EngineSettings {
  const p = config.properties;
  const stonith = (p['stonith-enabled'] ?? 'true').trim().toLowerCase();
  const nq = p['no-quorum-policy'] ?? DEFAULTS.noQuorumPolicy;
  const used = new Set<number>();
  const ids = config.nodes.map((n) => {
    const id = /^\d+$/.test(n.id) && Number(n.id) > 0 && !used.has(Number(n.id)) ? Number(n.id) : undefined;
    if (id !== undefined) used.add(id);
    return id;
  });
  let next = 1;
  const nodes = config.nodes.map((n, i) => {
    let id = ids[i];
    if (id === undefined) {
      while (used.has(next)) next++;
      id = next;
      used.add(id);
    }
    return { name: n.name, id, addresses: [], votes: 1 };
  });
  const wd = p['stonith-watchdog-timeout'] !== undefined ? parseDuration(p['stonith-watchdog-timeout']) : undefined;
  return {
    source: 'cib',
    clusterName: config.name ?? p['cluster-name'] ?? 'cluster',
    nodes,
    transport: {
      links: [{ name: 'link0', transport: 'unicast', port: DEFAULTS.port, ttl: DEFAULTS.ttl, loop: false, peers: [] }],
      authkeyFile: DEFAULTS.authkeyFile, keyFormat: 'vigil', auth: 'hmac-sha256', cipher: 'none',
    },
    membership: { keepaliveMs: DEFAULTS.keepaliveMs, warntimeMs: DEFAULTS.warntimeMs, deadtimeMs: DEFAULTS.deadtimeMs, initdeadMs: DEFAULTS.initdeadMs },
    quorum: { twoNode: false, waitForAll: false },
    fencing: { enabled: !['false', 'no', 'off', 'n', '0'].includes(stonith), delayMs: {}, ...(wd !== undefined && wd > 0 ? { watchdogTimeoutMs: wd } : {}) },
    noQuorumPolicy: (NO_QUORUM.includes(nq) ? nq : DEFAULTS.noQuorumPolicy) as NoQuorumPolicy,
    paths: { config: file, stateDir: DEFAULTS.stateDir, runtimeDir: DEFAULTS.runtimeDir },
  };
}
