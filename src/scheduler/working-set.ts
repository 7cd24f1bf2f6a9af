/**
 * The scheduler's working set: nodes and resource instances as the scheduler sees them while it
 * decides. Built fresh for every run from the (immutable) Cib; nothing here outlives `schedule`.
 */
import type { AnyRole, Attributes, OnFail, OperationConfig, Role } from '../model/cluster.js';
import type { Score } from '../model/score.js';
import type { ClusterOptions } from './options.js';

export type NodeStatus = 'online' | 'offline' | 'standby' | 'maintenance' | 'unclean' | 'pending';

export interface SchedNode {
  id: string;
  name: string;
  /** Config attributes, overlaid by transient attributes, plus #uname/#id/#kind. */
  attrs: Attributes;
  online: boolean;
  unclean: boolean;
  standby: boolean;
  /** standby forced by on-fail=standby, or pending join. */
  pending: boolean;
  maintenance: boolean;
  shutdown: boolean;
  /** Why the node needs fencing, when it does. */
  fenceReason?: string;
  /** The node was seen in the status section at all. */
  seen: boolean;
  /** Resources assigned to this node so far in this run (tie-break: spread load). */
  numResources: number;
}

/** A score contribution, for `explain`. */
export interface Contribution {
  node: string;
  score: Score;
  source: string;
}

export interface Colocation {
  id: string;
  dependent: SchedRsc;
  primary: SchedRsc;
  score: Score;
  dependentRole?: Role;
  primaryRole?: Role;
  nodeAttribute: string;
  influence: boolean;
}

export interface LocationRule {
  id: string;
  rsc: SchedRsc;
  role?: Role;
  /** Node name → score contributed. */
  scores: Map<string, Score>;
}

/** A resource in the working set: primitive, group, clone, or one instance of a clone. */
export interface SchedRsc {
  id: string;
  /** Id without the clone instance suffix. */
  baseId: string;
  variant: 'primitive' | 'group' | 'clone';
  parent?: SchedRsc;
  children: SchedRsc[];
  meta: Attributes;
  params: Attributes;
  operations: OperationConfig[];
  agentClass: string;
  /** Configuration order, the final tie-break. */
  order: number;

  priority: number;
  stickiness: number;
  migrationThreshold: number;
  failureTimeoutS: number;
  targetRole: Role | undefined;
  managed: boolean;
  /** A failure was ignored (on-fail=ignore), so fail counts do not ban it. */
  failureIgnored: boolean;
  /** on-fail=block left this resource blocked. */
  blocked: boolean;
  orphan: boolean;

  // clone settings (clones only)
  promotable: boolean;
  unique: boolean;
  cloneMax: number;
  cloneNodeMax: number;
  cloneMin: number;
  promotedMax: number;
  promotedNodeMax: number;
  interleave: boolean;
  ordered: boolean;

  // current state
  runningOn: string[];
  role: Role;
  /** Role per node where active (a multiply-active promotable can differ). */
  roleOn: Map<string, Role>;
  failed: boolean;
  /** Nodes where a failure requires a stop (recovery). */
  failedOn: Set<string>;
  /**
   * Nodes where it runs with other instance parameters than configured (the ones recorded at its
   * start), and their names: it restarts there (Pacemaker compares digests of them).
   */
  changedOn: Map<string, string[]>;
  onFail: OnFail | 'none';
  /** Anonymous clone instance: the id its history was recorded under. */
  historyName?: string;
  /** Nodes on which the resource was seen (probed), for promotion-score rules. */
  knownOn: Set<string>;

  // decision state
  allowed: Map<string, Score> | null;
  contributions: Contribution[];
  provisional: boolean;
  allocating: boolean;
  merging: boolean;
  allocatedTo: string | null;
  /** Role decided for after the transition; Unknown until decided (as in Pacemaker). */
  nextRole: AnyRole;
  nextRoleReason?: string;
  /** Clone only: instances placed per node so far (clone-node-max, promoted-node-max). */
  nodeCount: Map<string, number>;
  /** Instance got its clone's colocations already. */
  inheritedColocations: boolean;
  /** Promotion score used for ordering promotable instances. */
  promotionPriority: number;
  sortIndex: number;
  /** Colocations where this is the dependent / the primary. */
  withPrimaries: Colocation[];
  withDependents: Colocation[];
  locations: LocationRule[];
  /** Free-form reasons for the placement, in plain words. */
  notes: string[];
}

export interface WorkingSet {
  now: number;
  options: ClusterOptions;
  haveQuorum: boolean;
  nodes: Map<string, SchedNode>;
  nodeList: SchedNode[];
  /** Top-level resources in configuration order. */
  resources: SchedRsc[];
  /** Every resource and instance by id. */
  byId: Map<string, SchedRsc>;
  rscDefaults: Attributes;
  opDefaults: Attributes;
  warnings: string[];
  /** Configured top-level resources by id (to create extra clone instances). */
  configById: Map<string, import('../model/cluster.js').Resource>;
  /** Fence actions decided (node → reason). */
  fencing: Map<string, string>;
  /** `migration-threshold` given as a cluster property (legacy default). */
  legacyMigrationThreshold?: string;
  /** Any stonith-class primitive configured. */
  haveStonithResource: boolean;
}

export const roleRank: Record<Role, number> = { Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 };

/** Every primitive below (and including) a resource. */
export function primitivesOf(r: SchedRsc): SchedRsc[] {
  if (r.variant === 'primitive') return [r];
  const out: SchedRsc[] = [];
  for (const c of r.children) out.push(...primitivesOf(c));
  return out;
}

export function topOf(r: SchedRsc): SchedRsc {
  let t = r;
  while (t.parent) t = t.parent;
  return t;
}

/** The clone a resource belongs to, if any. */
export function cloneOf(r: SchedRsc): SchedRsc | undefined {
  for (let p: SchedRsc | undefined = r.parent; p; p = p.parent) if (p.variant === 'clone') return p;
  return undefined;
}

/** Node can host resources at all (Pacemaker's "available"). */
export function nodeAvailable(n: SchedNode | undefined): boolean {
  return !!n && n.online && !n.unclean && !n.standby && !n.shutdown && !n.maintenance && !n.pending;
}
