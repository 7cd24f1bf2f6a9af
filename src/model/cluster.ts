/**
 * The typed cluster model: what every loader produces (vigil.yaml, Pacemaker CIB XML, Heartbeat v1)
 * and what the scheduler, controller and surfaces consume. Semantics follow Pacemaker Explained 2.1;
 * values that Pacemaker keeps as free-form name/value pairs (meta attributes, cluster properties)
 * stay strings here and are interpreted, with defaults, where they are used.
 */
import type { ConstraintId, NodeId, NodeName, ResourceId } from './ids.js';
import type { Score } from './score.js';
import type { EpochSeconds, Millis } from './time.js';

/** Name/value pairs as configured (meta attributes, instance parameters, node attributes, properties). */
export type Attributes = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Nodes

export type NodeType = 'member' | 'remote' | 'ping';

export interface NodeConfig {
  id: NodeId;
  name: NodeName;
  type: NodeType;
  /** Permanent node attributes (standby, maintenance, site, ...). */
  attributes: Attributes;
  utilization: Attributes;
}

// ---------------------------------------------------------------------------------------------
// Resources

/** Agent standard: ocf, lsb, systemd, service, stonith, heartbeat (v1 resource.d), builtin (Vigil's own). */
export type AgentClass = 'ocf' | 'lsb' | 'systemd' | 'service' | 'stonith' | 'heartbeat' | 'builtin' | 'nagios' | 'upstart';

export interface AgentRef {
  class: AgentClass;
  /** OCF provider (heartbeat, pacemaker, ...); only for class ocf. */
  provider?: string;
  type: string;
}

/** Roles as Pacemaker 2.1 names them. Promoted/Unpromoted only apply to promotable clones. */
export type Role = 'Stopped' | 'Started' | 'Unpromoted' | 'Promoted';
/** `Unknown` appears only in history/status, never as a target. */
export type AnyRole = Role | 'Unknown';

export type OnFail = 'ignore' | 'block' | 'stop' | 'restart' | 'standby' | 'fence' | 'demote' | 'restart-container';

/** Operation names: the OCF actions plus Pacemaker's migration ones. */
export type OperationName =
  | 'start' | 'stop' | 'monitor' | 'promote' | 'demote' | 'notify' | 'reload' | 'reload-agent'
  | 'migrate_to' | 'migrate_from' | 'meta-data' | 'validate-all' | (string & {});

export interface OperationConfig {
  id: string;
  name: OperationName;
  /** 0 for non-recurring operations; a monitor with interval 0 is a probe. */
  intervalMs: Millis;
  timeoutMs?: Millis;
  /** Role this recurring operation applies to (e.g. a monitor only in Promoted role). */
  role?: Role;
  onFail?: OnFail;
  enabled: boolean;
  /** Everything else configured on the op (start-delay, record-pending, OCF_CHECK_LEVEL, ...). */
  meta: Attributes;
}

interface ResourceBase {
  id: ResourceId;
  /** Meta attributes as configured on this resource (not merged with defaults). */
  meta: Attributes;
  /** Where the definition came from, for error messages and `explain` (file:line). */
  origin?: SourceRef;
}

export interface Primitive extends ResourceBase {
  kind: 'primitive';
  agent: AgentRef;
  params: Attributes;
  operations: OperationConfig[];
  utilization: Attributes;
}

export interface Group extends ResourceBase {
  kind: 'group';
  /** Members in order: each starts after, and runs with, the one before it. */
  members: Primitive[];
}

export interface Clone extends ResourceBase {
  kind: 'clone';
  /** Promotable clones (Pacemaker's `promotable=true` or the older <master> element). */
  promotable: boolean;
  child: Primitive | Group;
}

export type Resource = Primitive | Group | Clone;

// ---------------------------------------------------------------------------------------------
// Rules (location rules, and rules on attribute sets)

export type CompareOp = 'lt' | 'gt' | 'lte' | 'gte' | 'eq' | 'ne' | 'defined' | 'not_defined';
export type ValueType = 'string' | 'integer' | 'number' | 'version';

export interface AttributeExpression {
  kind: 'attribute';
  id?: string;
  /** Node attribute name; `#uname`, `#id`, `#kind` and `#cluster-name` are the built-in ones. */
  attribute: string;
  operation: CompareOp;
  value?: string;
  type?: ValueType;
  /** literal (default), or the value is the name of a resource parameter / meta attribute. */
  valueSource?: 'literal' | 'param' | 'meta';
}

export interface DateSpec {
  hours?: string; monthdays?: string; weekdays?: string; yeardays?: string;
  months?: string; weeks?: string; years?: string; weekyears?: string; moon?: string;
  minutes?: string; seconds?: string;
}

