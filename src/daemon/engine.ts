/**
 * Engine: one node's cluster engine as a running process part — the imperative shell around the
 * pure layers. It wires
 *
 *   transport (Endpoint: UDP links, authenticated frames, membership heartbeats and liveness)
 *   coordination (Raft-style DC election, lease, replicated CIB log, quorum, witness, two_node)
 *   storage (FileStorage: checksummed, fsynced, atomically renamed)
 *
 * to a real monotonic clock and timers. It decides nothing itself: every decision is a `step` of
 * a pure state machine; this file moves messages, bytes on disk and time.
 *
 *   const engine = new Engine({ settings, node: 'n1' });
 *   engine.on('lease', ({ valid }) => ...);          // this node is DC (valid lease) or not
 *   engine.on('quorum', ({ quorate }) => ...);       // in a quorate partition (no-quorum-policy)
 *   engine.on('committed', (entry) => ...);          // committed log entries, in order
 *   await engine.start();
 *   const { index } = await engine.propose({ kind: 'node-attribute', node: 'n1', name: 'x', value: '1' });
 *   engine.status();
 *   await engine.stop();
 *
 * The host contract of src/coordination is kept: an output's writes are fsynced (synchronously)
 * before any of its messages leave, then `persisted(seq)` is fed back. Ticks run after pending
 * socket reads (setImmediate after the timer), so a process that was starved of CPU reads the
 * heartbeats waiting in its socket buffers before it decides that anyone went silent.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import type { EngineSettings } from '../config/settings.js';
import {
  createNode, isDc, isQuorate, lastIndex, step,
} from '../coordination/index.js';
import type {
  CibUpdate, Input, LogEntry, LogIndex, MembershipChange, MembershipConfig, NodeState, Output, Role, Snapshot, Term, TimingOptions,
} from '../coordination/index.js';
import type { NodeId, NodeName } from '../model/index.js';
import { FileStorage } from '../storage/index.js';
import { Endpoint, loadAuthkeyFile } from '../transport/index.js';
import type { ClusterKeys, InboundMessage, LinkCounters, TransportCounters } from '../transport/index.js';
import type { Liveness, MembershipOutput } from '../membership/index.js';
import { monotonicMs } from './clock.js';
import { planEngine } from './engine-config.js';
import type { EnginePlan, EngineRole } from './engine-config.js';
import { decodeMessage, encodeMessage } from './engine-wire.js';

export { WITNESS_NODE } from './engine-config.js';
export type { EngineRole } from './engine-config.js';

export interface EngineOptions {
  settings: EngineSettings;
  /** This node's name (for a witness: WITNESS_NODE). */
  node: NodeName;
  /** 'witness': votes and stores the log, never DC, runs no resources. Default 'node'. */
  role?: EngineRole;
  /** Cluster keys; default: loaded from settings.transport.authkeyFile (must be mode 0600). */
  keys?: ClusterKeys;
  /** Where the coordination state lives; default `<settings.paths.stateDir>/engine`. */
  stateDir?: string;
  /** Override coordination timings (tests); defaults: docs/coordination.md. */
  timing?: Partial<TimingOptions>;
  /** pino logger; default: silent. */
  logger?: Logger;
  /** Seed of the election-timeout randomness; default: from the clock and pid. */
  seed?: number;
  /** Clock in ms (monotonic); default CLOCK_MONOTONIC (comparable across processes). */
  clock?: () => number;
}

/** A peer's liveness as membership sees it (heartbeats on every link). */
export interface PeerStatus {
  node: NodeId;
  status: Liveness;
  incarnation: number | undefined;
  lastHeardAt: number | undefined;
  links: Record<string, Liveness>;
  /** In the voter configuration, with these votes. */
  votes: number;
  witness: boolean;
}

