/**
 * The controller's vocabulary: what the daemon (or the simulator) feeds the DC controller and
 * the node-local controller, and what they ask it to do. Both are pure state machines:
 * `step(state, input) → { state, outputs, wakeAt }`; `now` is in every input (milliseconds on
 * the epoch scale: the wall clock in the daemon, virtual time in the simulator).
 */
import type { CibUpdate } from '../coordination/cib-update.js';
import type { AgentRef, Attributes, Cib, OpStatus, OperationName, Role } from '../model/cluster.js';
import type { NodeName, ResourceId } from '../model/ids.js';
import type { Millis } from '../model/time.js';

/**
 * Run one resource agent operation on a node. Field names match the executor's
 * OperationRequest (resource, agent, action, params, meta, timeoutMs, intervalMs, userData), so
 * the daemon can pass it on as it is; `userData` is the call key and must come back in the result.
 */
export interface ExecuteRequest {
  node: NodeName;
  /** Resource id as the executor and the status know it: the primitive, or `id:N` for a unique clone instance. */
  resource: string;
  /** The configured primitive. */
  primitive: ResourceId;
  agent: AgentRef;
  action: OperationName;
  params: Attributes;
  meta: Attributes;
  timeoutMs: Millis;
  /** > 0: start a recurring operation (monitor) with this interval; its results come back as they happen. */
  intervalMs: Millis;
  /** The call key (Pacemaker's transition key `<action>:<transition>:<target-rc>:<dc>`). */
  userData: string;
  /** The rc that means success. */
  targetRc: number;
  /** Role a recurring monitor checks (Promoted monitors expect rc 8). */
  role?: Role;
  /** Cancel this resource's recurring operations on the node before running (stop, promote, demote). */
  cancelRecurring: boolean;
}

/** An operation result as the executor reports it (a subset of its OperationResult). */
export interface ActionResult {
  callId: number;
  resource: string;
  action: OperationName;
  intervalMs: Millis;
  rc: number;
  opStatus: OpStatus;
  exitReason?: string;
  durationMs?: Millis;
  queueTimeMs?: Millis;
  /** Wall-clock start and end (epoch ms), when known. */
  startedAt?: number;
  finishedAt?: number;
  /** The call key given in the request. Results without one (local probes) are unsolicited. */
  userData?: string;
}

/** A fence device chosen for a target: the primitive (class stonith) and its parameters. */
export interface FenceDevice {
  device: ResourceId;
  agent: string;
  params: Attributes;
}

