/**
 * The vocabulary of the coordination state machine: the voter configuration, log entries,
 * messages between nodes, the inputs a host feeds in and the outputs it must carry out.
 */
import type { NodeId } from '../model/ids.js';
import type { Millis } from '../model/time.js';
import type { CibUpdate } from './cib-update.js';

export type Term = number;
export type LogIndex = number;

/** One member of the voter configuration. */
export interface Member {
  id: NodeId;
  /** Votes this node carries (default 1; 0 = a non-voting learner that only receives the log). */
  votes: number;
  /** A witness votes and stores the log but never becomes DC and runs no resources. */
  witness?: boolean;
}

/** The set of nodes that take part, as recorded in the log (single-server changes). */
export interface MembershipConfig {
  members: Member[];
}

/** Quorum rules, fixed for the life of the process (from the cluster configuration). */
export interface QuorumOptions {
  /** Votes the cluster is expected to have; the quorum is a majority of max(expected, configured). */
  expectedVotes?: number;
  /**
   * Two-node mode: a node that fenced its peer (input `fenced`), or whose peer left cleanly (input
   * `left`), holds the peer's vote until the peer is heard from again, so the survivor keeps a
   * majority of two. Only honoured with exactly two voters (see docs/coordination.md for why it
   * is unsafe with more).
   */
  twoNode?: boolean;
  /**
   * With twoNode: a node counts a held vote (fenced or left) only after, since it started, it has been in sync
   * with a leader that did not hold its own vote (it has seen its peer and has every committed entry).
   * Default true; turning it off lets a cold-started node take over after fencing, at the risk of
   * losing updates its peer committed alone.
   */
  waitForAll?: boolean;
}

export interface TimingOptions {
  /** Leader heartbeat (AppendEntries) interval. */
  heartbeatMs: Millis;
  /** The election timeout is drawn uniformly from [electionMinMs, electionMaxMs). */
  electionMinMs: Millis;
  electionMaxMs: Millis;
  /** Leader lease duration; must satisfy leaseMs <= electionMinMs * (1 - maxDrift) / (1 + maxDrift). */
  leaseMs: Millis;
  /** Bound on clock rate error: every clock runs at a rate within [1 - maxDrift, 1 + maxDrift] of real time. */
  maxDrift: number;
  /** A follower that has not heard from a DC holding a lease for this long is not quorate. */
  deadtimeMs: Millis;
  /** Largest number of entries in one AppendEntries. */
  maxBatch: number;
  /** Largest snapshot chunk (characters of the serialized snapshot). */
  snapshotChunk: number;
}

/** Planted bugs, for proving the simulator catches them. Never set in production. */
export type PlantedBug = 'double-vote' | 'no-lease-wait';

export interface CoordinationOptions {
  timing: TimingOptions;
  quorum: QuorumOptions;
  plantedBug?: PlantedBug;
}

/** The configuration change a leader can propose: one server (or one vote) at a time. */
export type MembershipChange =
  | { op: 'add'; node: NodeId; votes: 0 | 1; witness?: boolean }
  | { op: 'remove'; node: NodeId }
  | { op: 'set-votes'; node: NodeId; votes: number };

export type EntryData =
  | { type: 'noop' }
  | { type: 'cib'; update: CibUpdate }
  | { type: 'membership'; config: MembershipConfig };

export interface LogEntry {
  index: LogIndex;
  term: Term;
  data: EntryData;
}

/** A compacted prefix of the log: the state machine after `index`, serialized by the host. */
export interface Snapshot {
  index: LogIndex;
  term: Term;
  config: MembershipConfig;
  data: string;
}

/** What survives a crash. */
export interface PersistedState {
  term: Term;
  votedFor: NodeId | null;
  snapshot: Snapshot | null;
  /** Entries after the snapshot, contiguous. */
  entries: LogEntry[];
}

// ---------------------------------------------------------------------------------------------
// Messages

interface Envelope {
  from: NodeId;
  to: NodeId;
  term: Term;
}