export interface DateExpression {
  kind: 'date';
  id?: string;
  operation: 'gt' | 'lt' | 'in_range' | 'date_spec';
  /** ISO 8601 texts as configured; evaluated against the scheduler's `now`. */
  start?: string;
  end?: string;
  duration?: Partial<Record<'years' | 'months' | 'weeks' | 'days' | 'hours' | 'minutes' | 'seconds', number>>;
  dateSpec?: DateSpec;
}

export interface RscExpression { kind: 'rsc'; id?: string; class?: string; provider?: string; type?: string }
export interface OpExpression { kind: 'op'; id?: string; name: string; intervalMs?: Millis }

export interface Rule {
  id?: string;
  /** Score the rule contributes when it matches (location rules). */
  score?: Score;
  /** Take the score from this node attribute instead. */
  scoreAttribute?: string;
  booleanOp: 'and' | 'or';
  role?: Role;
  expressions: Array<AttributeExpression | DateExpression | RscExpression | OpExpression | NestedRule>;
}

export interface NestedRule { kind: 'rule'; rule: Rule }

// ---------------------------------------------------------------------------------------------
// Constraints

export interface LocationConstraint {
  kind: 'location';
  id: ConstraintId;
  /** The resource, or a regular expression over resource ids (rsc-pattern). */
  rsc: ResourceId;
  rscPattern?: string;
  role?: Role;
  /** Either node + score, or rules. */
  node?: NodeName;
  score?: Score;
  rules: Rule[];
  resourceDiscovery?: 'always' | 'never' | 'exclusive';
  origin?: SourceRef;
}

export interface ColocationConstraint {
  kind: 'colocation';
  id: ConstraintId;
  /** The dependent resource: placed relative to `withRsc`. */
  rsc: ResourceId;
  withRsc: ResourceId;
  score: Score;
  rscRole?: Role;
  withRscRole?: Role;
  /** Node attribute that defines "same place" (default #uname). */
  nodeAttribute?: string;
  /** Whether the dependent's preferences influence where `withRsc` goes (Pacemaker 2.1 `influence`). */
  influence?: boolean;
  origin?: SourceRef;
}

export type OrderKind = 'Mandatory' | 'Optional' | 'Serialize';
export type OrderAction = 'start' | 'stop' | 'promote' | 'demote';

export interface OrderConstraint {
  kind: 'order';
  id: ConstraintId;
  first: ResourceId;
  then: ResourceId;
  firstAction: OrderAction;
  thenAction: OrderAction;
  orderKind: OrderKind;
  /** Reverse order applies to the opposite actions (stop then before stop first). Default true (false for Serialize). */
  symmetrical: boolean;
  origin?: SourceRef;
}

/** A set of resources in a set-based constraint; kept so loaders can represent them faithfully. */
export interface ResourceSet {
  id: string;
  resources: ResourceId[];
  sequential: boolean;
  requireAll: boolean;
  role?: Role;
  action?: OrderAction;
  score?: Score;
}

export interface SetConstraint {
  kind: 'colocation-set' | 'order-set';
  id: ConstraintId;
  sets: ResourceSet[];
  score?: Score;
  orderKind?: OrderKind;
  symmetrical?: boolean;
  origin?: SourceRef;
}

export type Constraint = LocationConstraint | ColocationConstraint | OrderConstraint | SetConstraint;

// ---------------------------------------------------------------------------------------------
// Fencing topology

export interface FencingLevel {
  id: string;
  /** Node name, pattern or attribute target as configured. */
  target: string;
  targetKind: 'node' | 'pattern' | 'attribute';
  index: number;
  devices: ResourceId[];
}

// ---------------------------------------------------------------------------------------------
// The configuration as a whole

export interface ClusterConfig {
  /** Cluster name (`cluster-name` property or vigil.yaml `cluster.name`). */
  name?: string;
  nodes: NodeConfig[];
  /** Top-level resources in configuration order (order matters for tie-breaks, as in Pacemaker). */
  resources: Resource[];
  constraints: Constraint[];
  /**
   * Cluster options (crm_config): stonith-enabled, symmetric-cluster, no-quorum-policy,
   * stop-orphan-resources, start-failure-is-fatal, maintenance-mode, placement-strategy, ...
   */
  properties: Attributes;
  rscDefaults: Attributes;
  opDefaults: Attributes;
  fencingTopology: FencingLevel[];
}

// ---------------------------------------------------------------------------------------------
// Status: what is known about each node and what has run there.

/** Pacemaker's op-status (lrmd/executor status of an operation, separate from the agent's rc). */
export enum OpStatus {
  Pending = -1,
  Done = 0,
  Cancelled = 1,
  Timeout = 2,
  NotSupported = 3,
  Error = 4,
  ErrorHard = 5,
  ErrorFatal = 6,
  NotInstalled = 7,
  NotConnected = 8,
  Invalid = 9,
}

