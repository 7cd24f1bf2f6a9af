/**
 * The coordination state machine of one node: Raft-style election with pre-vote and
 * check-quorum, a leader lease that makes the leader the DC, log replication with snapshots,
 * single-server membership changes, and two-node held votes (a fenced or cleanly departed peer).
 *
 * `step(state, input)` is deterministic and I/O-free. For speed it updates `state` in place and
 * returns it (the log can be long); the caller owns the state and must not keep old references.
 *
 * ## Why two valid leases never overlap in real time
 *
 * Clocks: every node's clock runs at a rate within [1 - ρ, 1 + ρ] of real time (ρ = maxDrift).
 * A leader L1 in term T1 computes its lease from echoes: a quorum Q1 of voters acknowledged
 * heartbeats that L1 sent at local time ≥ s (L1 itself counts with its latest send time). The
 * lease ends at L1's local time s + leaseMs, i.e. at most leaseMs / (1 - ρ) of real time after
 * the real instant r(s) when the heartbeat sent at s left L1.
 *
 * Every node records `leaderContactAt` (local time) when it accepts a message from the leader of
 * its term (the leader records every send), and grants no vote or pre-vote, and casts no vote for
 * itself, until electionMinMs of its local time has passed since then: at least
 * electionMinMs / (1 + ρ) of real time. A restarted node treats its boot as such a contact,
 * because it has forgotten the last one.
 *
 * A leader L2 of any term T2 > T1 was elected by a quorum Q2. Q1 and Q2 share a voter F (two
 * majorities of the same votes intersect; expected_votes only raises the bar). F acknowledged
 * L1's heartbeat while its term was T1, at real time ≥ r(s), and voted in T2 afterwards (after
 * voting in T2 its term is ≥ T2 and it would have rejected L1's heartbeat). So F's vote, and L2's
 * election, happened at real time ≥ r(s) + electionMinMs / (1 + ρ). With
 *   leaseMs ≤ electionMinMs · (1 - ρ) / (1 + ρ)
 * L1's lease has ended by then. Leaders of lower terms are covered by the same argument with the
 * roles swapped, and a leader's own lease only starts after its election. Hence no two leases
 * overlap. (Two-node held votes: the vote is held only for a node that was fenced, i.e. is
 * powered off and holds no lease, or that left cleanly, i.e. stopped its coordination; either
 * way the holder's own vote is in both quorums and obeys the rule above, and the peer, when it
 * restarts, is bound by the boot rule.)
 */
import type { NodeId } from '../model/ids.js';
import { nextRandom } from './prng.js';
import { configAt, entryAt, lastIndex, lastTerm, latestConfig, slice, termAt, truncateFrom, upToDate, type RaftLog } from './log.js';
import { isQuorum, member, quorumValue, totalVotes, twoNodeActive, votesNeeded, votesOf } from './quorum.js';
import type {
  CoordinationEvent, CoordinationOptions, Input, LogEntry, LogIndex, MembershipChange, MembershipConfig, Message,
  Output, PersistedState, PersistOp, Role, Snapshot, Term, TimingOptions,
} from './types.js';

export interface PeerProgress {
  /** Next index to send. */
  next: LogIndex;
  /** Highest index known replicated on the peer. */
  match: LogIndex;
  /** Latest leader send time (leader's clock) the peer acknowledged in this term. */
  echoed: number;
  /** Send time (leader's clock) of the latest message the peer answered in this term, or when we became leader (check-quorum). */
  lastAckAt: number;
  /** Offset of the snapshot chunk being sent, or null when not sending a snapshot. */
  snapOffset: number | null;
}

export interface NodeState {
  id: NodeId;
  opts: CoordinationOptions;
  /** Configuration before any membership entry (from the cluster configuration). */
  bootstrap: MembershipConfig;

  // Persistent (written through `persist` outputs).
  term: Term;
  votedFor: NodeId | null;
  log: RaftLog;

