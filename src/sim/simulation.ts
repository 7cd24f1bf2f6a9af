/**
 * The deterministic simulator: N nodes' coordination state machines over a virtual network and
 * virtual clocks, with faults drawn from one seeded generator, and the safety invariants checked
 * after every step. Real time here is the simulator's virtual time (ms); each node sees its own
 * drifting local clock.
 *
 * The host contract the simulator follows (the daemon follows the same one): writes of an output
 * become durable in order; an output's messages are sent only once its writes and every earlier
 * write are durable; then the node is told `persisted(seq)`.
 */
import type { NodeId } from '../model/ids.js';
import { Prng } from '../coordination/prng.js';
import { applyPersistOp, emptyPersisted } from '../coordination/persist.js';
import { createNode, DEFAULT_TIMING, isDc, isQuorate, step, type NodeState } from '../coordination/node.js';
import { entryAt, lastIndex } from '../coordination/log.js';
import { isQuorum } from '../coordination/quorum.js';
import type {
  CoordinationOptions, Input, LogEntry, Member, MembershipChange, MembershipConfig, Message, Output, PersistedState, PersistOp, PlantedBug, Snapshot, TimingOptions,
} from '../coordination/types.js';
import { initMembership, reachablePeers, step as membershipStep, type MembershipOutput, type MembershipState } from '../membership/index.js';
import { EventQueue } from './queue.js';

/** The links every simulated node has (heartbeats go out on each; a ring can fail alone). */
const LINKS = ['ring0', 'ring1'] as const;

export interface SimOptions {
  seed: number;
  /** Voting nodes (2 = two_node mode with wait_for_all and fencing). */
  nodes: number;
  /** Add a witness (votes, never DC). */
  witness?: boolean;
  /** expected_votes for the quorum (default: the configured votes). */
  expectedVotes?: number;
  /** Two-node wait_for_all (default true; false shows what it prevents). */
  waitForAll?: boolean;
  /** Length of the fault phase in ms (default: drawn from 6-16 s). */
  faultMs?: number;
  /** After faults stop, the cluster must have a DC and every node caught up within this bound (ms). */
  settleMs?: number;
  plantedBug?: PlantedBug;
  /** Keep a readable timeline (slower; used to print a failing seed). */
  record?: boolean;
  /** Include heartbeats in the timeline. */
  verbose?: boolean;
  timing?: Partial<TimingOptions>;
  /**
   * Actual clock rate error of the simulated nodes (default: the configured maxDrift). Setting it
   * above maxDrift breaks the assumption the lease rests on; the invariants must then fire.
   */
  clockDrift?: number;
  /** Run the membership layer (failure detection over two links) next to coordination; default true. */
  membership?: boolean;
  /** 'all' (default): every fault kind; 'dc-kill': only kill -9 of the DC, on a clean network (failover measurement). */
  faults?: 'all' | 'dc-kill';
}

export interface Violation {
  invariant: string;
  time: number;
  node?: NodeId;
  detail: string;
}

export interface TimelineEvent {
  t: number;
  node: NodeId | '-';
  text: string;
}

export interface SimStats {
  events: number;
  virtualMs: number;
  faults: Record<string, number>;
  elections: number;
  /** Times (ms) from a crash or pause of the DC to the next DC with a valid lease. */
  failovers: number[];
  /** Longest time with no DC while faults were active (ms). */
  maxDcGapMs: number;
  /** Time from the end of faults until a DC existed and every node had caught up (ms). */
  recoveryMs: number;
  committed: number;
  messages: number;
  dropped: number;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  violation?: Violation;
  stats: SimStats;
  timeline: TimelineEvent[];
}

class SimViolation extends Error {
  constructor(readonly v: Violation) {
    super(`${v.invariant}: ${v.detail}`);
  }
}

interface PendingWrite {
  seq: number;
  ops: PersistOp[];
  msgs: Message[];
}

interface SimNode {
  idx: number;
  id: NodeId;
  alive: boolean;
  paused: boolean;
  incarnation: number;
  offset: number;
  rate: number;
  state: NodeState | null;
  disk: PersistedState;
  pending: PendingWrite[];
  lastPersistDone: number;
  backlog: Ev[];
  wakeLocal: number;
  token: number;
  /** Replicated state machine: how far applied, and a running hash of what was applied. */
  smApplied: number;
  smHash: number;
  checkedCommit: number;
  /** Crash while the next write is in flight (a torn write). */
  crashOnNextWrite: boolean;
  /** The membership layer's state (failure detection), when simulated. */
  mem: MembershipState | null;
  memToken: number;
  memWakeLocal: number;
}

type Ev =
  | { k: 'deliver'; m: Message }
  | { k: 'wake'; node: number; token: number }
  | { k: 'persisted'; node: number; inc: number }
  | { k: 'chaos' }
  | { k: 'undo'; fn: () => void }
  | { k: 'restart'; node: number; inc: number }
  | { k: 'crash'; node: number; inc: number }
  | { k: 'resume'; node: number; inc: number }
  | { k: 'propose' }
  | { k: 'compact'; node: number }
  | { k: 'hb'; from: number; to: number; link: string; inc: number }
  | { k: 'mem-wake'; node: number; token: number }
  | { k: 'heal' }
  | { k: 'end' };

const FNV_OFFSET = 0x811c9dc5;
function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function entryKey(e: LogEntry): string {
  const d = e.data;
  if (d.type === 'cib') return `${e.term}:${d.update.kind === 'node-attribute' ? String(d.update.value) : JSON.stringify(d.update)}`;
  if (d.type === 'membership') return `${e.term}:m:${JSON.stringify(d.config)}`;
  return `${e.term}:noop`;
}