/** OCF exit codes. */
export enum OcfRc {
  Success = 0,
  Error = 1,
  InvalidParam = 2,
  Unimplemented = 3,
  InsufficientPriv = 4,
  NotInstalled = 5,
  NotConfigured = 6,
  NotRunning = 7,
  RunningPromoted = 8,
  FailedPromoted = 9,
}

/** One recorded operation result (Pacemaker's lrm_rsc_op). */
export interface OperationRecord {
  id: string;
  operation: OperationName;
  /** Executor call id; orders the history on one node. -1 for pending, 0 for some synthesized entries. */
  callId: number;
  rc: number;
  opStatus: OpStatus;
  intervalMs: Millis;
  lastRcChange?: EpochSeconds;
  lastRun?: EpochSeconds;
  execTimeMs?: Millis;
  queueTimeMs?: Millis;
  /** `transition-key`/`transition-magic` as Pacemaker records them (target rc is inside the key). */
  transitionKey?: string;
  transitionMagic?: string;
  opDigest?: string;
  opRestartDigest?: string;
  opSecureDigest?: string;
  exitReason?: string;
  /** Node the operation ran on, as recorded. */
  onNode?: NodeName;
  migrateSource?: NodeName;
  migrateTarget?: NodeName;
  /**
   * Written by the DC, not reported by an executor (an operation whose result never came, a
   * fence device's bookkeeping). Its `callId` is the highest executor call id recorded on the
   * node when it was written: it ranks after that call and before any executor call numbered
   * above it (see `historyOrder`), so the executor's next result supersedes it even when it
   * carries the id "newest + 1" (Pacemaker writes such records with call-id -1 and orders them
   * by transition number).
   */
  synthetic?: boolean;
}

/**
 * The order of a node's recorded operations: by executor call id; pending ones (-1) last; a
 * DC-written (synthetic) record just after the executor call id it was anchored to.
 */
export function historyOrder(op: Pick<OperationRecord, 'callId' | 'synthetic'>): number {
  if (op.callId < 0) return Number.MAX_SAFE_INTEGER;
  return op.synthetic ? op.callId + 0.5 : op.callId;
}

/** All recorded operations of one resource (or clone instance) on one node. */
export interface ResourceHistory {
  /** Resource id as recorded: a primitive id, or `clone-child:N` for clone instances. */
  rsc: string;
  agent?: AgentRef;
  /** Container for bundles/guests, when recorded. */
  container?: string;
  /** Instance parameters it was last started with, so that it can still be stopped once it is no longer configured (an orphan). */
  params?: Attributes;
  ops: OperationRecord[];
}

/** Membership state of a node as the cluster layer last reported it (Pacemaker's node_state). */
export interface NodeState {
  id: NodeId;
  name: NodeName;
  /** In the cluster membership (Corosync/Vigil membership). */
  inCluster: boolean;
  /** The node's controller process is up. */
  controllerOnline: boolean;
  /** Join state with the DC: member, down, pending, banned. */
  join: 'member' | 'down' | 'pending' | 'banned';
  /** What the DC expects of the node: member (should be up) or down (left cleanly). */
  expected: 'member' | 'down' | undefined;
  /** Explicitly marked unclean (e.g. by the DC after a lost node); fencing will be needed. */
  unclean?: boolean;
  /** Time the node was last fenced / left, when recorded. */
  shutdown?: EpochSeconds;
  /** The last fencing of the node that Vigil recorded: when, and how (device and reason, operator, race, watchdog). */
  lastFence?: { at?: EpochSeconds; how: string };
  /** Transient attributes: fail-count-*, last-failure-*, shutdown, probe_complete, standby, ... */
  transientAttributes: Attributes;
  history: ResourceHistory[];
  /** Node was fenced by the DC already (`crm-debug-origin`-independent signal some sources have). */
  remoteNodeConnection?: boolean;
}

export interface ClusterStatus {
  /** Whether the partition that produced this status has quorum. */
  haveQuorum: boolean;
  /** The DC node, if known. */
  dc?: NodeName;
  /** Evaluation time recorded in the CIB (execution-date), if any. */
  executionDate?: EpochSeconds;
  nodes: NodeState[];
  /** Tickets granted to this site (multi-site); empty in most clusters. */
  tickets: Record<string, { granted: boolean; standby: boolean; lastGranted?: EpochSeconds }>;
}

/** Everything the scheduler reads: configuration and status. */
export interface Cib {
  config: ClusterConfig;
  status: ClusterStatus;
  /** Version counters (admin_epoch, epoch, num_updates) when the source has them. */
  version?: { adminEpoch: number; epoch: number; numUpdates: number };
}

// ---------------------------------------------------------------------------------------------
// Source positions

/** Where something came from, for precise messages. Lines and columns are 1-based. */
export interface SourceRef {
  file: string;
  line?: number;
  column?: number;
}