  // Volatile.
  role: Role;
  leader: NodeId | null;
  commitIndex: LogIndex;
  appliedIndex: LogIndex;
  config: MembershipConfig;
  configIndex: LogIndex;
  rng: number;
  electionDeadline: number;
  /** Local time of the last contact with a leader of our term (for a leader: its last send), or boot. */
  leaderContactAt: number;
  /** The leader said, in its last message, that it held a valid lease. */
  leaderLeaseValid: boolean;
  votesGranted: Set<NodeId>;
  peers: Map<NodeId, PeerProgress>;
  heartbeatDue: number;
  /** Index of the leader's first entry of its term; it is DC only once this is committed. */
  termStartIndex: LogIndex;
  /** Leader lease end (local clock); -Infinity when none. */
  leaseExpiry: number;
  /** Highest log index known durable. */
  stableIndex: LogIndex;
  seq: number;
  pendingStable: Array<{ seq: number; last: LogIndex }>;
  /** Two-node mode: peers this node fenced, or that left cleanly, whose vote it holds. */
  heldVotes: Set<NodeId>;
  /** Two-node wait_for_all: in sync with a leader that did not hold our vote since we started. */
  synced: boolean;
  incoming: Snapshot | null;
  /** The write that records our vote for ourselves; the vote counts once it is durable. */
  selfVoteSeq: number;
}

export const DEFAULT_TIMING: TimingOptions = {
  heartbeatMs: 100,
  electionMinMs: 500,
  electionMaxMs: 1000,
  leaseMs: 400,
  maxDrift: 0.01,
  deadtimeMs: 1000,
  maxBatch: 64,
  snapshotChunk: 64 * 1024,
};

/** Check the timing options against the lease condition; returns the problems found. */
export function checkTiming(t: TimingOptions): string[] {
  const problems: string[] = [];
  if (!(t.heartbeatMs > 0)) problems.push('heartbeatMs must be > 0');
  if (!(t.electionMinMs > t.heartbeatMs)) problems.push('electionMinMs must exceed heartbeatMs');
  if (!(t.electionMaxMs > t.electionMinMs)) problems.push('electionMaxMs must exceed electionMinMs');
  if (!(t.maxDrift >= 0 && t.maxDrift < 0.5)) problems.push('maxDrift must be in [0, 0.5)');
  const bound = (t.electionMinMs * (1 - t.maxDrift)) / (1 + t.maxDrift);
  if (!(t.leaseMs > 0 && t.leaseMs <= bound)) {
    problems.push(`leaseMs must be in (0, ${bound.toFixed(1)}] = electionMinMs·(1-maxDrift)/(1+maxDrift)`);
  }
  if (!(t.maxBatch >= 1)) problems.push('maxBatch must be >= 1');
  if (!(t.snapshotChunk >= 1)) problems.push('snapshotChunk must be >= 1');
  return problems;
}

export interface CreateNodeParams {
  id: NodeId;
  bootstrap: MembershipConfig;
  opts: CoordinationOptions;
  /** What was loaded from disk; omit for a fresh node. */
  persisted?: PersistedState;
  /** Local clock at start. */
  now: number;
  /** Seed for the election-timeout randomness. */
  seed: number;
}

