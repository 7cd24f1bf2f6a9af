/**
 * The whole-cluster simulator: every node runs the real engine (coordination + membership), the
 * real CIB reducer, the real DC and node-local controllers (through the same binding the daemon
 * uses) and, inside them, the real scheduler. Only I/O is simulated: the network (latency, loss,
 * partitions, one-way cuts), the disk (synchronous writes, as the daemon's FileStorage), the
 * executor (resources as in-memory state machines, operations serialised per resource), fence
 * devices (power switches that succeed, fail or hang), the hardware watchdog, and the peer
 * channel (request/response with timeouts). Everything runs in virtual time from one seeded
 * generator, so a seed replays exactly.
 *
 * The wiring follows src/daemon/vigild.ts step by step (see the method comments); where the daemon
 * awaits a promise, the simulator schedules an event.
 */
import type { CibUpdate } from '../../coordination/cib-update.js';
import { createNode, isDc, isQuorate, step as raftStep, type NodeState } from '../../coordination/node.js';
import { applyPersistOp, emptyPersisted } from '../../coordination/persist.js';
import { Prng } from '../../coordination/prng.js';
import type { CoordinationOptions, Input, MembershipConfig, Message, Output, PersistedState } from '../../coordination/types.js';
import type { VigilLoadResult } from '../../config/index.js';
import type { ActionResult, DcInput, DcOutput, ExecuteRequest, FenceRequest, NodeInput, NodeOutput } from '../../controller/types.js';
import type { DcState } from '../../controller/dc.js';
import { twoNodePeerOf, type NodeControllerState } from '../../controller/node.js';
import { applyUpdate } from '../../controller/cib-state.js';
import { parseTransitionKey } from '../../controller/records.js';
import { baseId } from '../../controller/resources.js';
import { schedulerView } from '../../controller/transition-graph.js';
import { CONTROLLER } from '../../daemon/controller-binding.js';
import { stepQueued, type Queued } from '../../daemon/controllers.js';
import { judgeOrder, refusedWhileLeaving } from '../../daemon/dc-orders.js';
import { coordinationTiming, quorumView, WITNESS_NODE } from '../../daemon/engine-config.js';
import { isMonitorFailure } from '../../executor/executor.js';
import { initMembership, step as memStep, type MembershipOutput, type MembershipState } from '../../membership/index.js';
import { OcfRc, OpStatus, type Cib } from '../../model/cluster.js';
import { INFINITY } from '../../model/score.js';
import { schedule } from '../../scheduler/index.js';
import { EventQueue } from '../queue.js';

/** Wall-clock origin of the simulated nodes (controllers see epoch milliseconds). */
export const EPOCH = 1_700_000_000_000;
/** The daemon compacts every 500 entries; smaller here so short runs install snapshots too. */
const COMPACT_EVERY = 64;

export interface Violation { invariant: string; time: number; node?: string; detail: string }
export interface TimelineEvent { t: number; node: string; text: string }

export class WholeViolation extends Error {
  constructor(readonly v: Violation) { super(`${v.invariant}: ${v.detail}`); }
}

/** A resource instance as it really is on a node (the ground truth). */
interface Active { role: 'Started' | 'Promoted'; broken: boolean }

interface Ev { node: number; inc: number; kind: 'pausable' | 'hw' | 'boot' | 'global'; fn: () => void }

interface Driven<I, O> extends Queued<I, O> { token: number; instance: number }

interface OpReq {
  resource: string;
  primitive: string;
  action: string;
  intervalMs: number;
  timeoutMs: number;
  userData?: string;
  agentClass: string;
  /** The DC transition that asked for it (for the order invariant). */
  tx?: TxOp;
}

interface Job { req: OpReq; done: (r: ActionResult) => void; monitor?: Monitor }
/** `current`: the operation running now (none: the lane is idle). */
interface Lane { queue: Job[]; current?: OpReq }
interface Monitor { key: string; req: OpReq; cancelled: boolean; last?: { rc: number; opStatus: number } }

/** One operation a DC transition dispatched: for "then-start never begins before first-start completed". */
interface TxOp { tx: string; action: string; rsc: string; node: string; state: 'dispatched' | 'running' | 'ok' | 'failed' }

export interface WNode {
  idx: number;
  id: string;
  witness: boolean;
  inc: number;
  on: boolean;
  paused: boolean;
  offset: number;
  rate: number;
  disk: PersistedState;
  raft: NodeState | null;
  raftQueue: Input[];
  raftRunning: boolean;
  raftToken: number;
  raftTimerAt: number;
  mem: MembershipState | null;
  memToken: number;
  lastDc: boolean;
  lastQuorate: boolean;
  cib: Cib;
  configSeen: boolean;
  proposingConfig: boolean;
  sinceCompact: number;
  dc: Driven<DcInput, DcOutput> | null;
  ctl: Driven<NodeInput, NodeOutput> | null;
  joinedOnce: boolean;
  rsc: Map<string, Active>;
  lanes: Map<string, Lane>;
  monitors: Map<string, Monitor>;
  callId: number;
  wdDeadline: number | null;
  wdToken: number;
  backlog: Ev[];
  proposals: number;
  /** `vigil stop` under way (vigild.stopping): no new start, promote or recurring monitor. */
  stopping: boolean;
  /** Peers that said goodbye, with the incarnation that said it (vigild.leaving). */
  leaving: Map<string, number>;
  /** Engine.heldIncarnation: the incarnation of a peer whose vote this node holds. */
  heldInc: Map<string, number>;
}

/** What the fault injectors switch on and off (scenarios drive them). */
export interface Injection {
  /** Probability that a one-off operation (start, stop, promote, demote) fails with rc 1. */
  opFail: number;
  /** Probability that an operation hangs until its timeout. */
  opHang: number;
  /** Probability that a fence device fails; and that it hangs until the fence timeout. */
  fenceFail: number;
  fenceHang: number;
  /** Network: message loss probability and extra delay (ms). */
  loss: number;
  jitter: number;
}

export const NO_INJECTION: Injection = { opFail: 0, opHang: 0, fenceFail: 0, fenceHang: 0, loss: 0, jitter: 0 };

export interface WorldOptions {
  seed: number;
  loaded: VigilLoadResult;
  /** Planted bug: the DC recovers a lost node's resources without waiting watchdog-timeout. */
  skipWatchdogWait?: boolean;
  record?: boolean;
  /**
   * Executor call ids keep increasing across restarts of a node (default false: as vigild today,
   * a new Executor counts from 1 again, which the CIB's "an older call never replaces a newer
   * one" rule then misreads; see docs/simulation.md).
   */
  callIdsContinue?: boolean;
}

export class World {
  readonly rng: Prng;
  readonly q = new EventQueue<Ev>();
  readonly nodes: WNode[] = [];
  readonly byId = new Map<string, WNode>();
  t = 0;
  readonly coord: CoordinationOptions;
  readonly bootstrap: MembershipConfig;
  readonly link: string;
  readonly timeline: TimelineEvent[] = [];
  readonly record: boolean;
  inj: Injection = { ...NO_INJECTION };
  /** Directed blocks `a>b` (counted: overlapping faults). */
  private readonly blocked = new Map<string, number>();
  private readonly lastPeerArrival = new Map<number, number>();
  /** Bumped on every change of the ground truth (what runs where, which node is on). */
  realityVersion = 0;
  private checkedVersion = -1;
  private dcInstances = 0;
  readonly txOps = new Map<string, TxOp[]>();
  private readonly txOfReq = new WeakMap<ExecuteRequest, TxOp>();
  readonly stats = { events: 0, operations: 0, fences: 0, selfFences: 0, watchdogKills: 0, transitions: 0, messages: 0 };
  /** Per-seed operation durations (ms). */
  readonly durations: Record<string, number>;
  readonly fenceMs: number;
  /** Ordering rules (then-resource -> first-resources) for starts; stops run the other way. */
  private readonly startAfter = new Map<string, string[]>();
  private readonly stopAfter = new Map<string, string[]>();
  /** Fence devices: "running" means registered on a node, nothing to see in reality. */
  private readonly stonith = new Set<string>();
  /** Nodes whose hardware died: they never power on again (a fence "succeeds" on them, as a switch turning off an outlet that is off). */
  readonly deadForGood = new Set<string>();
  /** Nodes that said goodbye after stopping everything, until they boot again. */
  readonly cleanlyLeft = new Set<string>();
  /** Set by a scenario whose only fault is a clean leave: fencing the node that left is then a violation. */
  leaveIsTheOnlyFault = false;

