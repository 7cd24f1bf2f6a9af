/**
 * What the replicated CIB log carries: small updates to the cluster information base. The
 * coordination layer treats them as opaque payloads; the controller applies them to its Cib.
 */
import type { ClusterConfig, OperationRecord } from '../model/cluster.js';
import type { NodeName, ResourceId } from '../model/ids.js';
import type { EpochSeconds, Millis } from '../model/time.js';

export type CibUpdate =
  /** Replace the whole configuration (an admin edit, an import). */
  | { kind: 'config'; config: ClusterConfig }
  /** Record the result of an operation on a node (status section). */
  | { kind: 'operation-result'; node: NodeName; rsc: ResourceId; record: OperationRecord }
  /** Set (value) or delete (null) a transient node attribute. */
  | { kind: 'node-attribute'; node: NodeName; name: string; value: string | null }
  /** Set a fail count (0 clears it). */
  | { kind: 'fail-count'; node: NodeName; rsc: ResourceId; operation: string; intervalMs: Millis; count: number; lastFailure?: EpochSeconds };