export function createNode(p: CreateNodeParams): NodeState {
  const problems = checkTiming(p.opts.timing);
  if (problems.length) throw new Error(`coordination timing: ${problems.join('; ')}`);
  const ps = p.persisted;
  const snap = ps?.snapshot ?? null;
  const log: RaftLog = { baseIndex: snap?.index ?? 0, baseTerm: snap?.term ?? 0, snapshot: snap, entries: ps ? ps.entries.slice() : [] };
  const cfg = latestConfig(log, p.bootstrap);
  const s: NodeState = {
    id: p.id, opts: p.opts, bootstrap: p.bootstrap,
    term: ps?.term ?? 0, votedFor: ps?.votedFor ?? null, log,
    role: 'follower', leader: null,
    commitIndex: log.baseIndex, appliedIndex: log.baseIndex,
    config: cfg.config, configIndex: cfg.index,
    rng: p.seed | 0, electionDeadline: 0,
    // The boot rule: we forgot when we last heard a leader, so act as if it was just now.
    leaderContactAt: p.now, leaderLeaseValid: false,
    votesGranted: new Set(), peers: new Map(), heartbeatDue: 0, termStartIndex: Infinity, leaseExpiry: -Infinity,
    stableIndex: lastIndex(log), seq: 0, pendingStable: [],
    heldVotes: new Set(), synced: false, incoming: null, selfVoteSeq: 0,
  };
  resetElectionDeadline(s, p.now);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Queries

export function isLeader(s: NodeState): boolean {
  return s.role === 'leader';
}

/** This node is the DC: leader, its first entry of the term committed, and its lease valid at `now`. */
export function isDc(s: NodeState, now: number): boolean {
  return s.role === 'leader' && s.commitIndex >= s.termStartIndex && now < s.leaseExpiry;
}

/** In a quorate partition: DC, or heard within deadtime from a leader that held its lease. */
export function isQuorate(s: NodeState, now: number): boolean {
  if (isDc(s, now)) return true;
  return s.role === 'follower' && s.leader !== null && s.leaderLeaseValid && now - s.leaderContactAt < s.opts.timing.deadtimeMs;
}

export function persistedState(s: NodeState): PersistedState {
  return { term: s.term, votedFor: s.votedFor, snapshot: s.log.snapshot, entries: s.log.entries.slice() };
}

export function wakeAt(s: NodeState): number {
  return s.role === 'leader' ? s.heartbeatDue : s.electionDeadline;
}

// ---------------------------------------------------------------------------------------------
// The step function

class Out {
  persist: PersistOp[] = [];
  persistSeq = 0;
  send: Message[] = [];
  restore: Snapshot | null = null;
  events: CoordinationEvent[] = [];
}

export function step(s: NodeState, input: Input): { state: NodeState; output: Output } {
  const out = new Out();
  const now = input.now;
  switch (input.type) {
    case 'tick': onTick(s, out, now); break;
    case 'message': onMessage(s, out, now, input.message); break;
    case 'propose': {
      if (s.role !== 'leader') {
        out.events.push({ type: 'rejected', id: input.id, reason: 'not the leader', leader: s.leader });
        break;
      }
      const e = appendLocal(s, out, { type: 'cib', update: input.update });
      out.events.push({ type: 'proposed', id: input.id, index: e.index, term: e.term });
      for (const [peer, p] of s.peers) if (p.snapOffset === null) sendAppend(s, out, now, peer, p);
      break;
    }
    case 'change-membership': onChangeMembership(s, out, now, input.change, input.id); break;
    case 'persisted': {
      while (s.pendingStable.length && s.pendingStable[0].seq <= input.seq) {
        const done = s.pendingStable.shift();
        if (done) s.stableIndex = Math.max(s.stableIndex, done.last);
      }
      if (s.role === 'leader') maybeCommit(s, out);
      if (s.role === 'candidate' && s.selfVoteSeq !== 0 && input.seq >= s.selfVoteSeq) {
        s.selfVoteSeq = 0;
        s.votesGranted.add(s.id);
        if (haveVotes(s)) becomeLeader(s, out, now);
      }
      break;
    }
    case 'compact': onCompact(s, out, input.index, input.data); break;
    // A clean leave holds the vote the same way as a fence, and is safe for the same reasons. The
    // vote counts only under wait_for_all's rule (heldCounts: this node has been in step with a
    // leader that did not hold its vote since it started), and from then on every committed entry
    // needed this node's acknowledgement (with exactly two voters a majority is both): it lacks
    // nothing. The leaver stopped its resources before it said so (the host's promise) and then
    // its coordination, so it holds no lease — and this node's own vote, which any new term needs,
    // waits out the lease rule as always. When it comes back, its first message releases the vote
    // (onMessage) and wait_for_all keeps it from acting alone: it lacks what this node committed
    // alone, and it cannot be elected without this node's vote.
    case 'fenced':
    case 'left': {
      if (twoNodeActive(s.config, s.opts.quorum) && input.node !== s.id && votesOf(s.config, input.node) > 0) {
        s.heldVotes.add(input.node);
        out.events.push({ type: 'vote-held', node: input.node, why: input.type });
        if (s.role === 'leader') { refreshLease(s, now); maybeCommit(s, out); }
        else if (s.role === 'pre-candidate' && haveVotes(s)) startElection(s, out, now);
        else if (s.role === 'candidate' && haveVotes(s)) becomeLeader(s, out, now);
      }
      break;
    }
  }
  // Apply what is committed.
  const apply: LogEntry[] = s.commitIndex > s.appliedIndex ? slice(s.log, s.appliedIndex + 1, s.commitIndex) : [];
  if (apply.length) s.appliedIndex = apply[apply.length - 1].index;
  return {
    state: s,
    output: {
      persist: out.persist, persistSeq: out.persistSeq, send: out.send, restore: out.restore, apply, events: out.events, wakeAt: wakeAt(s),
      dcUntil: isDc(s, now) ? s.leaseExpiry : null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Timers

function randomTimeout(s: NodeState): number {
  const r = nextRandom(s.rng);
  s.rng = r.state;
  const t = s.opts.timing;
  return t.electionMinMs + r.value * (t.electionMaxMs - t.electionMinMs);
}

function resetElectionDeadline(s: NodeState, now: number): void {
  s.electionDeadline = now + randomTimeout(s);
}

function inLease(s: NodeState, now: number): boolean {
  if (s.opts.plantedBug === 'no-lease-wait') return false;
  return now - s.leaderContactAt < s.opts.timing.electionMinMs;
}

/** May this node stand for election: a voter, not a witness, and not within a leader's lease. */
function canCampaign(s: NodeState, now: number): boolean {
  const m = member(s.config, s.id);
  return m !== undefined && m.votes > 0 && !m.witness && !inLease(s, now);
}

function onTick(s: NodeState, out: Out, now: number): void {
  if (s.role === 'leader') {
    if (now < s.heartbeatDue) return;
    // Check-quorum: step down when a quorum has not answered within the minimum election timeout.
    const heard = quorumValue(s.config, s.opts.quorum, (id) =>
      id === s.id ? now : heldCounts(s, id) ? now : s.peers.get(id)?.lastAckAt ?? -Infinity);
    if (now - heard > s.opts.timing.electionMinMs) {
      becomeFollower(s, out, now, s.term, null);
      return;
    }
    broadcast(s, out, now);
    return;
  }
  if (now < s.electionDeadline) return;
  if (canCampaign(s, now)) startPreVote(s, out, now);
  else resetElectionDeadline(s, now);
}

// ---------------------------------------------------------------------------------------------
// Roles

function setHardState(s: NodeState, out: Out, term: Term, votedFor: NodeId | null): void {
  s.term = term;
  s.votedFor = votedFor;
  addPersist(s, out, { kind: 'hard-state', term, votedFor });
}

function addPersist(s: NodeState, out: Out, op: PersistOp): void {
  if (out.persistSeq === 0) out.persistSeq = ++s.seq;
  out.persist.push(op);
}

function setRole(s: NodeState, out: Out, role: Role): void {
  if (s.role !== role) {
    s.role = role;
    out.events.push({ type: 'role', role, term: s.term });
  }
}

function setLeader(s: NodeState, out: Out, leader: NodeId | null): void {
  if (s.leader !== leader) {
    s.leader = leader;
    out.events.push({ type: 'leader', leader, term: s.term });
  }
}

function becomeFollower(s: NodeState, out: Out, now: number, term: Term, leader: NodeId | null): void {
  if (term > s.term) setHardState(s, out, term, null);
  const wasLeader = s.role === 'leader';
  setRole(s, out, 'follower');
  setLeader(s, out, leader);
  s.votesGranted.clear();
  s.peers.clear();
  s.leaseExpiry = -Infinity;
  s.termStartIndex = Infinity;
  if (wasLeader) s.leaderLeaseValid = false;
  resetElectionDeadline(s, now);
}

function heldCounts(s: NodeState, id: NodeId): boolean {
  if (!s.heldVotes.has(id) || !twoNodeActive(s.config, s.opts.quorum)) return false;
  return s.synced || s.opts.quorum.waitForAll === false;
}

function haveVotes(s: NodeState): boolean {
  return isQuorum(s.config, s.opts.quorum, (id) => s.votesGranted.has(id) || heldCounts(s, id));
}

function voters(s: NodeState): NodeId[] {
  return s.config.members.filter((m) => m.votes > 0 && m.id !== s.id).map((m) => m.id);
}

function startPreVote(s: NodeState, out: Out, now: number): void {
  setRole(s, out, 'pre-candidate');
  setLeader(s, out, null);
  s.votesGranted = new Set([s.id]);
  resetElectionDeadline(s, now);
  const li = lastIndex(s.log);
  const lt = lastTerm(s.log);
  for (const to of voters(s)) out.send.push({ type: 'prevote', from: s.id, to, term: s.term + 1, lastIndex: li, lastTerm: lt });
  if (haveVotes(s)) startElection(s, out, now);
}

function startElection(s: NodeState, out: Out, now: number): void {
  if (!canCampaign(s, now)) { becomeFollower(s, out, now, s.term, null); return; }
  setHardState(s, out, s.term + 1, s.id);
  setRole(s, out, 'candidate');
  // Our own vote counts only once it is on disk: a leader whose vote for itself could be lost in
  // a crash could, after restarting, vote for someone else in the same term.
  s.votesGranted = new Set();
  s.selfVoteSeq = out.persistSeq;
  resetElectionDeadline(s, now);
  const li = lastIndex(s.log);
  const lt = lastTerm(s.log);
  for (const to of voters(s)) out.send.push({ type: 'vote', from: s.id, to, term: s.term, lastIndex: li, lastTerm: lt });
}

function becomeLeader(s: NodeState, out: Out, now: number): void {
  setRole(s, out, 'leader');
  setLeader(s, out, s.id);
  // Won with real votes (our log is at least as current as a quorum's) or with a held vote, which
  // needed sync already: either way we hold every committed entry.
  s.synced = true;
  s.peers = new Map();
  const next = lastIndex(s.log) + 1;
  for (const m of s.config.members) {
    if (m.id !== s.id) s.peers.set(m.id, { next, match: 0, echoed: -Infinity, lastAckAt: now, snapOffset: null });
  }
  s.leaseExpiry = -Infinity;
  const e = appendLocal(s, out, { type: 'noop' });
  s.termStartIndex = e.index;
  broadcast(s, out, now);
}

function broadcast(s: NodeState, out: Out, now: number): void {
  s.heartbeatDue = now + s.opts.timing.heartbeatMs;
  s.leaderContactAt = now;
  for (const [peer, p] of s.peers) sendAppend(s, out, now, peer, p);
  refreshLease(s, now);
}

/** Lease = (send time of the latest heartbeat a quorum has acknowledged) + leaseMs. */
function refreshLease(s: NodeState, now: number): void {
  const start = quorumValue(s.config, s.opts.quorum, (id) => {
    if (id === s.id) return s.leaderContactAt;
    if (heldCounts(s, id)) return Infinity;
    return s.peers.get(id)?.echoed ?? -Infinity;
  });
  // A leader that is no longer a voter gets no lease (it hands over once that is committed).
  const lease = votesOf(s.config, s.id) > 0 ? start + s.opts.timing.leaseMs : -Infinity;
  // Recomputed, not extended: a released vote or a membership change can shorten the lease.
  s.leaseExpiry = Math.min(lease, now + s.opts.timing.leaseMs);
}

function appendLocal(s: NodeState, out: Out, data: LogEntry['data']): LogEntry {
  const e: LogEntry = { index: lastIndex(s.log) + 1, term: s.term, data };
  s.log.entries.push(e);
  addPersist(s, out, { kind: 'entries', entries: [e] });
  s.pendingStable.push({ seq: out.persistSeq, last: e.index });
  if (data.type === 'membership') {
    s.config = data.config;
    s.configIndex = e.index;
  }
  return e;
}

function sendAppend(s: NodeState, out: Out, now: number, to: NodeId, p: PeerProgress): void {
  s.leaderContactAt = now;
  if (p.next <= s.log.baseIndex && s.log.snapshot) {
    sendSnapshotChunk(s, out, now, to, p);
    return;
  }
  const prevIndex = p.next - 1;
  out.send.push({
    type: 'append', from: s.id, to, term: s.term,
    prevIndex, prevTerm: termAt(s.log, prevIndex) ?? 0,
    entries: slice(s.log, p.next, p.next + s.opts.timing.maxBatch - 1),
    commit: s.commitIndex, sentAt: now, leaseValid: isDc(s, now), holdsYourVote: s.heldVotes.has(to),
  });
}

function sendSnapshotChunk(s: NodeState, out: Out, now: number, to: NodeId, p: PeerProgress): void {
  const snap = s.log.snapshot as Snapshot;
  const offset = p.snapOffset ?? 0;
  p.snapOffset = offset;
  const chunk = snap.data.slice(offset, offset + s.opts.timing.snapshotChunk);
  out.send.push({
    type: 'snapshot', from: s.id, to, term: s.term, index: snap.index, lastTerm: snap.term, config: snap.config,
    offset, chunk, done: offset + chunk.length >= snap.data.length, sentAt: now,
  });
}

// ---------------------------------------------------------------------------------------------
// Messages

function onMessage(s: NodeState, out: Out, now: number, m: Message): void {
  if (m.to !== s.id) return;
  if (s.heldVotes.delete(m.from)) {
    // The fenced or departed peer is back: from now on it votes for itself again.
    out.events.push({ type: 'vote-released', node: m.from });
    if (s.role === 'leader') refreshLease(s, now);
  }
  if (m.type === 'prevote') { onPreVote(s, out, now, m); return; }
  if (m.type === 'prevote-reply') { onPreVoteReply(s, out, now, m); return; }
  if (m.term > s.term) {
    // A vote request while we are within a leader's lease is ignored outright: this is what
    // keeps leases safe and stops a rejoining node from deposing a healthy leader.
    if (m.type === 'vote' && inLease(s, now)) return;
    const leader = m.type === 'append' || m.type === 'snapshot' ? m.from : null;
    becomeFollower(s, out, now, m.term, leader);
  }
  if (m.term < s.term) {
    // Tell a stale leader about the newer term so it steps down.
    if (m.type === 'append' || m.type === 'snapshot') {
      out.send.push({ type: 'append-reply', from: s.id, to: m.from, term: s.term, success: false, matchIndex: 0, hint: 0, sentAt: m.sentAt });
    }
    return;
  }
  switch (m.type) {
    case 'vote': onVote(s, out, now, m); break;
    case 'vote-reply':
      if (s.role === 'candidate' && m.granted) {
        s.votesGranted.add(m.from);
        if (haveVotes(s)) becomeLeader(s, out, now);
      }
      break;
    case 'append': onAppend(s, out, now, m); break;
    case 'append-reply': onAppendReply(s, out, now, m); break;
    case 'snapshot': onSnapshot(s, out, now, m); break;
    case 'snapshot-reply': onSnapshotReply(s, out, now, m); break;
  }
}

function onPreVote(s: NodeState, out: Out, now: number, m: Extract<Message, { type: 'prevote' }>): void {
  const granted = m.term > s.term && upToDate(s.log, m.lastIndex, m.lastTerm) && !inLease(s, now);
  out.send.push({ type: 'prevote-reply', from: s.id, to: m.from, term: m.term, granted, currentTerm: s.term });
}

function onPreVoteReply(s: NodeState, out: Out, now: number, m: Extract<Message, { type: 'prevote-reply' }>): void {
  if (s.role !== 'pre-candidate') return;
  if (m.granted && m.term === s.term + 1) {
    s.votesGranted.add(m.from);
    if (haveVotes(s)) startElection(s, out, now);
  } else if (!m.granted && m.currentTerm > s.term) {
    becomeFollower(s, out, now, m.currentTerm, null);
  }
}

function onVote(s: NodeState, out: Out, now: number, m: Extract<Message, { type: 'vote' }>): void {
  const free = s.votedFor === null || s.votedFor === m.from || (s.opts.plantedBug === 'double-vote' && s.role !== 'leader');
  const granted = free && s.role !== 'leader' && upToDate(s.log, m.lastIndex, m.lastTerm) && !inLease(s, now);
  if (granted) {
    if (s.votedFor !== m.from) setHardState(s, out, s.term, m.from);
    resetElectionDeadline(s, now);
  }
  out.send.push({ type: 'vote-reply', from: s.id, to: m.from, term: s.term, granted });
}

/** leaseValid: what the leader said about its lease; undefined (snapshot chunks) keeps what we knew. */
function acceptLeader(s: NodeState, out: Out, now: number, leader: NodeId, leaseValid: boolean | undefined): void {
  if (s.role !== 'follower') becomeFollower(s, out, now, s.term, leader);
  if (s.leader !== leader) s.leaderLeaseValid = false;
  setLeader(s, out, leader);
  s.leaderContactAt = now;
  if (leaseValid !== undefined) s.leaderLeaseValid = leaseValid;
  resetElectionDeadline(s, now);
}

function onAppend(s: NodeState, out: Out, now: number, m: Extract<Message, { type: 'append' }>): void {
  if (s.role === 'leader') return; // cannot happen: one leader per term
  acceptLeader(s, out, now, m.from, m.leaseValid);
  const reply = (success: boolean, matchIndex: LogIndex, hint: LogIndex): void => {
    out.send.push({ type: 'append-reply', from: s.id, to: m.from, term: s.term, success, matchIndex, hint, sentAt: m.sentAt });
  };
  let prevIndex = m.prevIndex;
  let entries = m.entries;
  if (prevIndex < s.log.baseIndex) {
    // Everything up to our snapshot is committed and therefore identical: skip it.
    entries = entries.filter((e) => e.index > s.log.baseIndex);
    prevIndex = s.log.baseIndex;
    if (entries.length && entries[0].index !== prevIndex + 1) { reply(true, s.log.baseIndex, 0); return; }
  } else if (termAt(s.log, prevIndex) !== m.prevTerm) {
    let hint: LogIndex;
    if (prevIndex > lastIndex(s.log)) hint = lastIndex(s.log);
    else {
      // Skip back over the whole conflicting term in one round trip.
      const t = termAt(s.log, prevIndex);
      hint = prevIndex - 1;
      while (hint > s.log.baseIndex && termAt(s.log, hint) === t) hint--;
    }
    reply(false, 0, hint);
    return;
  }
  const lastNew = prevIndex + entries.length;
  let firstNew = -1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const t = termAt(s.log, e.index);
    if (t === e.term) continue;
    if (t !== undefined) {
      // Conflict: drop our entry and everything after it (never a committed one: log matching).
      truncateFrom(s.log, e.index);
      clampStable(s, e.index - 1);
    }
    firstNew = i;
    break;
  }
  if (firstNew >= 0) {
    const add = entries.slice(firstNew);
    for (const e of add) s.log.entries.push(e);
    addPersist(s, out, { kind: 'entries', entries: add });
    s.pendingStable.push({ seq: out.persistSeq, last: lastIndex(s.log) });
    const c = latestConfig(s.log, s.bootstrap);
    s.config = c.config;
    s.configIndex = c.index;
  }
  if (m.commit > s.commitIndex) s.commitIndex = Math.max(s.commitIndex, Math.min(m.commit, lastNew));
  if (!m.holdsYourVote && s.commitIndex >= m.commit) s.synced = true;
  reply(true, lastNew, 0);
}

function clampStable(s: NodeState, last: LogIndex): void {
  s.stableIndex = Math.min(s.stableIndex, last);
  for (const p of s.pendingStable) p.last = Math.min(p.last, last);
}

function onAppendReply(s: NodeState, out: Out, now: number, m: Extract<Message, { type: 'append-reply' }>): void {
  if (s.role !== 'leader') return;
  const p = s.peers.get(m.from);
  if (!p) return;
  // By send time, so that replies that waited in a queue (a paused leader) do not count as fresh.
  p.lastAckAt = Math.max(p.lastAckAt, m.sentAt);
  if (m.sentAt > p.echoed) { p.echoed = m.sentAt; refreshLease(s, now); }
  if (m.success) {
    if (m.matchIndex > p.match) {
      p.match = m.matchIndex;
      p.next = Math.max(p.next, p.match + 1);
      maybeCommit(s, out);
      if (p.next <= lastIndex(s.log) && p.snapOffset === null) sendAppend(s, out, now, m.from, p);
    }
  } else if (p.snapOffset === null) {
    p.next = Math.max(p.match + 1, Math.min(p.next - 1, m.hint + 1));
    sendAppend(s, out, now, m.from, p);
  }
}

function onSnapshot(s: NodeState, out: Out, now: number, m: Extract<Message, { type: 'snapshot' }>): void {
  if (s.role === 'leader') return;
  acceptLeader(s, out, now, m.from, undefined);
  const reply = (nextOffset: number, done: boolean): void => {
    out.send.push({ type: 'snapshot-reply', from: s.id, to: m.from, term: s.term, index: m.index, nextOffset, done, sentAt: m.sentAt });
  };
  if (m.index <= s.commitIndex) { reply(0, true); return; }
  if (m.offset === 0) s.incoming = { index: m.index, term: m.lastTerm, config: m.config, data: '' };
  const inc = s.incoming;
  if (!inc || inc.index !== m.index || inc.term !== m.lastTerm || inc.data.length !== m.offset) {
    reply(inc && inc.index === m.index && inc.term === m.lastTerm ? inc.data.length : 0, false);
    return;
  }
  inc.data += m.chunk;
  if (!m.done) { reply(inc.data.length, false); return; }
  s.incoming = null;
  installSnapshot(s, out, inc);
  reply(0, true);
}

function installSnapshot(s: NodeState, out: Out, snap: Snapshot): void {
  const keepLog = termAt(s.log, snap.index) === snap.term;
  if (keepLog) {
    s.log.entries = slice(s.log, snap.index + 1, lastIndex(s.log));
  } else {
    clampStable(s, Math.min(s.commitIndex, snap.index));
    s.log.entries = [];
  }
  s.log.baseIndex = snap.index;
  s.log.baseTerm = snap.term;
  s.log.snapshot = snap;
  addPersist(s, out, { kind: 'snapshot', snapshot: snap, keepLog });
  s.pendingStable.push({ seq: out.persistSeq, last: lastIndex(s.log) });
  s.commitIndex = Math.max(s.commitIndex, snap.index);
  if (s.appliedIndex < snap.index) {
    out.restore = snap;
    s.appliedIndex = snap.index;
  }
  const c = latestConfig(s.log, s.bootstrap);
  s.config = c.config;
  s.configIndex = c.index;
}

function onSnapshotReply(s: NodeState, out: Out, now: number, m: Extract<Message, { type: 'snapshot-reply' }>): void {
  if (s.role !== 'leader') return;
  const p = s.peers.get(m.from);
  if (!p) return;
  // By send time, so that replies that waited in a queue (a paused leader) do not count as fresh.
  p.lastAckAt = Math.max(p.lastAckAt, m.sentAt);
  if (m.sentAt > p.echoed) { p.echoed = m.sentAt; refreshLease(s, now); }
  if (m.done) {
    p.snapOffset = null;
    if (m.index > p.match) { p.match = m.index; maybeCommit(s, out); }
    p.next = Math.max(p.next, m.index + 1);
    if (p.next <= lastIndex(s.log)) sendAppend(s, out, now, m.from, p);
    return;
  }
  if (p.snapOffset === null) return;
  p.snapOffset = s.log.snapshot && m.index === s.log.snapshot.index ? m.nextOffset : 0;
  sendAppend(s, out, now, m.from, p);
}

// ---------------------------------------------------------------------------------------------
// Commit, compaction, membership

function maybeCommit(s: NodeState, out: Out): void {
  const n = quorumValue(s.config, s.opts.quorum, (id) => {
    if (id === s.id) return s.stableIndex;
    if (heldCounts(s, id)) return Infinity;
    return s.peers.get(id)?.match ?? 0;
  });
  const top = Math.min(n, lastIndex(s.log));
  // Only an entry of our own term is committed by counting (Raft §5.4.2); earlier ones follow.
  if (top > s.commitIndex && termAt(s.log, top) === s.term) {
    s.commitIndex = top;
    if (votesOf(s.config, s.id) === 0 && s.configIndex <= s.commitIndex) {
      // We were removed (or lost our vote) and that is committed: hand over.
      becomeFollower(s, out, s.leaderContactAt, s.term, null);
    }
  }
}

function onCompact(s: NodeState, out: Out, index: LogIndex, data: string): void {
  if (index <= s.log.baseIndex || index > s.appliedIndex) return;
  const term = termAt(s.log, index) as Term;
  const snap: Snapshot = { index, term, config: configAt(s.log, index, s.bootstrap), data };
  s.log.entries = slice(s.log, index + 1, lastIndex(s.log));
  s.log.baseIndex = index;
  s.log.baseTerm = term;
  s.log.snapshot = snap;
  addPersist(s, out, { kind: 'snapshot', snapshot: snap, keepLog: true });
  // Peers mid-way through sending an older snapshot start over with this one.
  for (const p of s.peers.values()) if (p.snapOffset !== null) p.snapOffset = 0;
}

function onChangeMembership(s: NodeState, out: Out, now: number, change: MembershipChange, id?: string): void {
  const reject = (reason: string): void => { out.events.push({ type: 'rejected', id, reason, leader: s.leader }); };
  if (s.role !== 'leader') return reject('not the leader');
  if (s.commitIndex < s.termStartIndex) return reject('the leader has not committed an entry of its term yet');
  if (s.configIndex > s.commitIndex) return reject('another membership change is in progress');
  const members = s.config.members.map((m) => ({ ...m }));
  const cur = members.find((m) => m.id === change.node);
  switch (change.op) {
    case 'add':
      if (cur) return reject(`node ${change.node} is already a member`);
      members.push({ id: change.node, votes: change.votes, ...(change.witness ? { witness: true } : {}) });
      break;
    case 'remove':
      if (!cur) return reject(`node ${change.node} is not a member`);
      if (cur.votes > 1) return reject('lower its votes to 1 first (one vote changes at a time)');
      members.splice(members.indexOf(cur), 1);
      break;
    case 'set-votes':
      if (!cur) return reject(`node ${change.node} is not a member`);
      if (!Number.isInteger(change.votes) || change.votes < 0 || Math.abs(change.votes - cur.votes) > 1) {
        return reject('votes change by at most one at a time');
      }
      cur.votes = change.votes;
      break;
  }
  if (!members.some((m) => m.votes > 0 && !m.witness)) return reject('no voter would be left that can become DC');
  if (totalVotes({ members }) < votesNeeded({ members }, s.opts.quorum)) {
    return reject('the votes left could never form a quorum (raise them or lower expected_votes first)');
  }
  const e = appendLocal(s, out, { type: 'membership', config: { members } });
  out.events.push({ type: 'proposed', id, index: e.index, term: e.term });
  for (const m of members) {
    if (m.id !== s.id && !s.peers.has(m.id)) s.peers.set(m.id, { next: e.index, match: 0, echoed: -Infinity, lastAckAt: now, snapOffset: null });
  }
  for (const peer of [...s.peers.keys()]) if (!members.some((m) => m.id === peer)) s.peers.delete(peer);
  for (const [peer, p] of s.peers) if (p.snapOffset === null) sendAppend(s, out, now, peer, p);
  refreshLease(s, now);
}

/** The entry at `index`, if the log still holds it (for hosts and tests). */
export function entry(s: NodeState, index: LogIndex): LogEntry | undefined {
  return entryAt(s.log, index);
}