  constructor(readonly o: WorldOptions) {
    this.rng = new Prng(o.seed);
    this.record = o.record ?? false;
    const s = o.loaded.settings;
    this.link = s.transport.links[0]?.name ?? 'link0';
    const members = s.nodes.map((n) => ({ id: n.name, votes: n.votes }));
    if (s.quorum.witness) members.push({ id: WITNESS_NODE, votes: 1, witness: true } as (typeof members)[number]);
    this.bootstrap = { members };
    this.coord = {
      timing: coordinationTiming(s),
      quorum: { ...(s.quorum.expectedVotes !== undefined ? { expectedVotes: s.quorum.expectedVotes } : {}), twoNode: s.quorum.twoNode, waitForAll: s.quorum.waitForAll },
    };
    const rho = this.coord.timing.maxDrift;
    members.forEach((m, idx) => {
      const r = this.rng.next();
      const rate = r < 0.3 ? 1 - rho : r < 0.6 ? 1 + rho : 1 + this.rng.range(-rho, rho);
      const n: WNode = {
        idx, id: m.id, witness: m.id === WITNESS_NODE, inc: 0, on: false, paused: false, offset: this.rng.range(0, 50_000), rate,
        disk: emptyPersisted(), raft: null, raftQueue: [], raftRunning: false, raftToken: 0, raftTimerAt: NaN, mem: null, memToken: 0,
        lastDc: false, lastQuorate: false, cib: this.freshCib(), configSeen: false, proposingConfig: false, sinceCompact: 0,
        dc: null, ctl: null, joinedOnce: false, rsc: new Map(), lanes: new Map(), monitors: new Map(), callId: 0,
        wdDeadline: null, wdToken: 0, backlog: [], proposals: 0, stopping: false, leaving: new Map(), heldInc: new Map(),
      };
      this.nodes.push(n);
      this.byId.set(m.id, n);
    });
    this.durations = {
      start: this.rng.pick([20, 100, 400, 1200]), stop: this.rng.pick([20, 100, 400, 1200]), monitor: this.rng.pick([5, 20, 60]),
      promote: this.rng.pick([20, 100, 400]), demote: this.rng.pick([20, 100, 400]),
    };
    this.fenceMs = this.rng.pick([200, 1000, 3000]);
    this.buildOrders();
  }

  // ------------------------------------------------------------------------------------------- clocks

  /** A node's clock (epoch ms, drifting within maxDrift). */
  wall(n: WNode, t = this.t): number { return EPOCH + n.offset + n.rate * t; }
  private realOf(n: WNode, wall: number): number { return (wall - EPOCH - n.offset) / n.rate + 1e-3; }

  // ------------------------------------------------------------------------------------------- events

  at(time: number, n: WNode | null, kind: Ev['kind'], fn: () => void): void {
    this.q.push(Math.max(time, this.t), { node: n ? n.idx : -1, inc: n ? n.inc : 0, kind, fn });
  }

  /** Run one event; false when the queue is empty. */
  stepOnce(): boolean {
    const e = this.q.pop();
    if (!e) return false;
    this.t = e.time;
    this.stats.events++;
    const ev = e.item;
    if (ev.node >= 0) {
      const n = this.nodes[ev.node];
      if (ev.inc !== n.inc) return true;
      if (ev.kind !== 'boot' && !n.on) return true;
      if (ev.kind === 'pausable' && n.paused) { n.backlog.push(ev); return true; }
    }
    ev.fn();
    this.checkSafety();
    return true;
  }

  note(node: string, text: string): void {
    if (this.record) this.timeline.push({ t: this.t, node, text });
  }

  fail(invariant: string, detail: string, node?: string): never {
    throw new WholeViolation({ invariant, time: this.t, detail, ...(node ? { node } : {}) });
  }

  // ------------------------------------------------------------------------------------------- network

  isBlocked(a: string, b: string): boolean {
    return this.blocked.size > 0 && (this.blocked.get(`${a}>${b}`) ?? 0) > 0;
  }

  block(pairs: Array<[string, string]>): () => void {
    for (const [a, b] of pairs) this.blocked.set(`${a}>${b}`, (this.blocked.get(`${a}>${b}`) ?? 0) + 1);
    let undone = false;
    return () => {
      if (undone) return;
      undone = true;
      for (const [a, b] of pairs) {
        const c = (this.blocked.get(`${a}>${b}`) ?? 1) - 1;
        if (c > 0) this.blocked.set(`${a}>${b}`, c); else this.blocked.delete(`${a}>${b}`);
      }
    };
  }

  clearNetwork(): void { this.blocked.clear(); }

  private latency(): number {
    return this.rng.range(0.1, 1.5) + (this.inj.jitter > 0 ? this.rng.range(0, this.inj.jitter) : 0);
  }

  /** A datagram (coordination message or heartbeat): lost when blocked or by the loss level. */
  private datagram(from: WNode, to: WNode, fn: () => void): void {
    this.stats.messages++;
    if (this.isBlocked(from.id, to.id) || (this.inj.loss > 0 && this.rng.chance(this.inj.loss))) return;
    this.at(this.t + this.latency(), to, 'pausable', fn);
  }

  /**
   * The peer channel (HTTP over TCP in the daemon): reliable unless the path is cut or the peer is
   * down; then the caller learns nothing until its timeout.
   */
  private rpc<T>(from: WNode, to: WNode, timeoutMs: number, serve: (reply: (v: T) => void) => void, onReply: (v: T) => void, onFail: () => void): void {
    let settled = false;
    this.at(this.t + timeoutMs / from.rate, from, 'pausable', () => { if (!settled) { settled = true; onFail(); } });
    if (this.isBlocked(from.id, to.id) || !to.on) return;
    const fromInc = from.inc;
    this.at(this.inOrder(from, to), to, 'pausable', () => {
      serve((v) => {
        if (this.isBlocked(to.id, from.id)) return;
        this.q.push(this.inOrder(to, from), {
          node: from.idx, inc: fromInc, kind: 'pausable',
          fn: () => { if (!settled) { settled = true; onReply(v); } },
        });
      });
    });
  }

  /**
   * Arrival time on the peer channel: one connection per pair of nodes, so requests arrive in the
   * order they were sent (the daemon's HTTP agent may use several; see docs/simulation.md).
   */
  private inOrder(from: WNode, to: WNode): number {
    const k = from.idx * 64 + to.idx;
    const at = Math.max(this.t + this.latency(), (this.lastPeerArrival.get(k) ?? 0) + 1e-3);
    this.lastPeerArrival.set(k, at);
    return at;
  }

  // ------------------------------------------------------------------------------------------- power

  private freshCib(): Cib {
    return { config: this.o.loaded.config, status: { haveQuorum: false, nodes: [], tickets: {} } };
  }

