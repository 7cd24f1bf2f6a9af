/**
 * Endpoint: the I/O shell that runs a node's links and membership with real sockets and a real
 * clock. It binds every configured link, sends each frame on all of them, feeds every
 * authenticated frame it hears into the membership state machine, and hands protocol messages
 * to the layer above.
 *
 *   const ep = new Endpoint({ self: 'n1', nodes: ['n1', 'n2', 'n3'], cluster: 'prod', keys, links });
 *   ep.on('membership', (ev) => ...);            // peer-up / peer-late / peer-dead / link-down / ...
 *   ep.on('message', (m) => ...);                // { from, body, unicast, incarnation, link }
 *   await ep.start();
 *   ep.send('n2', body); ep.send(undefined, body);   // to one peer, or to every node
 *   await ep.close();
 *
 * Everything that decides lives in the pure modules (Sender, Receiver, membership.step); this
 * file only moves bytes and time.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { NodeId } from '../model/index.js';
import { initMembership, step } from '../membership/index.js';
import type { MembershipInput, MembershipOutput, MembershipState, MembershipTimings } from '../membership/index.js';
import { DEFAULT_REASSEMBLY_LIMITS } from './chunks.js';
import type { ReassemblyLimits } from './chunks.js';
import { clusterIdFromName, DEFAULT_MAX_FRAME_BYTES } from './frame.js';
import type { ClusterKeys } from './keys.js';
import { resolveLink } from './links.js';
import type { LinkId, LinkSpec } from './links.js';
import { Receiver } from './receiver.js';
import type { TransportCounters } from './receiver.js';
import { MAX_LINKS } from './replay.js';
import { Sender } from './sender.js';

/** Frames sent back to back before yielding to the event loop (heartbeats never wait behind them). */
const SEND_BURST_FRAMES = 32;
/** Socket buffers we ask for (the kernel caps them at net.core.[rw]mem_max). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

let lastIncarnation = 0;
/** Start time in ms, strictly increasing even for endpoints started within one millisecond (tests). */
function nextIncarnation(): number {
  lastIncarnation = Math.max(Date.now(), lastIncarnation + 1);
  return lastIncarnation;
}

export interface EndpointOptions {
  self: NodeId;
  /** Every node of the cluster, self included. */
  nodes: readonly NodeId[];
  /** Cluster name (hashed to the wire's cluster id) or the id itself. */
  cluster: string | number;
  keys: ClusterKeys;
  encrypt?: boolean;
  links: readonly LinkSpec[];
  timings?: MembershipTimings;
  maxFrameBytes?: number;
  reassembly?: ReassemblyLimits;
  /** Defaults to the start time in ms, so it grows with every restart. */
  incarnation?: number;
  /** Monotonic milliseconds; defaults to performance.now(). */
  clock?: () => number;
}

/** A protocol message for the layer above. */
export interface InboundMessage {
  from: NodeId;
  body: Buffer;
  /** Sent to this node alone (false: sent to every node). */
  unicast: boolean;
  incarnation: number;
  /** Link the first copy arrived on. */
  link: LinkId;
}

export interface LinkCounters {
  framesSent: number;
  bytesSent: number;
  sendErrors: number;
  framesReceived: number;
}

interface EndpointEvents {
  message: [InboundMessage];
  membership: [MembershipOutput];
  /** Socket-level trouble that does not stop the endpoint (send errors are counted, not emitted). */
  warning: [string];
}

interface LinkRuntime {
  spec: LinkSpec;
  index: number;
  enabled: boolean;
  /** Socket we receive on; for ucast also the one we send from. */
  rx: dgram.Socket;
  /** Socket we send from (bcast/mcast use a separate socket bound to the local address). */
  tx: dgram.Socket;
  /** ucast: node -> address learned from authenticated frames or configured. */
  peerAddr: Map<NodeId, { address: string; port: number }>;
  counters: LinkCounters;
}

export class Endpoint extends EventEmitter<EndpointEvents> {
  readonly incarnation: number;
  private readonly clusterId: number;
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  private readonly clock: () => number;
  private readonly specs: LinkSpec[];
  private links: LinkRuntime[] = [];
  private mstate: MembershipState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerFor = Number.NaN;
  private nodes: NodeId[];
  private closed = false;

  constructor(readonly opts: EndpointOptions) {
    super();
    if (!opts.nodes.includes(opts.self)) throw new RangeError(`node ${opts.self} is not in the node list`);
    if (opts.links.length === 0) throw new RangeError('an endpoint needs at least one link');
    if (opts.links.length > MAX_LINKS) throw new RangeError(`at most ${MAX_LINKS} links`);
    if (new Set(opts.links.map((l) => l.id)).size !== opts.links.length) throw new RangeError('link ids must be unique');
    this.nodes = [...opts.nodes];
    this.clusterId = typeof opts.cluster === 'number' ? opts.cluster : clusterIdFromName(opts.cluster);
    this.incarnation = opts.incarnation ?? nextIncarnation();
    this.clock = opts.clock ?? (() => performance.now());
    const codec = { keys: opts.keys, encrypt: opts.encrypt ?? false, maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES };
    this.sender = new Sender({ ...codec, self: opts.self, clusterId: this.clusterId, incarnation: this.incarnation });
    this.receiver = new Receiver({ ...codec, self: opts.self, clusterId: this.clusterId, nodes: opts.nodes, reassembly: opts.reassembly ?? DEFAULT_REASSEMBLY_LIMITS });
    const ifs = networkInterfaces();
    this.specs = opts.links.map((l) => resolveLink(l, ifs));
  }

