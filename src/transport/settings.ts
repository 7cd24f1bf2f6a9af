/**
 * From the loaded engine settings (vigil.yaml or Heartbeat files, see src/config) to what the
 * transport runs: link specs for this node, and Endpoint options. Pure: the
 * key file is read by the caller (loadAuthkeyFile) so errors surface where the file is named.
 */
import type { EngineSettings, LinkSettings, NodeSettings } from '../config/settings.js';
import type { NodeName } from '../model/index.js';
import { InputError } from '../model/index.js';
import type { EndpointOptions } from './endpoint.js';
import type { ClusterKeys } from './keys.js';
import type { LinkSpec, UcastPeer } from './links.js';

/** `10.0.0.2` or `10.0.0.2:700`. */
function parsePeer(text: string, port: number): UcastPeer {
  const m = /^(.*):(\d+)$/.exec(text);
  return m ? { address: m[1], port: Number(m[2]) } : { address: text, port };
}

/** The links as this node (`self`) binds and uses them. */
export function linkSpecsFromSettings(links: readonly LinkSettings[], nodes: readonly NodeSettings[], self: NodeName): LinkSpec[] {
  const me = nodes.find((n) => n.name === self);
  if (!me) throw new InputError(`this node (${self}) is not in the node list`, { file: 'settings' }, { field: 'nodes', expected: nodes.map((n) => n.name).join(', ') });
  return links.map((l, i): LinkSpec => {
    const bind = me.addresses[i];
    const base = { id: l.name, port: l.port, ...(l.interface ? { interface: l.interface } : {}), ...(bind ? { bind } : {}) };
    if (l.transport === 'multicast') {
      if (!l.group) throw new InputError(`multicast link ${l.name} has no group`, { file: 'settings' }, { field: `links.${l.name}.group`, expected: 'an address in 224.0.0.0/4' });
      return { ...base, kind: 'mcast', group: l.group, ttl: l.ttl, loop: l.loop };
    }
    if (l.transport === 'broadcast') return { ...base, kind: 'bcast' };
    const peers: UcastPeer[] = nodes
      .filter((n) => n.name !== self && n.addresses[i])
      .map((n) => ({ address: n.addresses[i], port: l.port, node: n.name }));
    for (const p of l.peers) {
      const peer = parsePeer(p, l.port);
      if (peer.address === bind && peer.port === l.port) continue; // ha.cf files often list every node, us included
      if (!peers.some((q) => q.address === peer.address && (q.port ?? l.port) === peer.port)) peers.push(peer);
    }
    return { ...base, kind: 'ucast', peers };
  });
}

/** Endpoint options for `self` from the engine settings and the loaded key. */
export function endpointOptionsFromSettings(s: EngineSettings, self: NodeName, keys: ClusterKeys): EndpointOptions {
  return {
    self,
    nodes: s.nodes.map((n) => n.name),
    cluster: s.clusterName,
    keys,
    encrypt: s.transport.cipher === 'aes-256-gcm',
    links: linkSpecsFromSettings(s.transport.links, s.nodes, self),
    timings: { ...s.membership },
  };
}