  /** Power on (first boot, or a restart after a crash or fencing): volatile state is new, the disk is kept. */
  boot(n: WNode): void {
    if (this.deadForGood.has(n.id)) return;
    n.on = true;
    n.paused = false;
    n.backlog = [];
    n.cib = this.freshCib();
    n.configSeen = false;
    n.proposingConfig = false;
    n.sinceCompact = 0;
    n.joinedOnce = false;
    n.lastDc = false;
    n.lastQuorate = false;
    n.raftQueue = [];
    n.raftRunning = false;
    n.raftTimerAt = NaN;
    n.wdDeadline = null;
    n.rsc = new Map();
    n.lanes = new Map();
    n.monitors = new Map();
    n.stopping = false;
    n.leaving = new Map();
    n.heldInc = new Map();
    this.cleanlyLeft.delete(n.id);
    // vigild makes a new Executor at every start, its call ids starting at the wall clock (ms), so
    // above anything the node's earlier processes handed out (or, told so, simply continuing).
    if (!this.o.callIdsContinue) n.callId = Math.max(n.callId, Math.floor(this.wall(n)));
    const now = this.wall(n);
    const disk: PersistedState = { ...n.disk, entries: n.disk.entries.slice() };
    n.raft = createNode({ id: n.id, bootstrap: this.bootstrap, opts: this.coord, persisted: disk, now, seed: this.rng.seed() });
    this.note(n.id, `BOOT (incarnation ${n.inc}, term ${n.raft.term}, ${n.disk.entries.length} log entries${n.disk.snapshot ? `, snapshot at ${n.disk.snapshot.index}` : ''})`);
    const peers = this.nodes.filter((x) => x !== n).map((x) => x.id);
    const s = this.o.loaded.settings.membership;
    const m = initMembership({ self: n.id, peers, links: [this.link], timings: { keepaliveMs: s.keepaliveMs, warntimeMs: s.warntimeMs, deadtimeMs: s.deadtimeMs, initdeadMs: s.initdeadMs } }, now);
    n.mem = m.state;
    if (!n.witness) {
      // vigild.start: the node controller first, then the engine (whose snapshot replaces the CIB).
      this.startNodeCtl(n);
      this.contactLoop(n);
    }
    if (disk.snapshot) this.onRestore(n, disk.snapshot.data);
    this.memOutputs(n, m.outputs);
    this.armMem(n, m.wakeAt);
    this.feedRaft(n, { type: 'tick', now });
  }

  /** Power off: every process and every resource on the node is gone at once. */
  powerOff(n: WNode, why: string): void {
    if (!n.on) return;
    this.note(n.id, `POWER OFF: ${why}${n.rsc.size ? ` (gone: ${[...n.rsc.keys()].join(', ')})` : ''}`);
    n.on = false;
    n.paused = false;
    n.inc++;
    n.raft = null;
    n.mem = null;
    n.dc = null;
    n.ctl = null;
    n.rsc = new Map();
    n.lanes = new Map();
    n.monitors = new Map();
    n.backlog = [];
    n.wdDeadline = null;
    this.realityVersion++;
  }

  restartLater(n: WNode, delayMs: number): void {
    this.at(this.t + delayMs, n, 'boot', () => { if (!n.on) this.boot(n); });
  }

  pause(n: WNode, ms: number): void {
    if (!n.on || n.paused) return;
    n.paused = true;
    this.note(n.id, `PAUSE for ${ms.toFixed(0)} ms (everything on the node stops but the hardware watchdog)`);
    this.at(this.t + ms, n, 'hw', () => this.resume(n));
  }

  resume(n: WNode): void {
    if (!n.paused) return;
    n.paused = false;
    this.note(n.id, `RESUME (${n.backlog.length} events waited)`);
    const b = n.backlog;
    n.backlog = [];
    for (const ev of b) this.q.push(this.t, ev);
  }

  // ------------------------------------------------------------------------------------------- engine (src/daemon/engine.ts)

  feedRaft(n: WNode, input: Input): void {
    if (!n.raft) return;
    n.raftQueue.push(input);
    if (n.raftRunning) return;
    n.raftRunning = true;
    try {
      while (n.raftQueue.length > 0 && n.raft) {
        const next = n.raftQueue.shift() as Input;
        const { output } = raftStep(n.raft, next);
        this.raftOutput(n, output);
      }
    } finally {
      n.raftRunning = false;
    }
    this.afterRaft(n);
  }

  private raftOutput(n: WNode, out: Output): void {
    // Durable before anything that depends on it leaves this node (FileStorage.write is synchronous).
    for (const op of out.persist) applyPersistOp(n.disk, op);
    if (out.restore) this.onRestore(n, out.restore.data);
    for (const m of out.send) {
      const to = this.byId.get(m.to);
      const inc = this.heartbeatInc(n);
      if (to) this.datagram(n, to, () => this.onRaftMessage(to, m, inc));
    }
    for (const ev of out.events) {
      if (ev.type === 'vote-held') {
        const inc = n.mem?.peers[ev.node]?.incarnation;
        if (inc !== undefined) n.heldInc.set(ev.node, inc);
      } else if (ev.type === 'vote-released') {
        n.heldInc.delete(ev.node);
      }
      if (ev.type === 'leader') {
        this.note(n.id, `engine: DC is ${ev.leader ?? 'unknown'} (term ${ev.term})`);
        if (n.ctl) this.nodeInput(n, { type: 'dc-changed', now: this.wall(n), dc: ev.leader });
      } else if (ev.type === 'role' && ev.role === 'leader') this.note(n.id, `engine: leader of term ${ev.term}`);
    }
    for (const e of out.apply) {
      if (!n.raft) return;
      if (e.data.type !== 'cib' || n.witness) continue;
      const u = e.data.update as CibUpdate;
      if (u.kind === 'config') n.configSeen = true;
      this.applyCommitted(n, u);
      if (++n.sinceCompact >= COMPACT_EVERY) {
        n.sinceCompact = 0;
        n.raftQueue.push({ type: 'compact', now: this.wall(n), index: e.index, data: JSON.stringify(n.cib) });
      }
    }
    if (out.persistSeq !== 0 && n.raft) n.raftQueue.push({ type: 'persisted', now: this.wall(n), seq: out.persistSeq });
  }

  /** Engine.onInbound: a message of the process whose vote this node holds was delayed in the network. */
  private onRaftMessage(n: WNode, m: Message, fromInc: number): void {
    if (n.heldInc.get(m.from) === fromInc) { this.note(n.id, `engine: message from ${m.from} before its held vote dropped`); return; }
    this.feedRaft(n, { type: 'message', now: this.wall(n), message: m });
  }

  /** The incarnation a node's frames carry (what its peers' membership knows it by). */
  private heartbeatInc(n: WNode): number {
    return n.inc + 1;
  }

  private onRestore(n: WNode, data: string): void {
    if (n.witness) return;
    n.cib = JSON.parse(data) as Cib;
    n.configSeen = true;
    this.dcInput(n, { type: 'cib', now: this.wall(n), cib: n.cib });
    this.nodeInput(n, { type: 'cib', now: this.wall(n), cib: n.cib });
  }

  /** ControllerHost.apply: the reducer, then both controllers. */
  private applyCommitted(n: WNode, u: CibUpdate): void {
    n.cib = applyUpdate(n.cib, u);
    const now = this.wall(n);
    this.dcInput(n, { type: 'committed', now, update: u });
    this.nodeInput(n, { type: 'cib', now, cib: n.cib });
  }

  /** Engine.afterStep: lease and quorum signals, and the timer. */
  private afterRaft(n: WNode): void {
    const s = n.raft;
    if (!s) return;
    const now = this.wall(n);
    const dc = isDc(s, now);
    if (dc !== n.lastDc) {
      n.lastDc = dc;
      this.note(n.id, dc ? 'engine: DC lease valid' : 'engine: DC lease lost');
      if (!n.witness) {
        if (dc) this.becomeDc(n);
        else { n.dc = null; }
      }
    }
    const q = isQuorate(s, now);
    if (q !== n.lastQuorate) {
      n.lastQuorate = q;
      this.note(n.id, q ? 'engine: quorate' : 'engine: not quorate');
      this.dcInput(n, { type: 'quorum', now, haveQuorum: q });
    }
    if (!n.raft) return;
    let at = s.role === 'leader' ? s.heartbeatDue : s.electionDeadline;
    if (dc) at = Math.min(at, s.leaseExpiry);
    if (q && s.role === 'follower') at = Math.min(at, s.leaderContactAt + s.opts.timing.deadtimeMs);
    if (at === n.raftTimerAt) return;
    n.raftTimerAt = at;
    const token = ++n.raftToken;
    const delay = Math.max(0, at - now);
    this.at(this.t + (Math.ceil(delay) + 1) / n.rate, n, 'pausable', () => {
      if (token !== n.raftToken) return;
      n.raftTimerAt = NaN;
      this.feedRaft(n, { type: 'tick', now: this.wall(n) });
    });
  }