export type Message =
  /** Pre-vote: "would you vote for me in `term`?" (term = candidate's term + 1; nobody changes term). */
  | (Envelope & { type: 'prevote'; lastIndex: LogIndex; lastTerm: Term })
  | (Envelope & { type: 'prevote-reply'; granted: boolean; /** responder's own current term */ currentTerm: Term })
  | (Envelope & { type: 'vote'; lastIndex: LogIndex; lastTerm: Term })
  | (Envelope & { type: 'vote-reply'; granted: boolean })
  | (Envelope & {
      type: 'append';
      prevIndex: LogIndex;
      prevTerm: Term;
      entries: LogEntry[];
      commit: LogIndex;
      /** Leader's local clock when sent; echoed back for the lease. */
      sentAt: number;
      /** The leader holds a valid lease (followers use it for their own quorate flag). */
      leaseValid: boolean;
      /** The leader currently holds the recipient's vote (two-node fence-held vote). */
      holdsYourVote: boolean;
    })
  | (Envelope & { type: 'append-reply'; success: boolean; matchIndex: LogIndex; hint: LogIndex; sentAt: number })
  | (Envelope & {
      type: 'snapshot';
      index: LogIndex;
      lastTerm: Term;
      config: MembershipConfig;
      offset: number;
      chunk: string;
      done: boolean;
      sentAt: number;
    })
  | (Envelope & { type: 'snapshot-reply'; index: LogIndex; nextOffset: number; done: boolean; sentAt: number });

export type MessageType = Message['type'];

// ---------------------------------------------------------------------------------------------
// Inputs and outputs

/** Every input carries `now`: the node's local clock in ms (monotonic, may drift within maxDrift). */
export type Input =
  | { type: 'tick'; now: number }
  | { type: 'message'; now: number; message: Message }
  | { type: 'propose'; now: number; update: CibUpdate; id?: string }
  | { type: 'change-membership'; now: number; change: MembershipChange; id?: string }
  /** The host made the writes of output `seq` (and all before it) durable. */
  | { type: 'persisted'; now: number; seq: number }
  /** The host's state machine has applied up to `index`; compact the log into a snapshot of it. */
  | { type: 'compact'; now: number; index: LogIndex; data: string }
  /** This node successfully fenced `node` (two-node mode: it holds that node's vote). */
  | { type: 'fenced'; now: number; node: NodeId }
  /**
   * `node` left cleanly: it stopped its resources, then its coordination, and said so (two-node
   * mode: held like a fenced node's vote, and released the same way).
   */
  | { type: 'left'; now: number; node: NodeId };

export type PersistOp =
  | { kind: 'hard-state'; term: Term; votedFor: NodeId | null }
  /** Write these entries; entries[0].index may be <= the last stored index: the tail from there is replaced. */
  | { kind: 'entries'; entries: LogEntry[] }
  /** Store the snapshot; drop entries up to its index (all entries when keepLog is false). */
  | { kind: 'snapshot'; snapshot: Snapshot; keepLog: boolean };

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export type CoordinationEvent =
  | { type: 'role'; role: Role; term: Term }
  | { type: 'leader'; leader: NodeId | null; term: Term }
  | { type: 'proposed'; id?: string; index: LogIndex; term: Term }
  | { type: 'rejected'; id?: string; reason: string; leader: NodeId | null }
  | { type: 'vote-released'; node: NodeId }
  | { type: 'vote-held'; node: NodeId; why: 'fenced' | 'left' };

export interface Output {
  /** Write these durably, in order, before sending any message below; then input `persisted(seq)`. */
  persist: PersistOp[];
  persistSeq: number;
  /** Send only after `persist` is durable. */
  send: Message[];
  /** Install this snapshot into the state machine (before applying `apply`). */
  restore: Snapshot | null;
  /** Newly committed entries, in log order. */
  apply: LogEntry[];
  events: CoordinationEvent[];
  /** Local time by which the host must deliver a tick. */
  wakeAt: number;
  /**
   * This node is DC until this local time unless new acknowledgements extend it (null: not DC).
   * The lease ends by itself with time, without an output; hosts check `isDc(state, now)`.
   */
  dcUntil: number | null;
}