export class Simulation {
  readonly rng: Prng;
  readonly opts: CoordinationOptions;
  readonly bootstrap: MembershipConfig;
  readonly nodes: SimNode[] = [];
  private readonly byId = new Map<NodeId, SimNode>();
  private readonly q = new EventQueue<Ev>();
  t = 0;
  private readonly faultEnd: number;
  private readonly settleMs: number;
  private healed = false;
  private endAt = Infinity;
  private recovered = false;
  private settleDeadline = Infinity;
  /** Client load differs per seed: busy (new entries all the time) to mostly quiet. */
  private readonly proposalGapMs: number;
  /** Disk latency differs per seed too. */
  private readonly fsyncMaxMs: number;

  // Network.
  private readonly blocked = new Map<string, number>();
  /** Blocks of one link (ring) between two nodes: `a>b@ring`. Only heartbeats use single rings. */
  private readonly blockedRings = new Map<string, number>();
  /** Last real time a heartbeat from node a reached node b (any ring), at [a * N + b]. */
  private lastHeartbeat = new Float64Array(0);
  private readonly membership: boolean;
  private readonly lossLevels = new Map<number, number>();
  private readonly jitterLevels = new Map<number, number>();
  private readonly dupLevels = new Map<number, number>();
  private faultSeq = 0;

  // Invariant bookkeeping.
  private readonly committed: string[] = [''];
  private readonly globalHash: number[] = [FNV_OFFSET];
  /** Term of the leader under which each index was first seen committed. */
  private readonly commitTerm: number[] = [0];
  private readonly leadersByTerm = new Map<number, NodeId>();
  /** Last real time a coordination message from node a was processed by node b, at [a * N + b]. */
  private lastDelivered = new Float64Array(0);
  /** fenced (or cleanly departed) node -> the node that holds its vote (until it is heard from). */
  private readonly fencedBy = new Map<NodeId, NodeId>();
  private proposals = 0;
  private firstProposalAfterHeal = Infinity;
  private dcLostAt: number | null = null;
  private noDcSince: number | null = null;
  private sawDc = false;

  readonly stats: SimStats = {
    events: 0, virtualMs: 0, faults: {}, elections: 0, failovers: [], maxDcGapMs: 0, recoveryMs: NaN, committed: 0, messages: 0, dropped: 0,
  };
  readonly timeline: TimelineEvent[] = [];
  private readonly record: boolean;
  private readonly verbose: boolean;

  constructor(readonly o: SimOptions) {
    this.rng = new Prng(o.seed);
    this.record = o.record ?? false;
    this.membership = o.membership ?? true;
    this.verbose = o.verbose ?? false;
    const twoNode = o.nodes === 2 && !o.witness;
    this.opts = {
      timing: { ...DEFAULT_TIMING, maxBatch: 8, snapshotChunk: 24, ...o.timing },
      quorum: { twoNode, waitForAll: o.waitForAll ?? true, ...(o.expectedVotes ? { expectedVotes: o.expectedVotes } : {}) },
      ...(o.plantedBug ? { plantedBug: o.plantedBug } : {}),
    };
    const members: Member[] = Array.from({ length: o.nodes }, (_, i) => ({ id: `n${i + 1}`, votes: 1 }));
    if (o.witness) members.push({ id: 'w', votes: 1, witness: true });
    this.bootstrap = { members };
    const rho = o.clockDrift ?? this.opts.timing.maxDrift;
    members.forEach((m, idx) => {
      // Clock drift within the stated bound: often at the extremes, where the lease proof is tight.
      const r = this.rng.next();
      const rate = r < 0.3 ? 1 - rho : r < 0.6 ? 1 + rho : 1 + this.rng.range(-rho, rho);
      const n: SimNode = {
        idx, id: m.id, alive: true, paused: false, incarnation: 0, offset: this.rng.range(0, 100_000), rate,
        state: null, disk: emptyPersisted(), pending: [], lastPersistDone: 0, backlog: [], wakeLocal: NaN, token: 0,
        smApplied: 0, smHash: FNV_OFFSET, checkedCommit: 0, crashOnNextWrite: false, mem: null, memToken: 0, memWakeLocal: NaN,
      };
      this.nodes.push(n);
      this.byId.set(m.id, n);
    });
    const N = this.nodes.length;
    this.lastDelivered = new Float64Array(N * N).fill(-Infinity);
    this.lastHeartbeat = new Float64Array(N * N).fill(-Infinity);
    this.faultEnd = o.faultMs ?? this.rng.range(6000, 16000);
    this.settleMs = o.settleMs ?? 10_000;
    this.proposalGapMs = this.rng.pick([300, 1000, 3000, 6000]);
    this.fsyncMaxMs = this.rng.pick([1, 3, 10, 30]);
  }

  // -------------------------------------------------------------------------------------------
  // Clocks

  local(n: SimNode, t = this.t): number {
    return n.offset + n.rate * t;
  }

  private realOf(n: SimNode, local: number): number {
    return (local - n.offset) / n.rate + 1e-3;
  }

  // -------------------------------------------------------------------------------------------
  // Running