  /** An admin request reaches the DC (vigild forwards it there) and is proposed. */
  proposeAtDc(update: CibUpdate): boolean {
    const dc = this.currentDc();
    return dc ? this.propose(dc, update) : false;
  }

  private propose(n: WNode, update: CibUpdate): boolean {
    if (!n.raft || !isDc(n.raft, this.wall(n))) return false;
    this.feedRaft(n, { type: 'propose', now: this.wall(n), update, id: `${n.id}-${++n.proposals}` });
    return true;
  }

  // ------------------------------------------------------------------------------------------- membership

  private feedMem(n: WNode, input: Parameters<typeof memStep>[1]): void {
    if (!n.mem) return;
    const r = memStep(n.mem, input);
    n.mem = r.state;
    this.memOutputs(n, r.outputs);
    this.armMem(n, r.wakeAt);
  }

  private armMem(n: WNode, wakeAt: number): void {
    const token = ++n.memToken;
    this.at(this.realOf(n, wakeAt), n, 'pausable', () => { if (token === n.memToken) this.feedMem(n, { kind: 'tick', now: this.wall(n) }); });
  }

  private memOutputs(n: WNode, outs: MembershipOutput[]): void {
    let changed = false;
    const restarted: string[] = [];
    for (const o of outs) {
      if (o.kind === 'send-heartbeat') {
        for (const p of this.nodes) {
          if (p === n) continue;
          const inc = this.heartbeatInc(n);
          this.datagram(n, p, () => this.feedMem(p, { kind: 'heartbeat', now: this.wall(p), from: n.id, link: this.link, incarnation: inc }));
        }
        continue;
      }
      if (o.kind === 'peer-up' || o.kind === 'peer-dead' || o.kind === 'peer-restarted' || o.kind === 'peer-late' || o.kind === 'peer-recovered') {
        changed = true;
        if (o.kind === 'peer-restarted') restarted.push(o.peer);
        // vigild: a goodbye holds until the node is back as a new process.
        if (o.kind === 'peer-restarted' || (o.kind === 'peer-up' && o.incarnation !== n.leaving.get(o.peer))) n.leaving.delete(o.peer);
        if (o.kind === 'peer-dead' || o.kind === 'peer-up' || o.kind === 'peer-restarted') this.note(n.id, `membership: ${o.kind} ${o.peer}`);
      }
    }
    // vigild.feedMembership: every peer event feeds both controllers the current membership,
    // naming the peers that came back as a new incarnation (their executor lost its state); the DC
    // also hears which peers the node controller fenced in a two-node fence race.
    if (!changed) return;
    this.feedMembership(n, restarted);
  }

  /** vigild.feedMembership. */
  private feedMembership(n: WNode, restarted: string[] = []): void {
    const r = { ...(restarted.length ? { restarted } : {}), left: [...n.leaving.keys()] };
    if (n.ctl) this.nodeInput(n, { type: 'membership', now: this.wall(n), members: this.members(n), ...r });
    if (n.dc) this.dcInput(n, { type: 'membership', now: this.wall(n), members: this.members(n), ...r, ...this.fencedByRace(n) });
  }

  /** vigild.members(): this node and every configured node that membership sees alive or late. */
  members(n: WNode): string[] {
    const cfg = this.o.loaded.settings.nodes;
    const peers = n.mem ? Object.entries(n.mem.peers).filter(([, v]) => v.status === 'alive' || v.status === 'late').map(([id]) => id) : [];
    return [n.id, ...peers.filter((p) => cfg.some((x) => x.name === p) && !n.leaving.has(p))];
  }

  // ------------------------------------------------------------------------------------------- controllers (src/daemon/controllers.ts)

  private startNodeCtl(n: WNode): void {
    const s = this.o.loaded.settings;
    const now = this.wall(n);
    const state = CONTROLLER.createNode({
      self: n.id, deadtimeMs: s.membership.deadtimeMs, fenceDelayMs: s.fencing.delayMs, quorum: quorumView(s),
      ...(s.fencing.watchdogTimeoutMs !== undefined ? { watchdogTimeoutMs: s.fencing.watchdogTimeoutMs } : {}),
    }, n.cib, now);
    n.ctl = { state, step: CONTROLLER.nodeStep as Driven<NodeInput, NodeOutput>['step'], busy: false, queue: [], token: 0, instance: 0 };
    this.nodeInput(n, { type: 'tick', now });
  }

  /** vigild.becomeDc. */
  private becomeDc(n: WNode): void {
    const s = this.o.loaded.settings;
    const now = this.wall(n);
    const state = CONTROLLER.createDc({
      self: n.id, fenceDelayMs: s.fencing.delayMs, ...(s.fencing.watchdogTimeoutMs !== undefined ? { watchdogTimeoutMs: s.fencing.watchdogTimeoutMs } : {}),
      ...(this.o.skipWatchdogWait ? { skipWatchdogWait: true } : {}),
    }, n.cib, now, n.raft ? isQuorate(n.raft, now) : false);
    n.dc = { state, step: CONTROLLER.dcStep as Driven<DcInput, DcOutput>['step'], busy: false, queue: [], token: 0, instance: ++this.dcInstances };
    this.note(n.id, 'DC controller started');
    this.dcInput(n, { type: 'membership', now, members: this.members(n), left: [...n.leaving.keys()], ...this.fencedByRace(n) });
    if (!n.configSeen && !n.proposingConfig) {
      n.proposingConfig = true;
      this.propose(n, { kind: 'config', config: this.o.loaded.config });
    }
  }

  /** ControllerHost.fencedByRace. */
  private fencedByRace(n: WNode): { fenced?: string[] } {
    const fenced = n.ctl ? CONTROLLER.fencedByRace(n.ctl.state as NodeControllerState) : [];
    return fenced.length ? { fenced } : {};
  }

  dcInput(n: WNode, input: DcInput): void {
    const m = n.dc;
    if (m) this.drive(n, m, input, (o) => this.onDcOutput(n, m, o), () => n.dc);
  }

  nodeInput(n: WNode, input: NodeInput): void {
    const m = n.ctl;
    if (m) this.drive(n, m, input, (o) => this.onNodeOutput(n, o), () => n.ctl);
  }

  private drive<I extends { now: number }, O>(n: WNode, m: Driven<I, O>, input: I, handle: (o: O) => void, current: () => Driven<I, O> | null): void {
    const r = stepQueued(m, input, (e) => {
      if (e instanceof WholeViolation) throw e;
      this.fail('controller-error', `a controller step threw: ${(e as Error).stack ?? String(e)}`, n.id);
    });
    if (!r) return;
    const { outs, wakeAt } = r;
    const token = ++m.token;
    if (wakeAt !== null) {
      const delay = Math.max(0, Math.min(wakeAt - this.wall(n), 60_000));
      this.at(this.t + (delay + 1) / n.rate, n, 'pausable', () => {
        if (current() === m && token === m.token) this.drive(n, m, { type: 'tick', now: this.wall(n) } as unknown as I, handle, current);
      });
    }
    for (const o of outs) {
      if (current() !== m) break;
      handle(o);
    }
  }