  /** Drop counters by reason, plus delivered/ignored totals. */
  get counters(): TransportCounters {
    return this.receiver.counters;
  }

  get membership(): MembershipState {
    if (!this.mstate) throw new Error('endpoint not started');
    return this.mstate;
  }

  linkCounters(): Record<LinkId, LinkCounters> {
    return Object.fromEntries(this.links.map((l) => [l.spec.id, { ...l.counters }]));
  }

  /** Bind every link and start heartbeats. Rejects (and closes what it opened) if a socket cannot bind. */
  async start(): Promise<void> {
    if (this.mstate) throw new Error('endpoint already started');
    try {
      for (const [index, spec] of this.specs.entries()) this.links.push(await this.openLink(spec, index));
    } catch (e) {
      await this.close();
      throw e;
    }
    const first = initMembership({ self: this.opts.self, peers: this.nodes, links: this.specs.map((s) => s.id), timings: this.opts.timings }, this.clock());
    this.mstate = first.state;
    this.apply(first.outputs, first.wakeAt);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const socks = new Set(this.links.flatMap((l) => [l.rx, l.tx]));
    this.links = [];
    await Promise.all([...socks].map((s) => new Promise<void>((res) => { try { s.close(() => res()); } catch { res(); } })));
  }

  /**
   * The cluster's nodes changed (a node joined or left the configuration): frames from removed
   * nodes become `unknown-sender`, new nodes are watched from now on (initdead applies to them).
   */
  setNodes(nodes: readonly NodeId[]): void {
    if (!nodes.includes(this.opts.self)) throw new RangeError(`node ${this.opts.self} is not in the new node list`);
    this.nodes = [...nodes];
    this.receiver.setNodes(nodes);
    this.feed({ kind: 'set-peers', now: this.clock(), peers: nodes });
  }

  /**
   * Administratively take a link out of service (or back): nothing is sent on it and what arrives
   * on it is ignored. Peers see the link go down; membership here sees it too.
   */
  setLinkEnabled(link: LinkId, enabled: boolean): void {
    const l = this.links.find((x) => x.spec.id === link);
    if (!l) throw new RangeError(`no link ${link}`);
    l.enabled = enabled;
  }

  /**
   * Send a protocol message to one peer (`to`) or to every other node (`to` undefined), on every
   * link. Large bodies are chunked. Delivery is best effort, like UDP: the protocol above retries.
   */
  send(to: NodeId | undefined, body: Uint8Array): void {
    if (this.closed || !this.mstate) throw new Error('endpoint not running');
    if (to !== undefined && !this.nodes.includes(to)) throw new RangeError(`unknown node ${to}`);
    if (to === this.opts.self) throw new RangeError('a node does not send messages to itself');
    const frames = this.sender.message(to, body);
    if (frames.length === 1 && this.queue.length === 0) { this.transmit(frames[0], to); return; }
    for (const f of frames) this.queue.push({ frame: f, to });
    this.pump();
  }