  run(): SimResult {
    try {
      for (const n of this.nodes) this.boot(n);
      this.q.push(this.rng.range(1000, 2500), { k: 'chaos' });
      this.q.push(this.rng.range(300, 800), { k: 'propose' });
      for (const n of this.nodes) this.q.push(this.rng.range(500, 2000), { k: 'compact', node: n.idx });
      this.q.push(this.faultEnd, { k: 'heal' });
      for (;;) {
        const e = this.q.pop();
        if (!e) break;
        this.t = e.time;
        this.stats.events++;
        if (e.item.k === 'end') {
          this.finalCheck();
          break;
        }
        this.handle(e.item);
        this.checkInstant();
      }
      this.stats.virtualMs = this.t;
      return { seed: this.o.seed, ok: true, stats: this.stats, timeline: this.timeline };
    } catch (err) {
      // An exception inside a state machine is a failure of this seed like any other: report it
      // with the seed and its timeline rather than stopping the whole run.
      const v: Violation = err instanceof SimViolation ? err.v : { invariant: 'exception', time: this.t, detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      this.stats.virtualMs = this.t;
      this.note('-', `VIOLATION ${v.invariant}: ${v.detail}`);
      return { seed: this.o.seed, ok: false, violation: v, stats: this.stats, timeline: this.timeline };
    }
  }

  private fail(invariant: string, detail: string, node?: NodeId): never {
    throw new SimViolation({ invariant, time: this.t, detail, ...(node ? { node } : {}) });
  }

  private note(node: NodeId | '-', text: string): void {
    if (this.record) this.timeline.push({ t: this.t, node, text });
  }

  private countFault(kind: string): void {
    this.stats.faults[kind] = (this.stats.faults[kind] ?? 0) + 1;
  }

  private handle(ev: Ev): void {
    switch (ev.k) {
      case 'deliver': {
        const n = this.byId.get(ev.m.to);
        if (!n || !n.alive) { this.stats.dropped++; return; }
        if (n.paused) { n.backlog.push(ev); return; }
        if (this.isBlocked(ev.m.from, ev.m.to)) { this.stats.dropped++; return; }
        this.lastDelivered[(this.byId.get(ev.m.from) as SimNode).idx * this.nodes.length + n.idx] = this.t;
        if (this.fencedBy.get(ev.m.from) === ev.m.to) this.fencedBy.delete(ev.m.from);
        if (this.record && (this.verbose || !isHeartbeat(ev.m))) this.note(n.id, `recv ${describe(ev.m)}`);
        this.feed(n, { type: 'message', now: this.local(n), message: ev.m });
        return;
      }
      case 'wake': {
        const n = this.nodes[ev.node];
        if (!n.alive || ev.token !== n.token) return;
        if (n.paused) { n.backlog.push(ev); return; }
        n.wakeLocal = NaN;
        this.feed(n, { type: 'tick', now: this.local(n) });
        return;
      }
      case 'persisted': {
        const n = this.nodes[ev.node];
        if (!n.alive || ev.inc !== n.incarnation) return;
        if (n.paused) { n.backlog.push(ev); return; }
        const w = n.pending.shift();
        if (!w) return;
        for (const op of w.ops) applyPersistOp(n.disk, op);
        this.sendAll(n, w.msgs);
        this.feed(n, { type: 'persisted', now: this.local(n), seq: w.seq });
        return;
      }
      case 'chaos': this.chaos(); return;
      case 'undo': if (!this.healed) ev.fn(); return;
      case 'restart': {
        const n = this.nodes[ev.node];
        if (!n.alive && n.incarnation === ev.inc) this.boot(n);
        return;
      }
      case 'crash': {
        const n = this.nodes[ev.node];
        if (n.alive && n.incarnation === ev.inc && !this.healed) {
          this.crash(n, 'kill -9 during a write');
          this.q.push(this.t + this.rng.range(50, 3000), { k: 'restart', node: n.idx, inc: n.incarnation });
        }
        return;
      }
      case 'resume': {
        const n = this.nodes[ev.node];
        if (n.alive && n.paused && n.incarnation === ev.inc) this.resume(n);
        return;
      }
      case 'propose': this.propose(); return;
      case 'compact': {
        const n = this.nodes[ev.node];
        if (n.alive && !n.paused && n.state && n.smApplied - n.state.log.baseIndex >= 6) {
          this.feed(n, { type: 'compact', now: this.local(n), index: n.smApplied, data: JSON.stringify({ index: n.smApplied, hash: n.smHash }) });
        }
        if (!this.healed) this.q.push(this.t + this.rng.range(800, 2500), { k: 'compact', node: n.idx });
        return;
      }
      case 'heal': this.heal(); return;
      case 'hb': {
        const n = this.nodes[ev.to];
        if (!n.alive || !n.mem) return;
        if (n.paused) { n.backlog.push(ev); return; }
        const from = this.nodes[ev.from].id;
        if (this.isBlocked(from, n.id) || this.ringBlocked(from, n.id, ev.link)) return;
        // Silence is judged before this heartbeat counts (the layer ages first, then hears).
        this.feedMembership(n, { kind: 'heartbeat', now: this.local(n), from, link: ev.link, incarnation: ev.inc });
        this.lastHeartbeat[ev.from * this.nodes.length + n.idx] = this.t;
        return;
      }
      case 'mem-wake': {
        const n = this.nodes[ev.node];
        if (!n.alive || !n.mem || ev.token !== n.memToken) return;
        if (n.paused) { n.backlog.push(ev); return; }
        n.memWakeLocal = NaN;
        this.feedMembership(n, { kind: 'tick', now: this.local(n) });
        return;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Nodes

  private boot(n: SimNode): void {
    n.alive = true;
    n.paused = false;
    n.pending = [];
    n.backlog = [];
    n.lastPersistDone = this.t;
    const disk: PersistedState = { ...n.disk, entries: n.disk.entries.slice() };
    n.state = createNode({ id: n.id, bootstrap: this.bootstrap, opts: this.opts, persisted: disk, now: this.local(n), seed: this.rng.seed() });
    const snap = n.disk.snapshot;
    if (snap) {
      const d = JSON.parse(snap.data) as { index: number; hash: number };
      n.smApplied = d.index;
      n.smHash = d.hash;
    } else {
      n.smApplied = 0;
      n.smHash = FNV_OFFSET;
    }
    n.checkedCommit = n.state.commitIndex;
    n.wakeLocal = NaN;
    this.note(n.id, `start (incarnation ${n.incarnation}, term ${n.state.term}, log ${n.state.log.baseIndex}..${lastIndex(n.state.log)})`);
    this.scheduleWake(n, n.state.electionDeadline);
    if (this.membership) {
      const r = initMembership({ self: n.id, peers: this.nodes.map((x) => x.id).filter((x) => x !== n.id), links: [...LINKS] }, this.local(n));
      n.mem = r.state;
      this.membershipOutputs(n, r.outputs);
      this.scheduleMemWake(n, r.wakeAt);
    }
  }

  // -------------------------------------------------------------------------------------------
  // The membership layer: heartbeats on every ring, failure detection per peer and per link

  private feedMembership(n: SimNode, input: Parameters<typeof membershipStep>[1]): void {
    if (!n.mem) return;
    const r = membershipStep(n.mem, input);
    n.mem = r.state;
    this.membershipOutputs(n, r.outputs);
    this.scheduleMemWake(n, r.wakeAt);
  }

  private scheduleMemWake(n: SimNode, wakeLocal: number): void {
    if (wakeLocal === n.memWakeLocal) return;
    n.memWakeLocal = wakeLocal;
    n.memToken++;
    this.q.push(Math.max(this.t, this.realOf(n, wakeLocal)), { k: 'mem-wake', node: n.idx, token: n.memToken });
  }

  private membershipOutputs(n: SimNode, outs: MembershipOutput[]): void {
    for (const o of outs) {
      if (o.kind === 'send-heartbeat') {
        const loss = this.level(this.lossLevels);
        const jitter = this.level(this.jitterLevels);
        for (const peer of this.nodes) {
          if (peer === n) continue;
          for (const link of LINKS) {
            if (this.isBlocked(n.id, peer.id) || this.ringBlocked(n.id, peer.id, link) || this.rng.chance(loss)) continue;
            this.q.push(this.t + this.rng.range(0.1, 1.5) + (jitter ? this.rng.range(0, jitter) : 0), { k: 'hb', from: n.idx, to: peer.idx, link, inc: n.incarnation + 1 });
          }
        }
        continue;
      }
      if (o.kind === 'peer-dead') {
        // Accuracy: a peer is declared dead only after real silence on every ring of at least
        // deadtime as this node's clock measures it.
        const timings = (n.mem as MembershipState).config.timings;
        const last = this.lastHeartbeat[(this.byId.get(o.peer) as SimNode).idx * this.nodes.length + n.idx];
        const rate = n.rate;
        if (this.t - last < timings.deadtimeMs / rate - 1e-6) {
          this.fail('membership', `${n.id} declared ${o.peer} dead ${(this.t - last).toFixed(1)} ms after last hearing it (deadtime ${timings.deadtimeMs} ms)`, n.id);
        }
      }
      if (this.record && o.kind !== 'peer-late' && o.kind !== 'peer-recovered') {
        this.note(n.id, `membership: ${o.kind} ${'peer' in o ? o.peer : ''}${'link' in o ? ` on ${o.link}` : ''}`);
      }
    }
  }

  private crash(n: SimNode, why: string): void {
    const wasDc = n.state !== null && isDc(n.state, this.local(n));
    // A torn write: the first unsynced write may have reached the disk in part (a prefix of its records).
    const w = n.pending[0];
    let torn = '';
    if (w && this.rng.chance(0.5)) {
      const keep = this.rng.int(0, w.ops.length);
      for (let i = 0; i < keep; i++) {
        const op = w.ops[i];
        if (i === keep - 1 && op.kind === 'entries' && op.entries.length > 1) {
          const part = this.rng.int(1, op.entries.length);
          applyPersistOp(n.disk, { kind: 'entries', entries: op.entries.slice(0, part) });
          torn = ` (torn write: ${i} ops + ${part}/${op.entries.length} entries kept)`;
        } else applyPersistOp(n.disk, op);
      }
      if (!torn) torn = ` (torn write: ${keep}/${w.ops.length} ops kept)`;
      this.countFault('torn-write');
    }
    n.alive = false;
    n.paused = false;
    n.state = null;
    n.mem = null;
    n.memToken++;
    n.memWakeLocal = NaN;
    n.pending = [];
    n.backlog = [];
    n.incarnation++;
    n.token++;
    if (wasDc) this.dcLostAt = this.t;
    this.note(n.id, `CRASH ${why}${torn}`);
  }

  private pause(n: SimNode, ms: number): void {
    if (n.state && isDc(n.state, this.local(n))) this.dcLostAt = this.t;
    n.paused = true;
    this.note(n.id, `PAUSE for ${ms.toFixed(0)} ms`);
    this.q.push(this.t + ms, { k: 'resume', node: n.idx, inc: n.incarnation });
  }

  private resume(n: SimNode): void {
    n.paused = false;
    this.note(n.id, `RESUME (${n.backlog.length} events waited)`);
    const backlog = n.backlog;
    n.backlog = [];
    for (const ev of backlog) this.q.push(this.t, ev);
    n.wakeLocal = NaN;
    n.token++;
    if (n.state) this.scheduleWake(n, this.local(n));
    n.memWakeLocal = NaN;
    if (n.mem) this.scheduleMemWake(n, this.local(n));
  }

  private scheduleWake(n: SimNode, wakeLocal: number): void {
    if (wakeLocal === n.wakeLocal) return;
    n.wakeLocal = wakeLocal;
    n.token++;
    this.q.push(Math.max(this.t, this.realOf(n, wakeLocal)), { k: 'wake', node: n.idx, token: n.token });
  }

  private feed(n: SimNode, input: Input): void {
    const s = n.state;
    if (!s) return;
    const before = s.role;
    const { output } = step(s, input);
    if (input.type === 'propose' || input.type === 'compact' || input.type === 'fenced' || input.type === 'left') this.note(n.id, `${input.type}${input.type === 'compact' ? ` at ${input.index}` : ''}`);
    if (s.role === 'leader' && before !== 'leader') this.onNewLeader(n);
    this.checkCommits(n);
    this.handleOutput(n, output);
    this.scheduleWake(n, output.wakeAt);
  }

  private handleOutput(n: SimNode, out: Output): void {
    for (const ev of out.events) {
      if (ev.type === 'role') this.note(n.id, `role ${ev.role} (term ${ev.term})`);
      else if (ev.type === 'leader') this.note(n.id, `leader is ${ev.leader ?? 'unknown'} (term ${ev.term})`);
      else if (ev.type === 'proposed') this.note(n.id, `accepted proposal at ${ev.index}`);
      else if (ev.type === 'rejected') this.note(n.id, `rejected proposal: ${ev.reason}`);
      else this.note(n.id, `${ev.type} ${ev.node}`);
    }
    if (out.restore) this.restore(n, out.restore);
    for (const e of out.apply) this.applyEntry(n, e);
    if (out.persist.length) {
      n.pending.push({ seq: out.persistSeq, ops: out.persist, msgs: out.send });
      // fsync latency; writes complete in order.
      n.lastPersistDone = Math.max(n.lastPersistDone, this.t) + this.rng.range(0.2, this.fsyncMaxMs);
      this.q.push(n.lastPersistDone, { k: 'persisted', node: n.idx, inc: n.incarnation });
      if (n.crashOnNextWrite) {
        n.crashOnNextWrite = false;
        this.q.push(this.rng.range(this.t, n.lastPersistDone), { k: 'crash', node: n.idx, inc: n.incarnation });
      }
    } else if (n.pending.length) {
      // Messages never overtake an earlier write that is not yet durable.
      const last = n.pending[n.pending.length - 1];
      for (const m of out.send) last.msgs.push(m);
    } else {
      this.sendAll(n, out.send);
    }
  }

  private sendAll(n: SimNode, msgs: Message[]): void {
    for (const m of msgs) {
      this.stats.messages++;
      if (this.record && (this.verbose || !isHeartbeat(m))) this.note(n.id, `send ${describe(m)}`);
      if (this.isBlocked(m.from, m.to) || this.rng.chance(this.level(this.lossLevels))) { this.stats.dropped++; continue; }
      const jitter = this.level(this.jitterLevels);
      this.q.push(this.t + this.rng.range(0.1, 1.5) + (jitter ? this.rng.range(0, jitter) : 0), { k: 'deliver', m });
      if (this.rng.chance(this.level(this.dupLevels))) {
        this.q.push(this.t + this.rng.range(0.1, 1.5) + this.rng.range(0, jitter + 20), { k: 'deliver', m });
      }
    }
  }

  private level(levels: Map<number, number>): number {
    let v = 0;
    for (const x of levels.values()) v = Math.max(v, x);
    return v;
  }

  private isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.size > 0 && (this.blocked.get(`${from}>${to}`) ?? 0) > 0;
  }

  private ringBlocked(from: NodeId, to: NodeId, link: string): boolean {
    return this.blockedRings.size > 0 && (this.blockedRings.get(`${from}>${to}@${link}`) ?? 0) > 0;
  }

  // -------------------------------------------------------------------------------------------
  // The replicated state machine (a running hash) and the committed-entry record

  private applyEntry(n: SimNode, e: LogEntry): void {
    if (e.index !== n.smApplied + 1) this.fail('apply-order', `applied entry ${e.index} after ${n.smApplied}`, n.id);
    n.smHash = fnv(n.smHash, entryKey(e));
    n.smApplied = e.index;
    const g = this.globalHash[e.index];
    if (g === undefined) this.fail('state-machine-safety', `applied entry ${e.index} that no leader committed`, n.id);
    if (g !== n.smHash) this.fail('state-machine-safety', `state after applying ${e.index} differs from the committed history`, n.id);
  }

  private restore(n: SimNode, snap: Snapshot): void {
    const d = JSON.parse(snap.data) as { index: number; hash: number };
    if (this.globalHash[d.index] !== d.hash) this.fail('state-machine-safety', `installed snapshot at ${d.index} differs from the committed history`, n.id);
    n.smApplied = d.index;
    n.smHash = d.hash;
    this.note(n.id, `installed snapshot at ${snap.index}`);
  }

  private checkCommits(n: SimNode): void {
    const s = n.state;
    if (!s || s.commitIndex <= n.checkedCommit) return;
    if (this.record) this.note(n.id, `commit ${n.checkedCommit + 1}..${s.commitIndex}`);
    for (let i = Math.max(n.checkedCommit + 1, s.log.baseIndex + 1); i <= s.commitIndex; i++) {
      const e = entryAt(s.log, i);
      if (!e) this.fail('log', `committed index ${i} missing from the log`, n.id);
      const key = entryKey(e);
      const known = this.committed[i];
      if (known === undefined) {
        if (i !== this.committed.length) this.fail('state-machine-safety', `commit of ${i} skips ${this.committed.length}`, n.id);
        this.committed.push(key);
        this.commitTerm.push(s.term);
        this.globalHash.push(fnv(this.globalHash[i - 1], key));
        this.stats.committed = i;
      } else if (known !== key) {
        this.fail('state-machine-safety', `committed entry ${i} changed: was ${known}, now ${key}`, n.id);
      }
    }
    n.checkedCommit = s.commitIndex;
  }

  private onNewLeader(n: SimNode): void {
    const s = n.state as NodeState;
    this.stats.elections++;
    const other = this.leadersByTerm.get(s.term);
    if (other !== undefined && other !== n.id) this.fail('election-safety', `two leaders in term ${s.term}: ${other} and ${n.id}`, n.id);
    this.leadersByTerm.set(s.term, n.id);
    if (s.config.members.some((m) => m.id === n.id && m.witness)) this.fail('witness', `witness ${n.id} became leader`, n.id);
    // Leader completeness: the new leader holds every entry committed in an earlier term. (A
    // leader of a stale term, e.g. one that was paused, may lack later ones: it cannot commit.)
    let top = this.committed.length - 1;
    while (top > 0 && this.commitTerm[top] >= s.term) top--;
    if (lastIndex(s.log) < top) this.fail('leader-completeness', `leader of term ${s.term} has log up to ${lastIndex(s.log)}, committed ${top}`, n.id);
    for (let i = s.log.baseIndex + 1; i <= top; i++) {
      const e = entryAt(s.log, i);
      if (!e || entryKey(e) !== this.committed[i]) this.fail('leader-completeness', `leader of term ${s.term} lacks committed entry ${i}`, n.id);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Invariants at the current instant

  private checkInstant(): void {
    let dc: SimNode | null = null;
    for (const n of this.nodes) {
      if (!n.state || n.state.role !== 'leader') continue;
      if (!isDc(n.state, this.local(n))) continue;
      if (dc) this.fail('lease', `${dc.id} and ${n.id} both hold a valid DC lease`, n.id);
      dc = n;
      this.checkDcHasQuorum(n);
    }
    if (dc) {
      this.sawDc = true;
      if (this.noDcSince !== null && !this.healed) this.stats.maxDcGapMs = Math.max(this.stats.maxDcGapMs, this.t - this.noDcSince);
      this.noDcSince = null;
      if (this.dcLostAt !== null) {
        this.stats.failovers.push(this.t - this.dcLostAt);
        this.note(dc.id, `DC again ${(this.t - this.dcLostAt).toFixed(1)} ms after the DC was lost`);
        this.dcLostAt = null;
      }
      if (this.healed && !this.recovered) this.checkRecovered(dc);
    } else if (this.sawDc && this.noDcSince === null) {
      this.noDcSince = this.t;
    }
  }

  /**
   * A partition without quorum never acts as DC: a DC must have exchanged messages both ways,
   * within the real-time length of a lease, with a quorum of voters (or hold a fenced node's vote).
   */
  private checkDcHasQuorum(n: SimNode): void {
    const s = n.state as NodeState;
    const window = s.opts.timing.leaseMs / (1 - s.opts.timing.maxDrift) + 1e-3;
    const since = this.t - window;
    const N = this.nodes.length;
    const ok = isQuorum(s.config, s.opts.quorum, (id) => {
      if (id === n.id) return true;
      if (this.fencedBy.get(id) === n.id) return true;
      const m = this.byId.get(id);
      return m !== undefined && this.lastDelivered[n.idx * N + m.idx] >= since && this.lastDelivered[m.idx * N + n.idx] >= since;
    });
    if (!ok) this.fail('quorum', `${n.id} holds a DC lease without having reached a quorum within the last ${window.toFixed(0)} ms`, n.id);
  }

  private checkRecovered(dc: SimNode): void {
    const ds = dc.state as NodeState;
    if (ds.commitIndex < this.firstProposalAfterHeal) return;
    // Every node is a voter again (membership changes repaired) and that is committed.
    if (ds.configIndex > ds.commitIndex) return;
    for (const w of this.bootstrap.members) if (!ds.config.members.some((m) => m.id === w.id && m.votes === w.votes)) return;
    for (const n of this.nodes) {
      if (!n.alive || !n.state || n.smApplied < ds.commitIndex) return;
    }
    this.recovered = true;
    this.stats.recoveryMs = this.t - this.faultEnd;
    this.note('-', `recovered: DC ${dc.id}, every node applied up to ${ds.commitIndex}`);
    this.endAt = this.t + 1000;
    this.q.push(this.endAt, { k: 'end' });
  }

  private finalCheck(): void {
    if (!this.recovered) return;
    const dcs = this.nodes.filter((n) => n.state && isDc(n.state, this.local(n)));
    if (dcs.length !== 1) this.fail('liveness', `no stable DC ${(this.t - this.faultEnd).toFixed(0)} ms after faults stopped`);
    for (const n of this.nodes) {
      if (!n.state || !isQuorate(n.state, this.local(n))) this.fail('liveness', `${n.id} is not in the quorate partition after faults stopped`, n.id);
      if (n.mem && reachablePeers(n.mem).length !== this.nodes.length - 1) {
        this.fail('liveness', `${n.id}'s membership sees only ${reachablePeers(n.mem).join(',') || 'nobody'} after faults stopped`, n.id);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Faults

  private chaos(): void {
    if (this.healed) return;
    this.q.push(this.t + this.rng.range(200, 1500), { k: 'chaos' });
    const alive = this.nodes.filter((n) => n.alive);
    const r = this.rng.next();
    const dur = this.rng.range(200, 4000);
    const id = ++this.faultSeq;
    const twoNode = this.opts.quorum.twoNode === true;
    if (this.o.faults === 'dc-kill') {
      const dc = alive.find((n) => n.state && isDc(n.state, this.local(n)));
      if (!dc || alive.length < this.nodes.length) return;
      this.countFault('crash-dc');
      this.crash(dc, 'kill -9 of the DC');
      this.q.push(this.t + this.rng.range(300, 1000), { k: 'restart', node: dc.idx, inc: dc.incarnation });
      return;
    }
    if (r < 0.18) {
      if (!alive.length) return;
      const n = this.rng.pick(alive);
      if (this.rng.chance(0.4)) {
        this.countFault('crash-mid-write');
        n.crashOnNextWrite = true;
        return;
      }
      this.countFault('crash');
      this.crash(n, 'kill -9');
      this.q.push(this.t + this.rng.range(50, 3000), { k: 'restart', node: n.idx, inc: n.incarnation });
    } else if (r < 0.36) {
      const ids = this.nodes.map((n) => n.id);
      const side = ids.filter(() => this.rng.chance(0.5));
      if (side.length === 0 || side.length === ids.length) return;
      const other = ids.filter((x) => !side.includes(x));
      this.countFault('partition');
      this.note('-', `PARTITION {${side.join(',')}} | {${other.join(',')}} for ${dur.toFixed(0)} ms`);
      const pairs: Array<[string, string]> = [];
      for (const a of side) for (const b of other) pairs.push([a, b], [b, a]);
      this.block(pairs, dur);
    } else if (this.nodes.length < 2) {
      // One node: nothing to partition; crash it instead.
      if (!alive.length) return;
      this.countFault('crash');
      this.crash(alive[0], 'kill -9');
      this.q.push(this.t + this.rng.range(50, 3000), { k: 'restart', node: alive[0].idx, inc: alive[0].incarnation });
    } else if (r < 0.48) {
      const a = this.rng.pick(this.nodes).id;
      const b = this.rng.pick(this.nodes.filter((n) => n.id !== a)).id;
      this.countFault('one-way');
      this.note('-', `ONE-WAY ${a} -> ${b} blocked for ${dur.toFixed(0)} ms`);
      this.block([[a, b]], dur);
    } else if (r < 0.54) {
      // A non-transitive cut: these two cannot talk, both can still talk to the others.
      const a = this.rng.pick(this.nodes).id;
      const b = this.rng.pick(this.nodes.filter((n) => n.id !== a)).id;
      if (this.membership && this.rng.chance(0.5)) {
        // One ring fails between two nodes; the other ring still carries their heartbeats.
        const link = this.rng.pick(LINKS);
        this.countFault('ring-down');
        this.note('-', `RING ${link} down between ${a} and ${b} for ${dur.toFixed(0)} ms`);
        const keys = [`${a}>${b}@${link}`, `${b}>${a}@${link}`];
        for (const k of keys) this.blockedRings.set(k, (this.blockedRings.get(k) ?? 0) + 1);
        this.q.push(this.t + dur, {
          k: 'undo',
          fn: () => {
            for (const k of keys) {
              const c = (this.blockedRings.get(k) ?? 1) - 1;
              if (c > 0) this.blockedRings.set(k, c);
              else this.blockedRings.delete(k);
            }
          },
        });
        return;
      }
      this.countFault('link-cut');
      this.note('-', `CUT ${a} <-> ${b} for ${dur.toFixed(0)} ms`);
      this.block([[a, b], [b, a]], dur);
    } else if (r < 0.62) {
      const level = this.rng.range(0.05, 0.5);
      this.countFault('loss');
      this.note('-', `LOSS ${(level * 100).toFixed(0)}% for ${dur.toFixed(0)} ms`);
      this.lossLevels.set(id, level);
      this.q.push(this.t + dur, { k: 'undo', fn: () => this.lossLevels.delete(id) });
    } else if (r < 0.70) {
      const level = this.rng.range(5, 300);
      this.countFault('delay');
      this.note('-', `DELAY up to ${level.toFixed(0)} ms (reordering) for ${dur.toFixed(0)} ms`);
      this.jitterLevels.set(id, level);
      this.q.push(this.t + dur, { k: 'undo', fn: () => this.jitterLevels.delete(id) });
    } else if (r < 0.74) {
      const level = this.rng.range(0.05, 0.5);
      this.countFault('duplicate');
      this.note('-', `DUPLICATE ${(level * 100).toFixed(0)}% for ${dur.toFixed(0)} ms`);
      this.dupLevels.set(id, level);
      this.q.push(this.t + dur, { k: 'undo', fn: () => this.dupLevels.delete(id) });
    } else if (r < 0.86) {
      const cand = alive.filter((n) => !n.paused);
      if (!cand.length) return;
      this.countFault('pause');
      this.pause(this.rng.pick(cand), this.rng.range(100, 3000));
    } else if (!twoNode && this.nodes.length >= 3 && r < 0.92) {
      this.membershipStep(false);
    } else if (twoNode && r < 0.96) {
      // Fencing: a node powers its peer off and then holds the peer's vote. Or a clean leave
      // (vigil stop): the peer stops its engine, then says so, and the survivor holds its vote
      // the same way; messages it sent before stopping may still arrive (and release the vote).
      const fencer = alive.filter((n) => !n.paused);
      if (fencer.length !== 2) return;
      const leave = r >= 0.93;
      const f = this.rng.pick(fencer);
      const victim = fencer.find((n) => n !== f) as SimNode;
      this.countFault(leave ? 'leave' : 'fence');
      this.crash(victim, leave ? `left cleanly (${f.id} is told)` : `fenced by ${f.id}`);
      this.fencedBy.set(victim.id, f.id);
      this.q.push(this.t + this.rng.range(300, 4000), { k: 'restart', node: victim.idx, inc: victim.incarnation });
      this.feed(f, { type: leave ? 'left' : 'fenced', now: this.local(f), node: victim.id });
    } else {
      // Crash the DC in particular: the failover the users notice.
      const dc = alive.find((n) => n.state && isDc(n.state, this.local(n)));
      if (!dc) return;
      this.countFault('crash-dc');
      this.crash(dc, 'kill -9 of the DC');
      this.q.push(this.t + this.rng.range(50, 3000), { k: 'restart', node: dc.idx, inc: dc.incarnation });
    }
  }

  /**
   * Drive single-server membership changes through the current leader: remove a node (one vote
   * at a time), later add it back as a learner and then give it its vote. After healing only the
   * repair direction is taken, so every node is a voter again.
   */
  private membershipStep(repairOnly: boolean): void {
    let leader: SimNode | null = null;
    for (const n of this.nodes) {
      if (n.alive && !n.paused && n.state?.role === 'leader' && (!leader || n.state.term > (leader.state as NodeState).term)) leader = n;
    }
    if (!leader) return;
    const s = leader.state as NodeState;
    const wanted = this.bootstrap.members;
    let change: MembershipChange | null = null;
    const missing = wanted.find((w) => !s.config.members.some((m) => m.id === w.id));
    const learner = wanted.find((w) => s.config.members.some((m) => m.id === w.id && m.votes < w.votes));
    if (missing) change = { op: 'add', node: missing.id, votes: 0, ...(missing.witness ? { witness: true } : {}) };
    else if (learner) change = { op: 'set-votes', node: learner.id, votes: learner.votes };
    else if (!repairOnly) {
      const voters = s.config.members.filter((m) => m.votes > 0 && !m.witness);
      if (voters.length < 3) return;
      const victim = this.rng.pick(voters);
      change = this.rng.chance(0.5) ? { op: 'remove', node: victim.id } : { op: 'set-votes', node: victim.id, votes: 0 };
    }
    if (!change) return;
    this.countFault('membership');
    this.note(leader.id, `membership change ${change.op} ${change.node}${'votes' in change ? ` votes=${change.votes}` : ''}`);
    this.feed(leader, { type: 'change-membership', now: this.local(leader), change });
  }

  private block(pairs: Array<[string, string]>, dur: number): void {
    for (const [a, b] of pairs) this.blocked.set(`${a}>${b}`, (this.blocked.get(`${a}>${b}`) ?? 0) + 1);
    this.q.push(this.t + dur, {
      k: 'undo',
      fn: () => {
        for (const [a, b] of pairs) {
          const c = (this.blocked.get(`${a}>${b}`) ?? 1) - 1;
          if (c > 0) this.blocked.set(`${a}>${b}`, c);
          else this.blocked.delete(`${a}>${b}`);
        }
      },
    });
  }

  private heal(): void {
    this.healed = true;
    this.note('-', 'HEAL: faults stop; crashed nodes restart, paused nodes resume, the network is clean');
    this.blocked.clear();
    this.blockedRings.clear();
    this.lossLevels.clear();
    this.jitterLevels.clear();
    this.dupLevels.clear();
    for (const n of this.nodes) {
      n.crashOnNextWrite = false;
      if (!n.alive) this.boot(n);
      else if (n.paused) this.resume(n);
    }
    // The liveness bound: a proposal event at the deadline fails unless recovery happened first.
    this.settleDeadline = this.t + this.settleMs;
    this.q.push(this.settleDeadline, { k: 'propose' });
  }

  private propose(): void {
    if (this.healed && this.t >= this.settleDeadline && !this.recovered) {
      this.fail('liveness', `no DC with every node caught up ${this.settleMs} ms after faults stopped`);
    }
    if (this.recovered) return;
    this.q.push(this.t + this.rng.range(50, this.healed ? 300 : this.proposalGapMs), { k: 'propose' });
    let best: SimNode | null = null;
    for (const n of this.nodes) {
      if (n.alive && !n.paused && n.state?.role === 'leader' && (!best || n.state.term > (best.state as NodeState).term)) best = n;
    }
    if (!best) return;
    if (this.healed) this.membershipStep(true);
    if (!best.state || best.state.role !== 'leader') return;
    const value = `v${++this.proposals}`;
    const s = best.state as NodeState;
    const before = lastIndex(s.log);
    this.feed(best, { type: 'propose', now: this.local(best), update: { kind: 'node-attribute', node: 'sim', name: 'k', value }, id: value });
    if (this.healed && best.state && lastIndex(best.state.log) > before) {
      this.firstProposalAfterHeal = Math.min(this.firstProposalAfterHeal, lastIndex(best.state.log));
    }
  }
}

function isHeartbeat(m: Message): boolean {
  return (m.type === 'append' && m.entries.length === 0) || (m.type === 'append-reply' && m.success);
}

/** One message in readable form. */
export function describe(m: Message): string {
  const head = `${m.type} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case 'prevote': case 'vote': return `${head} last=${m.lastIndex}/t${m.lastTerm}`;
    case 'prevote-reply': return `${head} ${m.granted ? 'GRANTED' : 'refused'} (their term ${m.currentTerm})`;
    case 'vote-reply': return `${head} ${m.granted ? 'GRANTED' : 'refused'}`;
    case 'append': return `${head} prev=${m.prevIndex}/t${m.prevTerm} entries=${m.entries.length ? `${m.entries[0].index}..${m.entries[m.entries.length - 1].index}` : 'none'} commit=${m.commit}`;
    case 'append-reply': return `${head} ${m.success ? `ok match=${m.matchIndex}` : `mismatch hint=${m.hint}`}`;
    case 'snapshot': return `${head} index=${m.index} offset=${m.offset} len=${m.chunk.length}${m.done ? ' done' : ''}`;
    case 'snapshot-reply': return `${head} index=${m.index} next=${m.nextOffset}${m.done ? ' done' : ''}`;
  }
}

export function runSeed(o: SimOptions): SimResult {
  return new Simulation(o).run();
}
