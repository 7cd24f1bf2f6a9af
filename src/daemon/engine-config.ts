/**
 * From engine settings (src/config) to what one engine runs: its endpoint options (links, keys,
 * membership timings), the bootstrap voter configuration, quorum rules and coordination timings.
 * Pure: the caller loads the key.
 *
 * The witness: vigil.yaml names it only by `quorum.witness: host[:port]`. On the wire it is the
 * node `witness` (WITNESS_NODE). It takes part on the first unicast link only: the nodes add it to
 * that link's peers, and it binds host:port and sends to every node's address on that link.
 */
import type { EngineSettings } from '../config/settings.js';
import { DEFAULT_TIMING } from '../coordination/index.js';
import type { CoordinationOptions, Member, MembershipConfig, TimingOptions } from '../coordination/index.js';
import { InputError } from '../model/index.js';
import type { NodeName } from '../model/index.js';
import { endpointOptionsFromSettings, linkSpecsFromSettings } from '../transport/index.js';
import type { ClusterKeys, EndpointOptions, LinkSpec } from '../transport/index.js';

/** The witness's node id on the wire and in the voter configuration. */
export const WITNESS_NODE = 'witness';

export type EngineRole = 'node' | 'witness';

export interface EnginePlan {
  self: NodeName;
  role: EngineRole;
  endpoint: EndpointOptions;
  bootstrap: MembershipConfig;
  coordination: CoordinationOptions;
}

function settingsError(message: string, field: string, expected: string, file: string): InputError {
  return new InputError(message, { file }, { field, expected });
}

/**
 * Coordination timings for these settings: the defaults of src/coordination (see
 * docs/coordination.md), with the quorate-deadtime taken from the configured membership deadtime
 * so that "no DC heard for deadtime" means the same thing in both layers.
 */
export function coordinationTiming(s: EngineSettings, override: Partial<TimingOptions> = {}): TimingOptions {
  return { ...DEFAULT_TIMING, deadtimeMs: s.membership.deadtimeMs, ...override };
}

/**
 * The node controller's view of the quorum, for the two-node fence race: whether two_node is on,
 * and the voters (the witness included, so that a witness means no race).
 */
export function quorumView(s: EngineSettings): { twoNode: boolean; voters: NodeName[] } {
  return { twoNode: s.quorum.twoNode, voters: [...s.nodes.filter((n) => n.votes > 0).map((n) => n.name), ...(s.quorum.witness ? [WITNESS_NODE] : [])] };
}

export function planEngine(s: EngineSettings, self: NodeName, role: EngineRole, keys: ClusterKeys, timing: Partial<TimingOptions> = {}): EnginePlan {
  const file = s.paths.config;
  const w = s.quorum.witness;
  if (w && s.nodes.some((n) => n.name === WITNESS_NODE)) {
    throw settingsError(`a node is named "${WITNESS_NODE}", the name the witness uses`, 'nodes', 'another node name', file);
  }
  const members: Member[] = s.nodes.map((n) => ({ id: n.name, votes: n.votes }));
  if (w) members.push({ id: WITNESS_NODE, votes: 1, witness: true });
  const bootstrap: MembershipConfig = { members };
  const coordination: CoordinationOptions = {
    timing: coordinationTiming(s, timing),
    quorum: {
      ...(s.quorum.expectedVotes !== undefined ? { expectedVotes: s.quorum.expectedVotes } : {}),
      twoNode: s.quorum.twoNode,
      waitForAll: s.quorum.waitForAll,
    },
  };
  const allNodes = [...s.nodes.map((n) => n.name), ...(w ? [WITNESS_NODE] : [])];
  const firstUcast = s.transport.links.findIndex((l) => l.transport === 'unicast');

  if (role === 'witness') {
    if (!w) throw settingsError('this configuration has no witness', 'cluster.quorum.witness', 'host[:port] of the witness', file);
    if (self !== WITNESS_NODE) throw settingsError(`the witness is called "${WITNESS_NODE}" on the wire (got --node ${self})`, 'node', WITNESS_NODE, file);
    if (firstUcast < 0) throw settingsError('a witness needs a unicast link', 'cluster.links', 'a link with transport: unicast', file);
    const l = s.transport.links[firstUcast];
    const link: LinkSpec = {
      id: l.name, kind: 'ucast', port: w.port, bind: w.address,
      peers: s.nodes.filter((n) => n.addresses[firstUcast]).map((n) => ({ address: n.addresses[firstUcast], port: l.port, node: n.name })),
    };
    const endpoint: EndpointOptions = {
      self, nodes: allNodes, cluster: s.clusterName, keys, encrypt: s.transport.cipher === 'aes-256-gcm', links: [link], timings: { ...s.membership },
    };
    return { self, role, endpoint, bootstrap, coordination };
  }

  if (self === WITNESS_NODE && w) throw settingsError(`"${WITNESS_NODE}" is the witness; run it with \`vigil witness\``, 'node', 'a node name', file);
  const base = endpointOptionsFromSettings(s, self, keys);
  let links = linkSpecsFromSettings(s.transport.links, s.nodes, self);
  if (w) {
    if (firstUcast < 0) throw settingsError('a witness needs a unicast link', 'cluster.links', 'a link with transport: unicast', file);
    links = links.map((spec, i) => (i === firstUcast && spec.kind === 'ucast'
      ? { ...spec, peers: [...spec.peers, { address: w.address, port: w.port, node: WITNESS_NODE }] }
      : spec));
  }
  return { self, role, endpoint: { ...base, nodes: allNodes, links }, bootstrap, coordination };
}