  /** vigild.feedContact, every keepalive/2. */
  private contactLoop(n: WNode): void {
    const every = Math.max(50, this.o.loaded.settings.membership.keepaliveMs / 2);
    const tick = (): void => {
      this.feedContact(n);
      this.at(this.t + every / n.rate, n, 'pausable', tick);
    };
    this.at(this.t + every / n.rate, n, 'pausable', tick);
  }

  private feedContact(n: WNode): void {
    const s = n.raft;
    if (!s || !n.ctl) return;
    const now = this.wall(n);
    const dc = s.leader;
    if (!isQuorate(s, now) || !dc) return;
    const me = n.cib.status.nodes.find((x) => x.name === n.id);
    const member = dc === n.id || me?.join === 'member';
    if (!n.joinedOnce) {
      n.joinedOnce = true;
      this.nodeInput(n, { type: 'joined', now });
    }
    if (member) this.nodeInput(n, { type: 'dc-contact', now, dc });
    else this.nodeInput(n, { type: 'tick', now });
  }

  // ------------------------------------------------------------------------------------------- controller outputs (vigild.onDcOutput / onNodeOutput)

  private onDcOutput(n: WNode, m: Driven<DcInput, DcOutput>, out: DcOutput): void {
    switch (out.type) {
      case 'execute': {
        this.checkDispatch(n, 'DC', out.request, (m.state as DcState).cib);
        this.registerTx(n, m, out.request);
        this.dispatch(n, out.request);
        break;
      }
      case 'fence': this.runFence(n, out.request); break;
      case 'propose': this.propose(n, out.update); break;
      case 'transition':
        this.stats.transitions++;
        if (this.record) this.note(n.id, `transition ${out.id} (${out.phase}, ${out.actions} actions): ${out.summary.join('; ') || 'nothing to do'}`);
        break;
      case 'transition-done':
        if (this.record) this.note(n.id, `transition ${out.id} done${out.complete ? '' : ' (incomplete)'}${out.reason ? `: ${out.reason}` : ''}`);
        break;
      case 'idle':
        if (this.record) this.note(n.id, `nothing to do (${out.reason})`);
        break;
      case 'log': if (this.record && out.line.level !== 'debug') this.note(n.id, `DC ${out.line.level}: ${out.line.message}`); break;
    }
  }

  private onNodeOutput(n: WNode, out: NodeOutput): void {
    switch (out.type) {
      case 'execute':
        this.checkDispatch(n, 'node', out.request, (n.ctl?.state as NodeControllerState).cib);
        this.executeHere(n, out.request, () => undefined);
        break;
      case 'report': this.reportToDc(n, out.result); break;
      case 'watchdog': this.armWatchdog(n, out.deadline); break;
      case 'fence': this.runFence(n, out.request, 'node'); break;
      case 'self-fence':
        this.stats.selfFences++;
        this.note(n.id, `self-fence: ${out.reason}`);
        this.powerOff(n, `self-fenced (${out.reason})`);
        this.restartLater(n, this.rng.range(1000, 4000));
        break;
      case 'quorum': this.note(n.id, out.have ? 'node: in contact with a quorate DC' : 'node: no quorum'); break;
      case 'log': if (this.record && out.line.level !== 'debug') this.note(n.id, `node ${out.line.level}: ${out.line.message}`); break;
    }
  }

  /** The hardware watchdog: fires at its deadline even while the node is paused. */
  private armWatchdog(n: WNode, deadline: number | null): void {
    n.wdDeadline = deadline;
    const token = ++n.wdToken;
    if (deadline === null) return;
    this.at(this.realOf(n, deadline), n, 'hw', () => {
      if (token !== n.wdToken || n.wdDeadline === null) return;
      this.stats.watchdogKills++;
      this.powerOff(n, `watchdog fired (deadline ${(deadline - EPOCH).toFixed(0)} on its clock passed)`);
      this.restartLater(n, this.rng.range(1000, 4000));
    });
  }

  /** vigild.dispatch: run here, or send to the node over the peer channel. */
  private dispatch(n: WNode, req: ExecuteRequest): void {
    // As vigild: a refusal means nothing ran; no answer leaves it open.
    const undeliverable = (maybeRan: boolean) => (): void => {
      this.note(n.id, `execute request ${req.action} ${req.resource} to ${req.node} ${maybeRan ? 'got no answer' : 'refused'}`);
      this.dcInput(n, { type: 'action-undeliverable', now: this.wall(n), node: req.node, userData: req.userData, maybeRan });
    };
    if (req.node === n.id) {
      if (this.refuseWhileStopping(n, req)) { this.at(this.t + 500 / n.rate, n, 'pausable', undeliverable(false)); return; }
      this.executeHere(n, req, (r) => { if (r) this.dcInput(n, { type: 'action-result', now: this.wall(n), node: req.node, result: r }); });
      return;
    }
    const to = this.byId.get(req.node);
    if (!to) return;
    const dcTerm = n.raft?.term;
    this.rpc<ActionResult | null | 'refused'>(n, to, req.timeoutMs + 15_000,
      (reply) => {
        // vigild.onPeer: only the DC the node follows, in its term, gives orders (daemon/dc-orders.ts).
        const order = judgeOrder({ from: n.id, dcTerm, dc: to.raft?.leader ?? null, term: to.raft?.term ?? 0 });
        if (!order.ok) {
          if (this.record) this.note(to.id, `execute ${req.action} ${req.resource} from ${n.id} refused: ${order.reason}`);
          reply('refused');
          return;
        }
        // ...and the node's own controller must agree (vigild.onPeer asks mayRun).
        const may = to.ctl ? CONTROLLER.mayRun(to.ctl.state as NodeControllerState, req, this.wall(to)) : { ok: false as const, reason: 'no node controller' };
        if (!may.ok) {
          if (this.record) this.note(to.id, `execute ${req.action} ${req.resource} from ${n.id} refused: ${may.reason}`);
          reply('refused');
          return;
        }
        if (this.refuseWhileStopping(to, req)) { reply('refused'); return; }
        this.executeHere(to, req, reply);
      },
      (r) => {
        // vigild reports a refusal as undeliverable after half a second (no tight resend loop).
        if (r === 'refused') this.at(this.t + 500 / n.rate, n, 'pausable', undeliverable(false));
        else if (r) this.dcInput(n, { type: 'action-result', now: this.wall(n), node: req.node, result: r });
      },
      undeliverable(true));
  }

  /** vigild.refuseWhileStopping. */
  private refuseWhileStopping(n: WNode, req: ExecuteRequest): boolean {
    if (!n.stopping || !refusedWhileLeaving(req)) return false;
    if (this.record) this.note(n.id, `execute ${req.action} ${req.resource} refused: this node is leaving`);
    return true;
  }