export interface EngineStatus {
  node: NodeId;
  role: EngineRole;
  /** Coordination role (Raft): follower, pre-candidate, candidate, leader. */
  raftRole: Role;
  term: Term;
  /** The DC as this node knows it (the leader of its term), or null. */
  dc: NodeId | null;
  /** This node is DC: leader, first entry of its term committed, lease valid now. */
  isDc: boolean;
  /** Remaining lease in ms when this node is DC, else 0. */
  leaseRemainingMs: number;
  /** In a quorate partition (DC, or heard a DC holding its lease within deadtime). */
  quorate: boolean;
  commitIndex: LogIndex;
  appliedIndex: LogIndex;
  lastIndex: LogIndex;
  snapshotIndex: LogIndex;
  members: MembershipConfig['members'];
  peers: PeerStatus[];
  /** Per link: frames/bytes sent and received, send errors. */
  links: Record<string, LinkCounters>;
  /** Transport drop counters by reason, plus delivered/ignored totals. */
  transport: TransportCounters;
  /** Coordination messages dropped after authentication (malformed, wrong sender or recipient). */
  protocolDrops: Record<'malformed' | 'wrong-sender' | 'wrong-recipient' | 'held-incarnation', number>;
  incarnation: number;
  /** Elections this process saw start here (term raises by this node). */
  electionsStarted: number;
}

export interface ProposalResult { index: LogIndex; term: Term }

export type PeerEvent =
  | { peer: NodeId; event: 'up'; incarnation: number }
  | { peer: NodeId; event: 'late'; silentMs: number }
  | { peer: NodeId; event: 'recovered'; silentMs: number }
  | { peer: NodeId; event: 'down'; silentMs: number }
  | { peer: NodeId; event: 'restarted'; incarnation: number };

export interface EngineEvents {
  /** Coordination role of this node changed. */
  role: [{ role: Role; term: Term }];
  /** The DC (leader) this node follows changed (null: none known). */
  dc: [{ dc: NodeId | null; term: Term }];
  /** This node's own DC lease became valid (it may act as DC) or was lost. */
  lease: [{ valid: boolean; term: Term }];
  /** This node entered or left a quorate partition. */
  quorum: [{ quorate: boolean; term: Term }];
  /** A log entry was committed (in index order; `cib` entries are CIB updates). */
  committed: [LogEntry];
  /** Replace the state machine with this snapshot before the next `committed` (catch-up, or start). */
  restore: [Snapshot];
  peer: [PeerEvent];
  link: [{ peer: NodeId; link: string; up: boolean }];
  /** Two-node mode: a fenced or cleanly departed peer's vote is held / released. */
  vote: [{ node: NodeId; held: boolean; why?: 'fenced' | 'left' }];
  warning: [string];
}

interface Pending {
  resolve: (r: ProposalResult) => void;
  reject: (e: Error) => void;
  index?: LogIndex;
  term?: Term;
}

/** Raised when a proposal cannot be (or was not known to be) committed. */
export class ProposalError extends Error {
  constructor(message: string, readonly dc: NodeId | null) {
    super(message);
    this.name = 'ProposalError';
  }
}

let instanceCount = 0;
/** Poll phases a tick may wait for while datagrams keep arriving (bounds the delay under a flood). */
const MAX_DRAIN_ROUNDS = 16;

export class Engine extends EventEmitter<EngineEvents> {
  readonly node: NodeId;
  readonly role: EngineRole;
  readonly stateDir: string;
  private readonly plan: EnginePlan;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly seed: number;
  private readonly keys: ClusterKeys;
  private endpoint: Endpoint | undefined;
  private storage: FileStorage | undefined;
  private state: NodeState | undefined;
  private queue: Input[] = [];
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.NaN;
  private nextProposal = 0;
  private pending = new Map<string, Pending>();
  private lastDc = false;
  private lastQuorate = false;
  private protocolDrops = { malformed: 0, 'wrong-sender': 0, 'wrong-recipient': 0, 'held-incarnation': 0 };
  /**
   * Two-node held votes: the incarnation each peer had when its vote was held. That process was
   * fenced or stopped its coordination before saying goodbye, so a message from it now is one
   * that was delayed in the network; only a new incarnation (the node back) releases the vote.
   */
  private readonly heldIncarnation = new Map<NodeId, number>();
  private electionsStarted = 0;

