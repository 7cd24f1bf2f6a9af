/**
 * Which fence devices can fence a node: the configured fencing levels for it (fencing_topology),
 * else every device (a stonith-class primitive) whose host list names it or that has no host
 * list at all (such a device is asked at fencing time). One level = devices that must all succeed.
 */
import type { ClusterConfig, FencingLevel, Primitive } from '../model/cluster.js';
import type { FenceDevice } from './types.js';

function devices(config: ClusterConfig): Map<string, Primitive> {
  const out = new Map<string, Primitive>();
  for (const r of config.resources) if (r.kind === 'primitive' && r.agent.class === 'stonith') out.set(r.id, r);
  return out;
}

function hostList(p: Primitive): string[] | undefined {
  const list = p.params.pcmk_host_list ?? p.params['pcmk_host_list'];
  const map = p.params.pcmk_host_map;
  if (list !== undefined) return list.split(/[\s,;]+/).filter(Boolean);
  if (map !== undefined) return map.split(/[\s,;]+/).filter(Boolean).map((e) => e.split(':')[0]);
  return undefined;
}

function levelMatches(l: FencingLevel, node: string, config: ClusterConfig): boolean {
  if (l.targetKind === 'node') return l.target === node;
  if (l.targetKind === 'pattern') {
    try { return new RegExp(l.target).test(node); } catch { return false; }
  }
  const [name, value] = l.target.split('=');
  return config.nodes.find((n) => n.name === node)?.attributes[name] === value;
}

function asDevice(p: Primitive): FenceDevice {
  return { device: p.id, agent: p.agent.type, params: { ...p.params } };
}

export function fenceLevels(config: ClusterConfig, node: string): FenceDevice[][] {
  const all = devices(config);
  const levels = config.fencingTopology.filter((l) => levelMatches(l, node, config)).sort((a, b) => a.index - b.index);
  if (levels.length > 0) {
    return levels.map((l) => l.devices.map((d) => all.get(d)).filter((p): p is Primitive => !!p).map(asDevice)).filter((l) => l.length > 0);
  }
  const usable = [...all.values()].filter((p) => {
    if (p.meta['target-role']?.toLowerCase() === 'stopped') return false;
    const hosts = hostList(p);
    return hosts === undefined || hosts.includes(node);
  });
  return usable.map((p) => [asDevice(p)]);
}