  /** Frames waiting to go out: chunks of large messages are paced so receivers' socket buffers keep up. */
  private queue: Array<{ frame: Buffer; to: NodeId | undefined }> = [];
  private pumping = false;

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const burst = () => {
      if (this.closed) { this.queue = []; this.pumping = false; return; }
      for (let i = 0; i < SEND_BURST_FRAMES && this.queue.length > 0; i++) {
        const q = this.queue.shift() as { frame: Buffer; to: NodeId | undefined };
        this.transmit(q.frame, q.to);
      }
      if (this.queue.length > 0) setImmediate(burst);
      else this.pumping = false;
    };
    burst();
  }

  private transmit(frame: Buffer, to: NodeId | undefined): void {
    for (const l of this.links) {
      if (!l.enabled) continue;
      for (const dst of this.destinations(l, to)) {
        l.counters.framesSent += 1;
        l.counters.bytesSent += frame.length;
        l.tx.send(frame, dst.port, dst.address, (err) => { if (err) l.counters.sendErrors += 1; });
      }
    }
  }

  private destinations(l: LinkRuntime, to: NodeId | undefined): Array<{ address: string; port: number }> {
    const s = l.spec;
    if (s.kind === 'mcast') return [{ address: s.group, port: s.port }];
    if (s.kind === 'bcast') return [{ address: s.broadcast ?? '255.255.255.255', port: s.port }];
    if (to !== undefined) {
      const known = l.peerAddr.get(to);
      if (known) return [known];
    }
    return s.peers
      .map((p) => ({ address: p.address, port: p.port ?? s.port }))
      .filter((d) => !(d.address === s.bind && d.port === s.port));
  }

  private async openLink(spec: LinkSpec, index: number): Promise<LinkRuntime> {
    const bind = (sock: dgram.Socket, port: number, address: string | undefined) => new Promise<void>((res, rej) => {
      const onErr = (e: Error) => rej(new Error(`link ${spec.id}: cannot bind ${address ?? '0.0.0.0'}:${port}: ${e.message}`));
      sock.once('error', onErr);
      sock.bind({ port, address, exclusive: true }, () => { sock.off('error', onErr); res(); });
    });
    const rx = dgram.createSocket({ type: 'udp4', reuseAddr: spec.kind !== 'ucast' });
    let tx = rx;
    const peerAddr = new Map<NodeId, { address: string; port: number }>();
    if (spec.kind === 'ucast') {
      for (const p of spec.peers) if (p.node) peerAddr.set(p.node, { address: p.address, port: p.port ?? spec.port });
      await bind(rx, spec.port, spec.bind);
    } else if (spec.kind === 'mcast') {
      await bind(rx, spec.port, spec.group);
      rx.addMembership(spec.group, spec.bind);
      tx = dgram.createSocket({ type: 'udp4' });
      await bind(tx, 0, spec.bind);
      tx.setMulticastTTL(spec.ttl);
      tx.setMulticastLoopback(spec.loop);
      if (spec.bind) tx.setMulticastInterface(spec.bind);
    } else {
      await bind(rx, spec.port, spec.broadcast);
      tx = dgram.createSocket({ type: 'udp4' });
      await bind(tx, 0, spec.bind);
      tx.setBroadcast(true);
    }
    const rt: LinkRuntime = { spec, index, enabled: true, rx, tx, peerAddr, counters: { framesSent: 0, bytesSent: 0, sendErrors: 0, framesReceived: 0 } };
    for (const sock of new Set([rx, tx])) {
      try { sock.setRecvBufferSize(SOCKET_BUFFER_BYTES); sock.setSendBufferSize(SOCKET_BUFFER_BYTES); } catch { /* the kernel's cap applies */ }
    }
    rx.on('message', (msg, rinfo) => this.onDatagram(rt, msg, rinfo));
    for (const s of new Set([rx, tx])) s.on('error', (e) => this.emit('warning', `link ${spec.id}: ${e.message}`));
    return rt;
  }

  private onDatagram(l: LinkRuntime, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed || !l.enabled || !this.mstate) return;
    l.counters.framesReceived += 1;
    const now = this.clock();
    const r = this.receiver.receive(msg, l.index, now);
    if (r.heard) {
      // Learn where a ucast peer answers, from authenticated frames only, so unicasts go just there.
      if (l.spec.kind === 'ucast' && rinfo.port === l.spec.port) l.peerAddr.set(r.heard.from, { address: rinfo.address, port: rinfo.port });
      this.feed({ kind: 'heartbeat', now, from: r.heard.from, link: l.spec.id, incarnation: r.heard.incarnation });
    }
    if (r.delivery && r.delivery.kind === 'message') {
      const d = r.delivery;
      this.emit('message', { from: d.from, body: d.body, unicast: d.unicast, incarnation: d.incarnation, link: l.spec.id });
    }
  }

  private feed(input: MembershipInput): void {
    if (!this.mstate || this.closed) return;
    const r = step(this.mstate, input);
    this.mstate = r.state;
    this.apply(r.outputs, r.wakeAt);
  }

  private apply(outputs: MembershipOutput[], wakeAt: number): void {
    for (const o of outputs) {
      if (o.kind === 'send-heartbeat') this.transmit(this.sender.heartbeat(), undefined);
      else this.emit('membership', o);
    }
    if (this.closed) return;
    // Most frames change nothing about when we must wake next; keep the timer then.
    if (this.timer && wakeAt === this.timerFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerFor = wakeAt;
    const delay = Math.max(0, wakeAt - this.clock());
    // +1 ms: timers may fire a hair early relative to performance.now(); a tick before wakeAt is harmless but wasted.
    this.timer = setTimeout(() => this.onTimer(), Math.ceil(delay) + 1);
    this.timer.unref?.();
  }

  private onTimer(): void {
    this.timer = undefined;
    // Node runs timers before it polls sockets. After this process was stalled (CPU starvation, a
    // long GC), heartbeats that arrived meanwhile are still queued in the socket buffers; ticking
    // now would declare their senders dead. setImmediate runs after the poll phase has read them.
    setImmediate(() => this.onTick());
  }

  private onTick(): void {
    if (this.closed) return;
    const now = this.clock();
    this.receiver.expire(now);
    this.feed({ kind: 'tick', now });
  }
}