  /**
   * vigild.shutdown (`vigil stop`): ask the DC to move this node's resources away, stop what is
   * left, stop the engine, then say goodbye to every peer; the node is then off until
   * `restartAfterMs` later. A node that could not stop everything leaves without a goodbye (the
   * cluster takes it for lost and fences it).
   */
  leave(n: WNode, restartAfterMs: number): void {
    if (!n.on || n.stopping || n.witness) return;
    n.stopping = true;
    this.note(n.id, 'ADMIN: vigil stop');
    const until = this.t + 60_000;
    const proposed = this.proposeAtDc({ kind: 'node-attribute', node: n.id, name: 'shutdown', value: String(Math.floor(this.wall(n) / 1000)) });
    const waitMoved = (): void => {
      const quorate = !!n.raft && isQuorate(n.raft, this.wall(n));
      if (proposed && n.rsc.size > 0 && this.t < until && quorate) { this.at(this.t + 100 / n.rate, n, 'pausable', waitMoved); return; }
      waitStarts();
    };
    const starting = (): boolean => [...n.lanes.values()].some((l) => l.current?.action === 'start' || l.current?.action === 'promote');
    const waitStarts = (): void => {
      if (starting() && this.t < until) { this.at(this.t + 50 / n.rate, n, 'pausable', waitStarts); return; }
      stopNext([...n.rsc.keys()].reverse());
    };
    const stopNext = (ids: string[]): void => {
      const id = ids.shift();
      if (id === undefined) { afterStops(); return; }
      const req: OpReq = { resource: id, primitive: baseId(id), action: 'stop', intervalMs: 0, timeoutMs: 20_000, agentClass: 'builtin' };
      this.cancelMonitors(n, id);
      this.enqueue(n, { req, done: () => stopNext(ids) });
    };
    const afterStops = (): void => {
      if (n.rsc.size > 0) {
        this.powerOff(n, `vigil stop: not cleanly (${[...n.rsc.keys()].join(', ')} could not be stopped; the cluster will fence it)`);
        this.restartLater(n, restartAfterMs);
        return;
      }
      if (n.raft && isDc(n.raft, this.wall(n))) {
        n.dc = null;
        this.propose(n, { kind: 'node-state', node: n.id, state: 'left', at: Math.floor(this.wall(n) / 1000) });
        this.at(this.t + 100 / n.rate, n, 'pausable', stopEngine);
      } else stopEngine();
    };
    const stopEngine = (): void => {
      const inc = this.heartbeatInc(n);
      n.raft = null;
      n.mem = null;
      // vigild waits 50 ms for the last datagrams to land, then says goodbye over TCP.
      this.at(this.t + 50 / n.rate, n, 'pausable', () => {
        this.cleanlyLeft.add(n.id);
        // vigild.close once every peer answered (or its call timed out): the process ends.
        const peers = this.nodes.filter((p) => p !== n);
        let open = peers.length;
        const settled = (): void => {
          if (--open > 0) return;
          this.powerOff(n, 'vigil stop: left cleanly');
          this.restartLater(n, restartAfterMs);
        };
        for (const p of peers) this.rpc<null>(n, p, 3000, (reply) => { this.goodbye(p, n.id, inc); reply(null); }, settled, settled);
      });
    };
    waitMoved();
  }

  /** vigild.onPeer('leave'): the node stopped its resources and its engine. */
  private goodbye(p: WNode, from: string, inc: number): void {
    this.note(p.id, `${from} leaves the cluster`);
    p.leaving.set(from, inc);
    this.feedMembership(p);
    if (twoNodePeerOf(quorumView(this.o.loaded.settings), p.id) === from) {
      this.note(p.id, `${from} left cleanly (two-node): holding its vote`);
      this.feedRaft(p, { type: 'left', now: this.wall(p), node: from });
    }
  }

  /** vigild.reportToDc: to whichever node is DC now. */
  private reportToDc(n: WNode, result: ActionResult): void {
    const dc = n.raft?.leader;
    if (!dc) return;
    if (dc === n.id) { this.dcInput(n, { type: 'action-result', now: this.wall(n), node: n.id, result }); return; }
    const to = this.byId.get(dc);
    if (!to) return;
    this.rpc<null>(n, to, 10_000, (reply) => {
      this.dcInput(to, { type: 'action-result', now: this.wall(to), node: n.id, result });
      reply(null);
    }, () => undefined, () => undefined);
  }

  // ------------------------------------------------------------------------------------------- fencing (vigild.runFence)

  private runFence(n: WNode, req: FenceRequest, from: 'dc' | 'node' = 'dc'): void {
    const target = this.byId.get(req.node);
    if (!target) return;
    if (this.leaveIsTheOnlyFault && this.cleanlyLeft.has(target.id)) this.fail('fenced-after-clean-leave', `${n.id} fences ${target.id}, which left cleanly (vigil stop) and has not come back yet: ${req.reason}`, n.id);
    this.stats.fences++;
    if (req.method === 'watchdog') {
      this.note(n.id, `asks ${req.node} to self-fence (${req.reason}); waits watchdog-timeout regardless`);
      this.rpc<null>(n, target, 2000, (reply) => {
        this.note(target.id, `asked to self-fence by ${n.id}`);
        reply(null);
        this.powerOff(target, `self-fenced at ${n.id}'s request`);
        this.restartLater(target, this.rng.range(1000, 4000));
      }, () => undefined, () => undefined);
      return;
    }
    const fenceInc = n.inc;
    if (req.levels.length === 0) {
      this.at(this.t, n, 'pausable', () => this.fenceDone(n, req, from, false, 'no fencing level configured'));
      return;
    }
    const hang = this.rng.chance(this.inj.fenceHang);
    const fails = !hang && this.rng.chance(this.inj.fenceFail);
    const dur = hang ? req.timeoutMs : this.fenceMs * this.rng.range(0.5, 1.5);
    this.note(n.id, `fence device ${req.levels.map((l) => l.map((d) => d.device).join('+')).join(' / ')}: ${req.action} ${req.node} (${req.reason})${hang ? ' [will hang]' : fails ? ' [will fail]' : ''}`);
    // The power switch acts on its own time; the answer reaches the fencer only if it is still up.
    this.q.push(this.t + dur, {
      node: -1, inc: 0, kind: 'global', fn: () => {
        const ok = !hang && !fails;
        if (ok) {
          this.powerOff(target, `fenced by the power switch (${req.action}, asked by ${n.id})`);
          this.restartLater(target, this.rng.range(1000, 6000));
        }
        if (n.inc === fenceInc) this.at(this.t, n, 'pausable', () => this.fenceDone(n, req, from, ok, hang ? 'timed out' : fails ? 'device error' : undefined));
      },
    });
  }

  private fenceDone(n: WNode, req: FenceRequest, from: 'dc' | 'node', ok: boolean, reason?: string): void {
    this.note(n.id, `fencing ${req.node}${from === 'node' ? ' (fence race)' : ''}: ${ok ? 'OK' : `FAILED (${reason})`}`);
    const result = { type: 'fence-result', now: this.wall(n), node: req.node, key: req.key, ok, ...(reason ? { reason } : {}) } as const;
    // The node controller first: the held vote may make this node DC at once, and that DC must
    // hear that the peer is fenced already.
    if (from === 'node') this.nodeInput(n, result);
    if (ok) this.feedRaft(n, { type: 'fenced', now: this.wall(n), node: req.node });
    if (from === 'dc') this.dcInput(n, result);
  }

  // ------------------------------------------------------------------------------------------- the simulated executor

  /** vigild.executeHere: cancel, fence-device bookkeeping, recurring monitors, one-off operations. */
  private executeHere(n: WNode, req: ExecuteRequest, reply: (r: ActionResult | null) => void): void {
    if (req.cancelRecurring) this.cancelMonitors(n, req.resource);
    const op: OpReq = {
      resource: req.resource, primitive: req.primitive, action: req.action, intervalMs: req.intervalMs, timeoutMs: req.timeoutMs,
      userData: req.userData, agentClass: req.agent.class, ...(this.txOfReq.get(req) ? { tx: this.txOfReq.get(req) } : {}),
    };
    if (req.agent.class === 'stonith') {
      // vigild.fenceDeviceOperation: devices are checked on use; start/stop only register them.
      if (req.intervalMs > 0) { reply(null); return; }
      const r: ActionResult = { callId: ++n.callId, resource: req.resource, action: req.action, intervalMs: 0, rc: req.action === 'monitor' ? OcfRc.NotRunning : OcfRc.Success, opStatus: OpStatus.Done, userData: req.userData };
      this.nodeInput(n, { type: 'executed', now: this.wall(n), result: r });
      reply(r);
      return;
    }
    if (req.intervalMs > 0) {
      this.startMonitor(n, op);
      reply(null);
      return;
    }
    this.enqueue(n, { req: op, done: (r) => reply(r) });
  }

