/**
 * The receiving half of a node's transport, without sockets: datagram + link index + time in,
 * what to deliver and what membership should hear out. Every datagram that is not delivered is
 * counted, by reason. Deterministic and never throws on any input bytes, so the simulator can use it
 * and the fuzz test can hammer it.
 */
import type { NodeId } from '../model/index.js';
import { DEFAULT_REASSEMBLY_LIMITS, Reassembler } from './chunks.js';
import type { ReassemblyLimits } from './chunks.js';
import { decodeFrame, DROP_REASONS, MessageType } from './frame.js';
import type { CodecOptions, DropReason } from './frame.js';
import { DEFAULT_REPLAY_WINDOW, ReplayGuard } from './replay.js';

export interface ReceiverOptions extends CodecOptions {
  self: NodeId;
  clusterId: number;
  /** Every node of the cluster (self included); frames from anyone else are dropped. */
  nodes: readonly NodeId[];
  replayWindow?: number;
  reassembly?: ReassemblyLimits;
}

/** Proof that `from` is alive and reachable over `link` (feed to membership). */
export interface Heard {
  from: NodeId;
  incarnation: number;
  link: number;
}

export interface Delivery {
  kind: 'heartbeat' | 'message';
  from: NodeId;
  incarnation: number;
  /** Link the first copy arrived on. */
  link: number;
  /** Addressed to this node only (false: sent to every node). */
  unicast: boolean;
  /** Empty for heartbeats. */
  body: Buffer;
  /** The sender's incarnation is newer than the last one accepted from it: it restarted. */
  restarted: boolean;
  previousIncarnation: number | undefined;
}

export interface ReceiveResult {
  heard?: Heard;
  delivery?: Delivery;
  dropped?: DropReason;
  /** Not an attack and not delivered: a copy from another link, our own looped-back frame, or a frame for another node. */
  ignored?: IgnoreReason;
}

export type IgnoreReason = 'duplicate' | 'own' | 'not-addressed' | 'chunk-pending';

export interface TransportCounters {
  received: number;
  delivered: number;
  dropped: Record<DropReason, number>;
  ignored: Record<IgnoreReason, number>;
}

export function emptyCounters(): TransportCounters {
  return {
    received: 0,
    delivered: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    ignored: { duplicate: 0, own: 0, 'not-addressed': 0, 'chunk-pending': 0 },
  };
}

export function totalDropped(c: TransportCounters): number {
  return Object.values(c.dropped).reduce((a, b) => a + b, 0);
}

export class Receiver {
  readonly counters: TransportCounters = emptyCounters();
  private readonly replay: ReplayGuard;
  private readonly reassembler: Reassembler;
  private readonly known: Set<NodeId>;

  constructor(readonly opts: ReceiverOptions) {
    this.known = new Set(opts.nodes);
    this.replay = new ReplayGuard(opts.replayWindow ?? DEFAULT_REPLAY_WINDOW);
    this.reassembler = new Reassembler(opts.reassembly ?? DEFAULT_REASSEMBLY_LIMITS);
  }

  /** Bytes held in partial chunked messages (bounded by the reassembly limits). */
  get reassemblyBytes(): number {
    return this.reassembler.bytesHeld;
  }

  /** Nodes can join and leave the configuration; frames from removed nodes are then unknown-sender. */
  setNodes(nodes: readonly NodeId[]): void {
    this.known.clear();
    for (const n of nodes) this.known.add(n);
  }

  private drop(reason: DropReason): ReceiveResult {
    this.counters.dropped[reason] += 1;
    return { dropped: reason };
  }

  private ignore(reason: IgnoreReason, heard?: Heard): ReceiveResult {
    this.counters.ignored[reason] += 1;
    return heard ? { ignored: reason, heard } : { ignored: reason };
  }

  /** Drop partial chunked messages that timed out. Call now and then (the shell does on every tick). */
  expire(now: number): number {
    const n = this.reassembler.expire(now);
    this.counters.dropped['reassembly-timeout'] += n;
    return n;
  }

  receive(datagram: Buffer, link: number, now: number): ReceiveResult {
    this.counters.received += 1;
    const decoded = decodeFrame(datagram, this.opts, { clusterId: this.opts.clusterId, isKnownSender: (id) => this.known.has(id) });
    if (!decoded.ok) return this.drop(decoded.reason);
    const f = decoded.frame;
    // Our own frame looped back by multicast/broadcast: authentic, just not news.
    if (f.sender === this.opts.self) return this.ignore('own');
    const v = this.replay.check(f.sender, f.incarnation, f.seq, link);
    if (v.verdict === 'stale-incarnation' || v.verdict === 'replayed') return this.drop(v.verdict);
    const heard: Heard = { from: f.sender, incarnation: f.incarnation, link };
    if (v.verdict === 'duplicate') return this.ignore('duplicate', heard);
    if (v.restarted) this.reassembler.forgetSender(f.sender, f.incarnation);
    if (f.to !== undefined && f.to !== this.opts.self) return this.ignore('not-addressed', heard);

    const base = { from: f.sender, incarnation: f.incarnation, link, unicast: f.to !== undefined, restarted: v.restarted, previousIncarnation: v.previousIncarnation };
    if (f.type === MessageType.Heartbeat) {
      this.counters.delivered += 1;
      return { heard, delivery: { ...base, kind: 'heartbeat', body: f.payload } };
    }
    if (f.type === MessageType.Data) {
      this.counters.delivered += 1;
      return { heard, delivery: { ...base, kind: 'message', body: f.payload } };
    }
    const r = this.reassembler.add(f.sender, f.incarnation, f.payload, now);
    if (r.kind === 'drop') return { ...this.drop(r.reason), heard };
    if (r.kind === 'pending') return this.ignore('chunk-pending', heard);
    this.counters.delivered += 1;
    return { heard, delivery: { ...base, kind: 'message', body: r.body } };
  }
}
