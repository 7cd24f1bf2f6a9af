/**
 * Node status determination: from node_state fields (membership, controller, join, expected),
 * transient attributes and configuration, decide whether each node is online, offline, unclean
 * (needs fencing), pending, standby, maintenance or shutting down — the rules Pacemaker applies.
 */
import type { Cib, NodeState } from '../model/cluster.js';
import { truthy, type ClusterOptions } from './options.js';
import type { NodeStatus, SchedNode } from './working-set.js';

function nonZeroTime(v: string | undefined): boolean {
  if (v === undefined || v === '') return false;
  if (truthy(v)) return true;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n > 0;
}

export function buildNodes(cib: Cib, options: ClusterOptions): Map<string, SchedNode> {
  const nodes = new Map<string, SchedNode>();
  const byId = new Map<string, SchedNode>();
  for (const n of cib.config.nodes) {
    if (n.type === 'ping') continue;
    const node: SchedNode = {
      id: n.id, name: n.name,
      attrs: { ...n.attributes, '#uname': n.name, '#id': n.id, '#kind': n.type === 'remote' ? 'remote' : 'cluster' },
      online: false,
      // Until its status entry is seen, a node is assumed unclean when startup fencing applies.
      unclean: options.stonithEnabled && options.startupFencing,
      standby: truthy(n.attributes.standby), pending: false,
      maintenance: truthy(n.attributes.maintenance), shutdown: false, seen: false, numResources: 0,
    };
    if (node.unclean) node.fenceReason = 'node is unclean';
    nodes.set(n.name, node);
    byId.set(n.id, node);
  }
  for (const st of cib.status.nodes) {
    const node = byId.get(st.id) ?? nodes.get(st.name);
    if (!node) continue;
    unpackNodeState(node, st, options);
  }
  return nodes;
}

function unpackNodeState(node: SchedNode, st: NodeState, options: ClusterOptions): void {
  node.seen = true;
  node.unclean = false;
  node.fenceReason = undefined;
  const ta = st.transientAttributes;
  for (const [k, v] of Object.entries(ta)) node.attrs[k] = v;
  if (truthy(ta.standby)) node.standby = true;
  if (truthy(ta.maintenance)) node.maintenance = true;
  node.shutdown = nonZeroTime(ta.shutdown) || st.shutdown !== undefined;
  const terminate = nonZeroTime(ta.terminate);
  const crmdOnline = st.controllerOnline;
  const inCluster = st.inCluster;
  const expected = st.expected ?? 'down';
  if (options.stonithEnabled) {
    if (node.shutdown) node.online = crmdOnline;
    else if (st.join === 'banned') fence(node, 'peer failed Pacemaker membership criteria');
    else if (!terminate && expected === 'down') {
      if (inCluster || crmdOnline) { node.pending = true; node.standby = true; }
    } else if (terminate && st.join === 'down' && !inCluster && !crmdOnline) node.online = false;
    else if (!inCluster) fence(node, 'peer is no longer part of the cluster');
    else if (!crmdOnline) fence(node, 'peer process is no longer available');
    else if (terminate) fence(node, 'termination was requested');
    else if (st.join === 'member') node.online = true;
    else if (st.join === 'pending' || st.join === 'down') { node.pending = true; node.standby = true; }
    else fence(node, 'peer was in an unknown state');
  } else if (!inCluster) {
    // down
  } else if (crmdOnline) {
    if (st.join === 'member') node.online = true;
  } else if (expected === 'member') {
    fence(node, 'peer is unexpectedly down');
  }
  if (st.unclean) fence(node, 'marked unclean');
}

export function fence(node: SchedNode, reason: string): void {
  if (!node.unclean) node.fenceReason = reason;
  // An unclean node may still be online (a resource failed there and must be fenced): fencing
  // it without quorum is then allowed, as it is in our membership.
  node.unclean = true;
}

/** The state a node is shown in (canonical result and human summary). */
export function nodeStatus(n: SchedNode): NodeStatus {
  if (n.unclean) return 'unclean';
  if (!n.online) return 'offline';
  if (n.pending) return 'pending';
  if (n.maintenance) return 'maintenance';
  if (n.standby) return 'standby';
  return 'online';
}
