/**
 * The local API of `vigild`: one JSON object per line over a unix socket (mode 0600 under the
 * runtime directory, so only root talks to it). Every request gets exactly one response line.
 *
 *   → {"id":1,"op":"status"}
 *   ← {"id":1,"ok":true,"result":{...}}
 *   ← {"id":1,"ok":false,"error":"...","code":"input"}
 *
 * Requests that change the cluster are carried out by the DC: a daemon that is not DC forwards
 * them to the DC it knows over the authenticated peer channel.
 */
import type { ClusterConfig, Role } from '../model/cluster.js';

export type NodeAdminAction = 'standby' | 'online' | 'maintenance' | 'ready';
export type ResourceAdminAction = 'move' | 'ban' | 'clear' | 'cleanup' | 'restart' | 'start' | 'stop';

export type ApiRequest =
  | { op: 'status' }
  | { op: 'node'; action: NodeAdminAction; node: string }
  | { op: 'resource'; action: ResourceAdminAction; rsc: string; node?: string }
  | { op: 'config-show' }
  | { op: 'config-apply'; config: ClusterConfig; dryRun?: boolean }
  /** The operator asserts that the node is powered off (manual fencing): the DC records it fenced. */
  | { op: 'fence-confirm'; node: string }
  | { op: 'shutdown' };

export type ApiErrorCode = 'input' | 'unavailable' | 'failed';

export type ApiResponse =
  | { id?: unknown; ok: true; result: unknown }
  | { id?: unknown; ok: false; error: string; code: ApiErrorCode };

/** Raised by handlers for a request the operator must change (exit 2 in the CLI). */
export class ApiInputError extends Error {
  readonly code = 'input';
  constructor(message: string) {
    super(message);
    this.name = 'ApiInputError';
  }
}

/** Raised when the request is right but the cluster cannot carry it out now (no DC, no quorum). */
export class ApiUnavailableError extends Error {
  readonly code = 'unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'ApiUnavailableError';
  }
}

// ---------------------------------------------------------------------------------------------
// What `status` returns.

export interface NodeStatusView {
  name: string;
  /** online: a member heard now; offline: silent past deadtime (or never heard). */
  state: 'online' | 'offline' | 'unclean';
  standby: boolean;
  maintenance: boolean;
  dc: boolean;
  /** Per link as this node sees the peer (self: 'local'). */
  links: Record<string, string>;
  /** When it went down (fenced, lost or left), as the CIB records it. */
  downSince?: string;
  /** Its last recorded fencing: when and how. */
  lastFence?: { at?: string; how: string };
}

export interface ResourceFailureView { node: string; operation: string; count: number; exitReason?: string }

export interface ResourceStatusView {
  id: string;
  /** Primitive id inside its group/clone, or the top-level id. */
  parent?: string;
  agent: string;
  /** Nodes where it is known to run, with the role there. */
  running: Array<{ node: string; role: Role }>;
  /** Where the last transition wants it (empty: stopped). */
  target: string[];
  managed: boolean;
  failures: ResourceFailureView[];
  blocked?: string;
}

export interface DaemonStatus {
  node: string;
  cluster: string;
  pid: number;
  /** What this daemon's engine says. */
  dc: string | null;
  isDc: boolean;
  quorate: boolean;
  term: number;
  commitIndex: number;
  configSource: string;
  noQuorumPolicy: string;
  fencing: { enabled: boolean; watchdogTimeoutMs?: number; selfFence: string };
  nodes: NodeStatusView[];
  resources: ResourceStatusView[];
  /** The DC's transition state, as replicated. */
  /**
   * The DC's last transition: `complete` once every action in it is done. An aborted transition
   * whose replan found nothing left to do counts as complete and `superseded`.
   */
  transition?: { id: number; pending: number; complete: boolean; superseded?: boolean };
  warnings: string[];
}

export interface ConfigPlan {
  changes: string[];
  applied: boolean;
  /** For a dry run: the transition the DC would run with it, on the cluster as it is now. */
  actions?: string[];
}