  constructor(opts: EngineOptions) {
    super();
    this.node = opts.node;
    this.role = opts.role ?? 'node';
    this.clock = opts.clock ?? monotonicMs;
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ node: opts.node });
    this.keys = opts.keys ?? loadAuthkeyFile(opts.settings.transport.authkeyFile, { format: opts.settings.transport.keyFormat }).keys;
    this.plan = planEngine(opts.settings, opts.node, this.role, this.keys, opts.timing);
    this.stateDir = opts.stateDir ?? join(opts.settings.paths.stateDir, 'engine');
    this.seed = opts.seed ?? ((process.pid * 2654435761) ^ Math.floor(this.clock() * 1000) ^ ++instanceCount) >>> 0;
  }

  /** Open the state directory, bind the links, start heartbeats and timers. */
  async start(): Promise<void> {
    if (this.state) throw new Error('engine already started');
    const { storage, state: persisted } = FileStorage.open(this.stateDir);
    this.storage = storage;
    const load = storage.lastLoad;
    if (load.tornBytes || load.droppedEntries) this.log.warn({ ...load }, 'state directory had a torn tail; cut off');
    const now = this.clock();
    this.state = createNode({ id: this.node, bootstrap: this.plan.bootstrap, opts: this.plan.coordination, persisted, now, seed: this.seed });
    this.log.info({ term: persisted.term, entries: persisted.entries.length, snapshot: persisted.snapshot?.index ?? 0, dir: this.stateDir }, 'state loaded');
    if (persisted.snapshot) this.emit('restore', persisted.snapshot);
    const ep = new Endpoint({ ...this.plan.endpoint, clock: this.clock });
    ep.on('message', (m) => this.onInbound(m));
    ep.on('membership', (o) => this.onMembership(o));
    ep.on('warning', (w) => { this.log.warn(w); this.emit('warning', w); });
    try {
      await ep.start();
    } catch (e) {
      storage.close();
      this.storage = undefined;
      this.state = undefined;
      throw e;
    }
    this.endpoint = ep;
    this.log.info({ incarnation: ep.incarnation, role: this.role, links: this.plan.endpoint.links.map((l) => l.id) }, 'engine started');
    this.feed({ type: 'tick', now: this.clock() });
  }

  /** Stop timers, close the links and the state files. Pending proposals are rejected. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.pending.values()) p.reject(new ProposalError('engine stopped', null));
    this.pending.clear();
    await this.endpoint?.close();
    this.storage?.close();
    this.log.info('engine stopped');
  }

  /**
   * Append a CIB update to the replicated log. Resolves with its index once it is committed
   * (a quorum stored it); rejects when this node is not DC, or loses leadership before the entry
   * is known to be committed (it may still be committed by the next DC: the caller re-reads).
   */
  propose(update: CibUpdate): Promise<ProposalResult> {
    return this.submit((id, now) => ({ type: 'propose', now, update, id }));
  }

  /** A single-server membership change (add, remove, or change one node's votes by one). */
  changeMembership(change: MembershipChange): Promise<ProposalResult> {
    return this.submit((id, now) => ({ type: 'change-membership', now, change, id }));
  }

  /** This node fenced `node` successfully (two-node mode: it holds that node's vote until it returns). */
  fenced(node: NodeId): void {
    this.feed({ type: 'fenced', now: this.clock(), node });
  }

  /**
   * `node` left cleanly: its resources are stopped and its engine has stopped (two-node mode: this
   * node holds its vote until it is heard from again, as after a fence).
   */
  left(node: NodeId): void {
    this.feed({ type: 'left', now: this.clock(), node });
  }

  /**
   * The host applied everything up to `index` into `data` (its serialized CIB): compact the log
   * into a snapshot. Followers too far behind receive it.
   */
  compact(index: LogIndex, data: string): void {
    this.feed({ type: 'compact', now: this.clock(), index, data });
  }

  /** Administratively disable or enable a link (nothing sent, nothing heard on it). */
  setLinkEnabled(link: string, enabled: boolean): void {
    this.requireRunning().setLinkEnabled(link, enabled);
  }

  get isDc(): boolean {
    return this.state !== undefined && isDc(this.state, this.clock());
  }

  get quorate(): boolean {
    return this.state !== undefined && isQuorate(this.state, this.clock());
  }

  /** This node's current term: a DC stamps its requests with it, and a node judges them by it. */
  get term(): Term {
    return this.state?.term ?? 0;
  }

  /** The DC this node knows of (leader of its current term), or null. */
  get dc(): NodeId | null {
    return this.state?.leader ?? null;
  }

  status(): EngineStatus {
    const s = this.requireState();
    const ep = this.requireRunning();
    const now = this.clock();
    const dc = isDc(s, now);
    const ms = ep.membership;
    const peers: PeerStatus[] = Object.entries(ms.peers).map(([node, v]) => {
      const m = s.config.members.find((x) => x.id === node);
      return {
        node, status: v.status, incarnation: v.incarnation, lastHeardAt: v.lastHeardAt,
        links: Object.fromEntries(Object.entries(v.links).map(([l, lv]) => [l, lv.status])),
        votes: m?.votes ?? 0, witness: m?.witness === true,
      };
    });
    return {
      node: this.node, role: this.role, raftRole: s.role, term: s.term, dc: s.leader, isDc: dc,
      leaseRemainingMs: dc ? Math.max(0, s.leaseExpiry - now) : 0, quorate: isQuorate(s, now),
      commitIndex: s.commitIndex, appliedIndex: s.appliedIndex, lastIndex: lastIndex(s.log), snapshotIndex: s.log.baseIndex,
      members: s.config.members.map((m) => ({ ...m })), peers,
      links: ep.linkCounters(), transport: structuredClone(ep.counters), protocolDrops: { ...this.protocolDrops },
      incarnation: ep.incarnation, electionsStarted: this.electionsStarted,
    };
  }

  // -------------------------------------------------------------------------------------------

  private requireState(): NodeState {
    if (!this.state) throw new Error('engine not started');
    return this.state;
  }

  private requireRunning(): Endpoint {
    if (!this.endpoint || this.stopped) throw new Error('engine not running');
    return this.endpoint;
  }

  private submit(make: (id: string, now: number) => Input): Promise<ProposalResult> {
    const s = this.state;
    if (!s || this.stopped) return Promise.reject(new ProposalError('engine not running', null));
    if (!isDc(s, this.clock())) return Promise.reject(new ProposalError(`not the DC (DC: ${s.leader ?? 'none'})`, s.leader));
    const id = `${this.node}-${++this.nextProposal}`;
    const p = new Promise<ProposalResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.feed(make(id, this.clock()));
    return p;
  }

  private onInbound(m: InboundMessage): void {
    if (this.stopped) return;
    if (this.heldIncarnation.get(m.from) === m.incarnation) {
      this.protocolDrops['held-incarnation'] += 1;
      this.log.debug({ from: m.from, incarnation: m.incarnation }, 'coordination message from before a held vote dropped');
      return;
    }
    const d = decodeMessage(m.body, m.from, this.node);
    if (!d.ok) {
      this.protocolDrops[d.reason] += 1;
      this.log.debug({ from: m.from, reason: d.reason }, 'coordination message dropped');
      return;
    }
    this.feed({ type: 'message', now: this.clock(), message: d.message });
  }

  private onMembership(o: MembershipOutput): void {
    switch (o.kind) {
      case 'peer-up':
        this.log.info({ peer: o.peer, link: o.link }, 'peer up');
        this.emit('peer', { peer: o.peer, event: 'up', incarnation: o.incarnation });
        break;
      case 'peer-late':
        this.log.warn({ peer: o.peer, silentMs: o.silentMs }, 'peer late');
        this.emit('peer', { peer: o.peer, event: 'late', silentMs: o.silentMs });
        break;
      case 'peer-recovered':
        this.emit('peer', { peer: o.peer, event: 'recovered', silentMs: o.silentMs });
        break;
      case 'peer-dead':
        this.log.warn({ peer: o.peer, silentMs: o.silentMs }, 'peer dead');
        this.emit('peer', { peer: o.peer, event: 'down', silentMs: o.silentMs });
        break;
      case 'peer-restarted':
        this.log.info({ peer: o.peer, incarnation: o.incarnation }, 'peer restarted');
        this.emit('peer', { peer: o.peer, event: 'restarted', incarnation: o.incarnation });
        break;
      case 'link-up':
        this.log.info({ peer: o.peer, link: o.link }, 'link up');
        this.emit('link', { peer: o.peer, link: o.link, up: true });
        break;
      case 'link-down':
        this.log.warn({ peer: o.peer, link: o.link, silentMs: o.silentMs }, 'link down');
        this.emit('link', { peer: o.peer, link: o.link, up: false });
        break;
      default:
        break;
    }
  }

  /** Feed an input; inputs produced while handling an output (persisted) run after it, in order. */
  private feed(input: Input): void {
    if (!this.state || this.stopped) return;
    this.queue.push(input);
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const next = this.queue.shift() as Input;
        const { output } = step(this.state, next);
        this.handle(output);
      }
    } catch (e) {
      // A failed write (EIO, ENOSPC: fsync failures cannot be retried safely) or a listener that
      // threw while applying a committed entry: carrying on would leave this node's state and its
      // host's CIB silently apart. Stop at once and crash; a restart reloads what is durable and
      // re-applies the log.
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      this.log.fatal({ err: (e as Error).message }, 'engine failed; exiting');
      void this.endpoint?.close();
      process.nextTick(() => { throw e; });
      return;
    } finally {
      this.running = false;
    }
    this.afterStep();
  }

  private handle(out: Output): void {
    if (out.persist.length > 0) {
      // Durable before anything that depends on it leaves this node (the host contract).
      (this.storage as FileStorage).write(out.persist);
    }
    if (out.restore) {
      this.log.info({ index: out.restore.index, term: out.restore.term }, 'snapshot installed');
      this.emit('restore', out.restore);
    }
    const ep = this.endpoint;
    if (ep && !this.stopped) {
      for (const m of out.send) {
        try {
          ep.send(m.to, encodeMessage(m));
        } catch (e) {
          this.log.warn({ to: m.to, err: (e as Error).message }, 'send failed');
        }
      }
    }
    for (const ev of out.events) this.onEvent(ev);
    for (const e of out.apply) this.onCommitted(e);
    if (out.persistSeq !== 0) this.queue.push({ type: 'persisted', now: this.clock(), seq: out.persistSeq });
  }

  private onEvent(ev: Output['events'][number]): void {
    switch (ev.type) {
      case 'role':
        if (ev.role === 'candidate') this.electionsStarted += 1;
        this.log.info({ role: ev.role, term: ev.term }, 'role');
        this.emit('role', { role: ev.role, term: ev.term });
        if (ev.role !== 'leader') this.failPending('lost leadership before the entry was committed');
        break;
      case 'leader':
        this.log.info({ dc: ev.leader, term: ev.term }, 'dc');
        this.emit('dc', { dc: ev.leader, term: ev.term });
        break;
      case 'proposed': {
        const p = ev.id !== undefined ? this.pending.get(ev.id) : undefined;
        if (p) { p.index = ev.index; p.term = ev.term; }
        break;
      }
      case 'rejected': {
        const p = ev.id !== undefined ? this.pending.get(ev.id) : undefined;
        if (p && ev.id !== undefined) { this.pending.delete(ev.id); p.reject(new ProposalError(ev.reason, ev.leader)); }
        break;
      }
      case 'vote-held': {
        const inc = this.endpoint?.membership.peers[ev.node]?.incarnation;
        if (inc !== undefined) this.heldIncarnation.set(ev.node, inc);
        this.log.info({ peer: ev.node, why: ev.why }, 'holding the vote of a peer (two-node)');
        this.emit('vote', { node: ev.node, held: true, why: ev.why });
        break;
      }
      case 'vote-released':
        this.heldIncarnation.delete(ev.node);
        this.log.info({ peer: ev.node }, 'the held vote of a peer is released: it is back');
        this.emit('vote', { node: ev.node, held: false });
        break;
    }
  }

  private onCommitted(e: LogEntry): void {
    for (const [id, p] of this.pending) {
      if (p.index === undefined || p.index > e.index) continue;
      this.pending.delete(id);
      if (p.index === e.index && p.term === e.term) p.resolve({ index: e.index, term: e.term });
      else p.reject(new ProposalError('another entry was committed in its place', this.state?.leader ?? null));
    }
    this.emit('committed', e);
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      if (p.index === undefined) continue;
      this.pending.delete(id);
      p.reject(new ProposalError(reason, this.state?.leader ?? null));
    }
  }

  /** Emit the derived signals (lease, quorum) and arm the timer for the next moment anything can change. */
  private afterStep(): void {
    const s = this.state;
    if (!s || this.stopped) return;
    const now = this.clock();
    const dc = isDc(s, now);
    if (dc !== this.lastDc) {
      this.lastDc = dc;
      this.log.info({ valid: dc, term: s.term }, dc ? 'DC lease valid' : 'DC lease lost');
      this.emit('lease', { valid: dc, term: s.term });
    }
    const q = isQuorate(s, now);
    if (q !== this.lastQuorate) {
      this.lastQuorate = q;
      this.log.info({ quorate: q, term: s.term }, q ? 'quorum gained' : 'quorum lost');
      this.emit('quorum', { quorate: q, term: s.term });
    }
    let at = s.role === 'leader' ? s.heartbeatDue : s.electionDeadline;
    // The lease and the quorate flag lapse with time alone: wake when they would.
    if (dc) at = Math.min(at, s.leaseExpiry);
    if (q && s.role === 'follower') at = Math.min(at, s.leaderContactAt + s.opts.timing.deadtimeMs);
    this.arm(at);
  }

  private arm(at: number): void {
    if (this.timer && at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    const delay = Math.max(0, at - this.clock());
    // +1 ms: a timer may fire a hair before the clock reaches `at`.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.NaN;
      this.tickAfterDrain(this.framesReceived(), 0);
    }, Math.ceil(delay) + 1);
  }

  /**
   * Read the sockets first (see the header comment), then tick. One poll phase reads a bounded
   * number of datagrams per socket (libuv: 32); after a stall of this process, a 32-node cluster
   * has queued more than that, and the DC's AppendEntries may be among the unread ones. So as
   * long as the last poll phase still brought frames, let another one run (bounded) before the
   * state machine decides that the DC went silent.
   */
  private tickAfterDrain(seen: number, rounds: number): void {
    setImmediate(() => {
      if (this.stopped) return;
      const now = this.framesReceived();
      if (now !== seen && rounds < MAX_DRAIN_ROUNDS) { this.tickAfterDrain(now, rounds + 1); return; }
      this.feed({ type: 'tick', now: this.clock() });
    });
  }

  private framesReceived(): number {
    return this.endpoint?.counters.received ?? 0;
  }
}