  private startMonitor(n: WNode, req: OpReq): void {
    const key = `${req.resource}|${req.action}|${req.intervalMs}`;
    const old = n.monitors.get(key);
    if (old) old.cancelled = true;
    const m: Monitor = { key, req, cancelled: false };
    n.monitors.set(key, m);
    this.monitorDue(n, m, 0);
  }

  private monitorDue(n: WNode, m: Monitor, delayMs: number): void {
    this.at(this.t + delayMs / n.rate, n, 'pausable', () => {
      if (m.cancelled) return;
      this.enqueue(n, {
        req: m.req, monitor: m, done: (r) => {
          if (m.cancelled) return;
          const first = m.last === undefined;
          const changed = !first && (m.last!.rc !== r.rc || m.last!.opStatus !== r.opStatus);
          m.last = { rc: r.rc, opStatus: r.opStatus };
          if (first || changed || isMonitorFailure(r)) this.reportToDc(n, r);
          this.monitorDue(n, m, m.req.intervalMs);
        },
      });
    });
  }

  private cancelMonitors(n: WNode, resource: string): void {
    for (const [k, m] of n.monitors) if (m.req.resource === resource) { m.cancelled = true; n.monitors.delete(k); }
  }

  private enqueue(n: WNode, job: Job): void {
    let lane = n.lanes.get(job.req.resource);
    if (!lane) { lane = { queue: [] }; n.lanes.set(job.req.resource, lane); }
    lane.queue.push(job);
    if (!lane.current) this.nextJob(n, lane);
  }

  private nextJob(n: WNode, lane: Lane): void {
    for (;;) {
      const job = lane.queue.shift();
      if (!job) { lane.current = undefined; return; }
      if (job.monitor?.cancelled) continue;
      lane.current = job.req;
      this.begin(n, lane, job);
      return;
    }
  }

  /** An operation starts on the node: decide its outcome and when it ends. */
  private begin(n: WNode, lane: Lane, job: Job): void {
    const req = job.req;
    this.stats.operations++;
    if (req.tx) this.checkOrderAtBegin(n, req.tx);
    const oneOff = req.intervalMs === 0 && req.action !== 'monitor';
    const hang = this.rng.chance(this.inj.opHang);
    const fails = oneOff && !hang && this.rng.chance(this.inj.opFail);
    const base = this.durations[req.action] ?? 50;
    const dur = hang ? Infinity : base * this.rng.range(0.5, 1.5);
    const timedOut = dur >= req.timeoutMs;
    const end = this.t + (timedOut ? req.timeoutMs : dur) / n.rate;
    if (this.record && req.intervalMs === 0) this.note(n.id, `executor: ${req.action} ${req.resource} begins${hang ? ' [will hang]' : fails ? ' [will fail]' : ''}`);
    const startedAt = this.wall(n);
    this.at(end, n, 'pausable', () => {
      const rc = this.effect(n, req, timedOut, fails);
      const r: ActionResult = {
        callId: ++n.callId, resource: req.resource, action: req.action as ActionResult['action'], intervalMs: req.intervalMs, rc,
        opStatus: timedOut ? OpStatus.Timeout : OpStatus.Done, ...(timedOut ? { exitReason: `timed out after ${req.timeoutMs} ms` } : {}),
        durationMs: Math.round(this.wall(n) - startedAt), startedAt, finishedAt: this.wall(n), ...(req.userData !== undefined ? { userData: req.userData } : {}),
      };
      if (req.tx) req.tx.state = r.opStatus === OpStatus.Done && rc === OcfRc.Success ? 'ok' : 'failed';
      if (this.record && (req.intervalMs === 0 || isMonitorFailure(r))) this.note(n.id, `executor: ${req.action}${req.intervalMs ? ` (every ${req.intervalMs} ms)` : ''} ${req.resource} -> rc ${rc}${timedOut ? ' TIMEOUT' : ''}`);
      // vigild.onLocalResult (every result), then the caller of execute.
      this.nodeInput(n, { type: 'executed', now: this.wall(n), result: r });
      job.done(r);
      if (n.lanes.get(req.resource) === lane) this.nextJob(n, lane);
    });
  }

  /** What an operation does to the resource, and its rc. */
  private effect(n: WNode, req: OpReq, timedOut: boolean, fails: boolean): number {
    const id = req.resource;
    const cur = n.rsc.get(id);
    const set = (a: Active | undefined): void => {
      if (a) n.rsc.set(id, a); else n.rsc.delete(id);
      this.realityVersion++;
    };
    if (req.action === 'monitor') {
      if (timedOut) return OcfRc.Error;
      if (!cur) return OcfRc.NotRunning;
      if (cur.broken) return cur.role === 'Promoted' ? OcfRc.FailedPromoted : OcfRc.Error;
      return cur.role === 'Promoted' ? OcfRc.RunningPromoted : OcfRc.Success;
    }
    if (timedOut || fails) {
      // The agent was killed (or gave up) half way: whatever it was doing may be half done.
      if (req.action === 'start') set({ role: cur?.role ?? 'Started', broken: true });
      else if (req.action === 'promote') set({ role: 'Promoted', broken: true });
      else if (cur) set({ ...cur, broken: true });
      return OcfRc.Error;
    }
    switch (req.action) {
      case 'start': if (!cur) set({ role: 'Started', broken: false }); break;
      case 'stop': if (cur) set(undefined); break;
      case 'promote': set({ role: 'Promoted', broken: false }); break;
      case 'demote': set({ role: 'Started', broken: false }); break;
      default: break;
    }
    return OcfRc.Success;
  }

  /** A resource fails on its own (a crash of the service, or it goes bad and keeps running). */
  resourceFails(n: WNode, id: string, how: 'crash' | 'broken'): void {
    const cur = n.rsc.get(id);
    if (!cur) return;
    if (how === 'crash') n.rsc.delete(id); else n.rsc.set(id, { ...cur, broken: true });
    this.realityVersion++;
    this.note(n.id, `RESOURCE ${id} ${how === 'crash' ? 'crashed (stopped by itself)' : 'went bad (monitor fails, still active)'}`);
  }

  // ------------------------------------------------------------------------------------------- invariants

  private buildOrders(): void {
    const cfg = this.o.loaded.config;
    const membersOf = (id: string): string[] => {
      const r = cfg.resources.find((x) => x.id === id);
      if (!r) return [id];
      if (r.kind === 'group') return r.members.map((m) => m.id);
      if (r.kind === 'clone') return r.child.kind === 'group' ? r.child.members.map((m) => m.id) : [r.child.id];
      return [r.id];
    };
    const add = (map: Map<string, string[]>, then: string, first: string): void => { map.set(then, [...(map.get(then) ?? []), first]); };
    for (const r of cfg.resources) if (r.kind === 'primitive' && r.agent.class === 'stonith') this.stonith.add(r.id);
    for (const r of cfg.resources) {
      if (r.kind !== 'group') continue;
      for (let i = 1; i < r.members.length; i++) {
        add(this.startAfter, r.members[i].id, r.members[i - 1].id);
        add(this.stopAfter, r.members[i - 1].id, r.members[i].id);
      }
    }
    for (const c of cfg.constraints) {
      if (c.kind !== 'order' || c.orderKind !== 'Mandatory' || c.firstAction !== 'start' || c.thenAction !== 'start') continue;
      for (const then of membersOf(c.then)) for (const first of membersOf(c.first)) {
        add(this.startAfter, then, first);
        if (c.symmetrical) add(this.stopAfter, first, then);
      }
    }
  }

  private registerTx(n: WNode, m: Driven<DcInput, DcOutput>, req: ExecuteRequest): void {
    if (req.intervalMs > 0 || (req.action !== 'start' && req.action !== 'stop')) return;
    const p = parseTransitionKey(req.userData);
    if (!p) return;
    const tx = `${n.id}#${m.instance}/t${p.transition}`;
    const op: TxOp = { tx, action: req.action, rsc: req.primitive, node: req.node, state: 'dispatched' };
    const list = this.txOps.get(tx) ?? [];
    list.push(op);
    this.txOps.set(tx, list);
    this.txOfReq.set(req, op);
  }