export interface FenceRequest {
  node: NodeName;
  action: 'reboot' | 'off';
  /** Fencing levels in order: all devices of a level must succeed; the next level is tried when one fails. Empty: no device. */
  levels: FenceDevice[][];
  /** `watchdog`: no device can fence the node; ask it to self-fence (best effort) — the DC waits watchdog-timeout anyway. */
  method: 'device' | 'watchdog';
  reason: string;
  /** Identifies this attempt; comes back in the fence result. */
  key: string;
  timeoutMs: Millis;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

// ---------------------------------------------------------------------------------------------
// DC controller

export interface DcOptions {
  /** This node's name (the DC); goes into call keys. */
  self: NodeName;
  /** Most actions in flight at once (Pacemaker's batch-limit). Default: the `batch-limit` property, else 16; 0 = no limit. */
  batchLimit?: number;
  /** Self-fencing: a node without quorum has stopped everything within this time. Default: the `stonith-watchdog-timeout` property. */
  watchdogTimeoutMs?: Millis;
  /** Per node: wait this long before fencing it (fence races). */
  fenceDelayMs?: Record<NodeName, Millis>;
  /** How long a fence operation may take. Default: the `stonith-timeout` property, else 60 s. */
  fenceTimeoutMs?: Millis;
  /** Wait before retrying a failed fence of the same node. Default 5 s. */
  fenceRetryMs?: Millis;
  /** Extra time after an operation's own timeout before the DC gives up on its result. Default 10 s. */
  resultGraceMs?: Millis;
  /** Re-run the scheduler at least this often. Default: `cluster-recheck-interval`, else 15 min. */
  recheckIntervalMs?: Millis;
  /** Forget a proposal that was not committed within this time. Default 30 s. */
  proposalTimeoutMs?: Millis;
  /**
   * PLANTED BUG for the simulator's test: recover a lost node's resources without waiting
   * watchdog-timeout. Never set it in production.
   */
  skipWatchdogWait?: boolean;
}

export type DcInput =
  /** Timer: the daemon calls this at `wakeAt` (or earlier). */
  | { type: 'tick'; now: number }
  /** An entry committed in the replicated log (every one, in order, including the DC's own proposals). */
  | { type: 'committed'; now: number; update: CibUpdate }
  /** The whole CIB was replaced (snapshot installed). */
  | { type: 'cib'; now: number; cib: Cib }
  /**
   * The nodes currently in this partition's membership (this node included). `left`: nodes that
   * said goodbye cleanly. `restarted`: members whose Vigil process restarted since last reported
   * (a new incarnation, also when it came back within deadtime; this node too, on the first
   * report after it started): their recorded history is forgotten and they are probed again, as
   * their executor lost its state and numbers its calls from 1 again.
   */
  | {
    type: 'membership'; now: number; members: NodeName[]; left?: NodeName[]; restarted?: NodeName[];
    /**
     * Nodes outside the membership that this node fenced itself (the node controller's two-node
     * fence race: `fencedByRace`): recorded fenced at once, not fenced a second time.
     */
    fenced?: NodeName[];
  }
  | { type: 'quorum'; now: number; haveQuorum: boolean }
  /** A result of an operation on `node` (requested by this DC, an earlier DC, or a local probe). */
  | { type: 'action-result'; now: number; node: NodeName; result: ActionResult }
  /**
   * An execute request got no result: refused by the node (`maybeRan: false`: nothing ran), or
   * no answer came back (`maybeRan: true`: the connection broke or timed out after the request
   * may have arrived, so the operation may have run or still be running).
   */
  | { type: 'action-undeliverable'; now: number; node: NodeName; userData: string; maybeRan: boolean }
  | { type: 'fence-result'; now: number; node: NodeName; key: string; ok: boolean; reason?: string }
  /** The operator confirms that the node is down (manual fencing). */
  | { type: 'fence-confirmed'; now: number; node: NodeName };

export type DcOutput =
  | { type: 'execute'; request: ExecuteRequest }
  | { type: 'fence'; request: FenceRequest }
  /** Propose this update to the replicated log; `id` comes back in nothing (commits are matched by content). */
  | { type: 'propose'; id: string; update: CibUpdate }
  /** A transition started: its number and summary, for logs and `vigil status`. */
  | { type: 'transition'; id: number; phase: 'probe' | 'run'; actions: number; summary: string[] }
  | { type: 'transition-done'; id: number; complete: boolean; reason?: string }
  /**
   * The DC planned (`reason`: what changed) and the scheduler wants nothing run: the cluster is as
   * it should be. After an aborted transition this says the replan left nothing of it to do.
   */
  | { type: 'idle'; reason: string }
  | { type: 'log'; line: LogLine };

export interface StepResult<S, O> {
  state: S;
  outputs: O[];
  /** When the controller next needs a tick (null: only inputs matter). */
  wakeAt: number | null;
}

// ---------------------------------------------------------------------------------------------
// Node-local controller

export interface NodeOptions {
  self: NodeName;
  /** Silence from a quorate DC after which this node considers itself without quorum. */
  deadtimeMs: Millis;
  /** Self-fencing guarantee (default: the `stonith-watchdog-timeout` property when fencing is enabled). */
  watchdogTimeoutMs?: Millis;
  /**
   * The quorum's voters (the witness included) and whether two_node is on. In two-node mode
   * (two_node, exactly two voters, this node one of them) a node that lost its peer and has no
   * quorum races to fence it (the fence race; see docs/controller.md). Absent: no race.
   */
  quorum?: { twoNode: boolean; voters: NodeName[] };
  /** Per node: wait this long before fencing it (the DC's fenceDelayMs): the node with the delay wins a race. */
  fenceDelayMs?: Record<NodeName, Millis>;
  /** How long a fence may take. Default: the `stonith-timeout` property, else 60 s. */
  fenceTimeoutMs?: Millis;
  /** Wait before retrying a failed fence. Default 5 s. */
  fenceRetryMs?: Millis;
}

export type NodeInput =
  | { type: 'tick'; now: number }
  /** The node's copy of the CIB changed (the daemon applies committed entries with applyUpdate). */
  | { type: 'cib'; now: number; cib: Cib }
  /**
   * Two-way contact with a quorate DC that counts this node as a member (the daemon must not
   * send this on one-way contact: the DC recovers this node's resources once it thinks it lost it).
   */
  | { type: 'dc-contact'; now: number; dc: NodeName }
  /** This node (re)joined the cluster: probe everything. */
  | { type: 'joined'; now: number }
  /** A different DC was elected: probe everything so it learns the truth. */
  | { type: 'dc-changed'; now: number; dc: NodeName | null }
  /** Every result of the local executor (DC-requested or local), so the node knows what runs here. */
  | { type: 'executed'; now: number; result: ActionResult }
  /**
   * The nodes membership sees (this node included), as the DC is told; `left`: nodes that said
   * goodbye; `restarted`: members that came back as a new incarnation. For the fence race.
   */
  | { type: 'membership'; now: number; members: NodeName[]; left?: NodeName[]; restarted?: NodeName[] }
  /** The result of a `fence` this controller asked for (the daemon also tells the engine `fenced` on success). */
  | { type: 'fence-result'; now: number; node: NodeName; key: string; ok: boolean; reason?: string };

export type NodeOutput =
  /** Run on this node (a local stop/demote or probe). Results come back as `executed`. */
  | { type: 'execute'; request: ExecuteRequest }
  /** Send this local result to the DC (probe results). */
  | { type: 'report'; result: ActionResult }
  /** Hard deadline for the hardware/supervisor watchdog: be dead by then unless re-armed (null: disarm). */
  | { type: 'watchdog'; deadline: number | null }
  /** Kill this node now (the daemon turns this into a watchdog reset or a hard kill). */
  | { type: 'self-fence'; reason: string }
  /**
   * Two-node fence race: fence the peer with its devices (as the DC's `fence`); answer with
   * `fence-result`, and on success tell the engine `fenced(node)` so that it holds the peer's vote.
   */
  | { type: 'fence'; request: FenceRequest }
  | { type: 'quorum'; have: boolean }
  | { type: 'log'; line: LogLine };
