/**
 * What the replicated CIB log carries: small updates to the cluster information base. The
 * coordination layer treats them as opaque payloads; the controller applies them to its Cib
 * (src/controller/cib-state.ts, `applyUpdate`).
 */
import type { AgentRef, Attributes, ClusterConfig, Constraint, OperationRecord } from '../model/cluster.js';
import type { NodeName, ResourceId } from '../model/ids.js';
import type { EpochSeconds, Millis } from '../model/time.js';

/**
 * A change in a node's membership as the DC records it (Pacemaker's node_state):
 * joined (member, controller up); left (shut down cleanly); lost (gone without saying so: needs
 * fencing when fencing is enabled); fenced (confirmed down: its resource history and transient
 * attributes are erased); unclean (must be fenced even though it may still be up).
 */
export type NodeMembershipChange = 'joined' | 'left' | 'lost' | 'fenced' | 'unclean';

export type CibUpdate =
  /** Replace the whole configuration (an admin edit, an import). */
  | { kind: 'config'; config: ClusterConfig }
  /**
   * Record the result of an operation on a node (status section). `agent` and `params` are
   * remembered with the history (given with starts), so an orphan can still be stopped.
   */
  | { kind: 'operation-result'; node: NodeName; rsc: ResourceId; record: OperationRecord; agent?: AgentRef; params?: Attributes }
  /**
   * Set (value) or delete (null) a node attribute: transient (lifetime `reboot`, the default,
   * kept in the status and erased when the node leaves) or permanent (`forever`, in the
   * configuration: standby, maintenance, ...).
   */
  | { kind: 'node-attribute'; node: NodeName; name: string; value: string | null; lifetime?: 'reboot' | 'forever' }
  /** Set a fail count (0 clears it). */
  | { kind: 'fail-count'; node: NodeName; rsc: ResourceId; operation: string; intervalMs: Millis; count: number; lastFailure?: EpochSeconds }
  /** Add to a fail count (saturating at INFINITY = 1,000,000), so that concurrent failures all count. */
  | { kind: 'fail-count-increment'; node: NodeName; rsc: ResourceId; operation: string; intervalMs: Millis; by: number; lastFailure: EpochSeconds }
  /** A node's membership changed. */
  | { kind: 'node-state'; node: NodeName; state: NodeMembershipChange; at?: EpochSeconds; how?: string }
  /** Forget a resource's history and fail counts (on one node, or everywhere), so it is probed again. */
  | { kind: 'resource-cleanup'; rsc: ResourceId; node?: NodeName }
  /** Add (or replace, by id) a constraint: `vigil resource move|ban` create these. */
  | { kind: 'constraint-add'; constraint: Constraint }
  /** Remove a constraint by id (`vigil resource clear`); removing one that is not there changes nothing. */
  | { kind: 'constraint-remove'; id: string }
  /** Set (value) or delete (null) a cluster property (maintenance-mode, stonith-enabled, ...). */
  | { kind: 'property'; name: string; value: string | null }
  /** Set (value) or delete (null) a meta attribute of a resource (target-role, is-managed, ...). */
  | { kind: 'resource-meta'; rsc: ResourceId; name: string; value: string | null };