  /** A mandatory order: then-start begins only after first-start completed in the same transition (stops the other way). */
  private checkOrderAtBegin(n: WNode, op: TxOp): void {
    op.state = 'running';
    const ops = this.txOps.get(op.tx) ?? [];
    const firsts = (op.action === 'start' ? this.startAfter : this.stopAfter).get(op.rsc) ?? [];
    for (const f of firsts) {
      for (const o of ops) {
        if (o.action !== op.action || o.rsc !== f || o.state === 'ok') continue;
        this.fail('mandatory-order', `${op.action} of ${op.rsc} on ${op.node} began in ${op.tx} while ${o.action} of ${o.rsc} on ${o.node}, ordered before it, was ${o.state}`, n.id);
      }
    }
  }

  /** Every operation a controller asks for: never on a node in maintenance or an unmanaged resource; migration-threshold honoured. */
  private checkDispatch(n: WNode, who: 'DC' | 'node', req: ExecuteRequest, cib: Cib): void {
    const conf = cib.config.nodes.find((x) => x.name === req.node);
    const st = cib.status.nodes.find((x) => x.name === req.node);
    const on = (v: string | undefined): boolean => v !== undefined && ['true', 'on', 'yes', '1', 'y'].includes(v.toLowerCase());
    const probe = req.action === 'monitor' && req.intervalMs === 0;
    if (!probe && (on(cib.config.properties['maintenance-mode']) || on(conf?.attributes.maintenance) || on(st?.transientAttributes.maintenance))) {
      this.fail('maintenance', `${who} on ${n.id} asked for ${req.action} of ${req.resource} on ${req.node}, which is in maintenance`, n.id);
    }
    const meta = { ...cib.config.rscDefaults, ...this.metaOf(cib, req.primitive) };
    const managed = meta['is-managed'];
    if (managed !== undefined && !on(managed)) this.fail('unmanaged', `${who} on ${n.id} asked for ${req.action} of unmanaged ${req.resource} on ${req.node}`, n.id);
    if (who !== 'DC' || req.action !== 'start' || !st) return;
    const threshold = meta['migration-threshold'] === undefined ? INFINITY : Number(meta['migration-threshold']) || INFINITY;
    const ft = Number.parseInt((meta['failure-timeout'] ?? '').replace(/s$/, ''), 10) * 1000;
    const now = this.wall(n);
    let count = 0;
    for (const [k, v] of Object.entries(st.transientAttributes)) {
      if (!k.startsWith(`fail-count-${req.resource}#`)) continue;
      const last = Number(st.transientAttributes[`last-failure-${k.slice('fail-count-'.length)}`] ?? 0) * 1000;
      // An expired failure (failure-timeout) no longer counts; a second of slack for the scheduler's rounding.
      if (Number.isFinite(ft) && ft > 0 && now >= last + ft - 1000) continue;
      count += v === 'INFINITY' ? INFINITY : Number(v);
    }
    if (count >= threshold) this.fail('migration-threshold', `DC on ${n.id} started ${req.resource} on ${req.node} with fail count ${count >= INFINITY ? 'INFINITY' : count} >= migration-threshold ${threshold}`, n.id);
  }

  private metaOf(cib: Cib, primitive: string): Record<string, string> {
    for (const r of cib.config.resources) {
      if (r.id === primitive) return { ...r.meta };
      if (r.kind === 'group') { const m = r.members.find((x) => x.id === primitive); if (m) return { ...r.meta, ...m.meta }; }
      if (r.kind === 'clone' && r.child.kind === 'primitive' && r.child.id === primitive) return { ...r.meta, ...r.child.meta };
    }
    return {};
  }

  /** Safety at this instant: the ground truth (powered-on or paused nodes), not what any CIB believes. */
  checkSafety(): void {
    if (this.checkedVersion === this.realityVersion) return;
    this.checkedVersion = this.realityVersion;
    const cfg = this.o.loaded.config;
    for (const r of cfg.resources) {
      if (r.kind === 'clone') {
        const promotable = r.promotable || r.meta.promotable === 'true';
        if (!promotable || r.child.kind !== 'primitive') continue;
        const max = Number(r.meta['promoted-max'] ?? '1');
        const where = this.nodes.filter((n) => n.on && n.rsc.get(r.child.id)?.role === 'Promoted').map((n) => n.id);
        if (where.length > max) this.fail('dual-promoted', `${r.child.id} is promoted on ${where.join(' and ')} (promoted-max ${max})`);
        continue;
      }
      const prims = r.kind === 'group' ? r.members.map((m) => m.id) : [r.id];
      for (const id of prims) {
        const where = this.nodes.filter((n) => n.on && n.rsc.has(id)).map((n) => `${n.id}${n.paused ? ' (paused)' : ''}`);
        if (where.length > 1) this.fail('dual-active', `${id} is active on ${where.join(' and ')} at the same instant`);
      }
    }
  }

  /** The DC with a valid lease right now, if any. */
  currentDc(): WNode | null {
    for (const n of this.nodes) if (n.on && !n.paused && !n.witness && n.raft && isDc(n.raft, this.wall(n)) && n.dc) return n;
    return null;
  }

  /** The scheduler's wishes for the DC's committed CIB (recomputed only when that CIB changes). */
  private wishCache: { dc: string; cib: Cib | null; at: number; placements: Array<{ rsc: string; node: string; role: 'Started' | 'Promoted' }> } = { dc: '', cib: null, at: -Infinity, placements: [] };

  /**
   * Liveness: what the scheduler wants (on the DC's committed CIB) runs in reality, and nothing
   * else does. Returns what is missing (empty: satisfied).
   */
  unsatisfied(): string[] {
    const dc = this.currentDc();
    if (!dc) return ['no DC'];
    if (!dc.configSeen) return ['no configuration committed yet'];
    const c = this.wishCache;
    // Time matters to the scheduler only through failure-timeout: recompute at least every 5 s.
    if (c.dc !== dc.id || c.cib !== dc.cib || this.t - c.at > 5000) {
      // As the DC shows it to the scheduler (watchdog fencing as a stand-in device), on the
      // committed CIB, with quorum (the faults are over: a partition without it is not settled).
      const view = schedulerView({ ...(dc.dc?.state as DcState), cib: dc.cib });
      const r = schedule({ ...view, status: { ...view.status, haveQuorum: true } }, Math.floor(this.wall(dc) / 1000));
      const placements = r.placements.filter((p) => p.role !== 'Stopped' && !this.stonith.has(p.rsc) && this.byId.has(p.node))
        .map((p) => ({ rsc: p.rsc, node: p.node, role: (p.role === 'Promoted' ? 'Promoted' : 'Started') as 'Started' | 'Promoted' }));
      this.wishCache = { dc: dc.id, cib: dc.cib, at: this.t, placements };
    }
    const missing: string[] = [];
    const wanted = new Set<string>();
    for (const p of this.wishCache.placements) {
      const n = this.byId.get(p.node) as WNode;
      wanted.add(`${p.rsc}@${p.node}`);
      const a = n.on ? n.rsc.get(p.rsc) : undefined;
      if (!a || a.broken || a.role !== p.role) missing.push(`${p.rsc} ${p.role} on ${p.node}${a ? ` (is ${a.role}${a.broken ? ', failed' : ''})` : ''}`);
    }
    for (const n of this.nodes) {
      if (!n.on) continue;
      for (const id of n.rsc.keys()) if (!wanted.has(`${id}@${n.id}`)) missing.push(`${id} still active on ${n.id}`);
    }
    if (dc.dc && (dc.dc.state as DcState).transition) missing.push('a transition is running');
    return missing;
  }
}
