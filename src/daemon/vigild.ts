/**
 * vigild: one node of a Vigil cluster, as a process. It joins
 *
 *   Engine (transport, membership, DC election and lease, replicated CIB log, storage)
 *   the CIB state (every committed update applied in order: src/controller applyUpdate)
 *   the DC controller (only while this node is DC with a valid lease): runs transitions
 *   the node-local controller (always): no-quorum-policy, probes, self-fencing deadline
 *   the executor (real agents) and the fence runner (real fence agents)
 *   the self-fencing supervisor (a separate process; /dev/watchdog when configured)
 *   the peer channel (DC → node execute requests, node → DC results, forwarded admin requests)
 *   the local API socket (mode 0600)
 *
 * How work reaches a node: the DC sends each execute request to the target node over the peer
 * channel and gets the result back on the same request (recurring monitors report later, to
 * whichever node is DC then). The DC alone records results in the replicated log. Nothing
 * decides here: decisions are steps of the pure controllers; this file moves their inputs and
 * outputs between processes, sockets and clocks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { ApiInputError, ApiUnavailableError, socketPath, serveApi, type ApiRequest, type ConfigPlan, type DaemonStatus, type NodeStatusView, type ResourceStatusView } from '../api/index.js';
import { toVigilYaml, type EngineSettings, type LoadedClusterConfig } from '../config/index.js';
import { formatAgent } from '../config/agent.js';
import type { CibUpdate } from '../coordination/index.js';
import { Executor, announceRequest, type OperationRequest, type OperationResult } from '../executor/index.js';
import { FenceRunner, deviceFromPrimitive, fenceRequest } from '../fencing/index.js';
import type { Cib, ClusterConfig, Primitive } from '../model/cluster.js';
import { schedule } from '../scheduler/index.js';
import { loadAuthkeyFile } from '../transport/index.js';
import { configPlan, findResource, nodeAdmin, resourceBan, resourceClear, resourceMove, resourceTargetRole } from './admin.js';
import { Engine } from './engine.js';
import { quorumView } from './engine-config.js';
import { ControllerHost, stonithEnabled, twoNodePeerOf, type ActionResult, type DcOutput, type ExecuteRequest, type FenceRequest, type NodeOutput } from './controllers.js';
import { judgeOrder, refusedWhileLeaving } from './dc-orders.js';
import { HardwareWatchdog } from './hw-watchdog.js';
import { PeerChannel, PeerError } from './peer.js';

export interface VigildOptions {
  loaded: LoadedClusterConfig;
  node: string;
  stateDir?: string;
  runtimeDir?: string;
  logger: Logger;
  /** Use this hardware watchdog device instead of the supervisor process (never in tests). */
  watchdogDevice?: string;
  /** No supervisor at all (tests of the daemon alone). */
  noSupervisor?: boolean;
}

const SUPERVISOR_JS = join(dirname(fileURLToPath(import.meta.url)), 'supervisor.js');
const COMPACT_EVERY = 500;

function epochS(ms: number): number {
  return Math.floor(ms / 1000);
}

export class Vigild {
  readonly node: string;
  readonly settings: EngineSettings;
  readonly log: Logger;
  readonly engine: Engine;
  readonly executor: Executor;
  private readonly fence = new FenceRunner();
  private readonly peer: PeerChannel;
  private readonly ctl: ControllerHost;
  private readonly runtimeDir: string;
  private readonly stateDir: string;
  private api: Server | undefined;
  private supervisor: ChildProcess | undefined;
  private hwWatchdog: HardwareWatchdog | undefined;
  private petTimer: NodeJS.Timeout | undefined;
  private contactTimer: NodeJS.Timeout | undefined;
  private cib: Cib;
  private configSeen = false;
  private proposingConfig = false;
  private sinceCompact = 0;
  private lastApplied = 0;
  private stopping = false;
  private transition: DaemonStatus['transition'];
  /** Resources active here (start/promote succeeded, or a probe found them): their stop requests. */
  private readonly active = new Map<string, OperationRequest>();
  /** The parameters each resource was last started with here (its configuration may change since). */
  private readonly startedWith = new Map<string, Record<string, string>>();
  private readonly monitorsFor = new Map<string, string>();
  private joinedOnce = false;
  /**
   * Nodes that said goodbye (vigil stop): their silence is a clean leave, not a loss. With the
   * incarnation that said it: a heartbeat of that process delayed in the network is not the node
   * coming back (it would be taken for a member, then for lost and fenced); a new one is.
   */
  private readonly leaving = new Map<string, number | undefined>();
  private readonly fenceDevices = new Set<string>();
  private readonly warnings: string[] = [];

  constructor(private readonly o: VigildOptions) {
    const s = o.loaded.settings;
    this.node = o.node;
    this.settings = s;
    this.log = o.logger.child({ node: o.node });
    this.runtimeDir = o.runtimeDir ?? s.paths.runtimeDir;
    this.stateDir = o.stateDir ?? s.paths.stateDir;
    for (const w of o.loaded.warnings) this.warnings.push(w.message);
    // Until the log carries a configuration, the file's is shown (the DC proposes it).
    this.cib = { config: o.loaded.config, status: { haveQuorum: false, nodes: [], tickets: {} } };
    this.engine = new Engine({ settings: s, node: o.node, stateDir: join(this.stateDir, 'engine'), logger: this.log });
    this.executor = new Executor({
      // Call ids above any this node's earlier processes handed out: the CIB keeps "an older call
      // never replaces a newer one", and a new executor counting from 1 again had its results
      // ignored after a restart the DC did not notice (vigil sim --whole found a dual-active).
      firstCallId: Date.now(),
      agents: {
        nodeName: o.node,
        stateDir: join(this.runtimeDir, 'agents'),
        rscTmpDir: join(this.runtimeDir, 'resource-agents'),
      },
    });
    const keys = loadAuthkeyFile(s.transport.authkeyFile, { format: s.transport.keyFormat }).keys;
    const port = s.transport.links[0]?.port ?? 694;
    // Heartbeat's ucast lines name addresses, not nodes: a node without addresses is tried at
    // every configured peer address (the request names its target; others refuse it).
    const anyPeer = [...new Set(s.transport.links.flatMap((l) => l.peers))];
    this.peer = new PeerChannel(o.node, s.clusterName, keys,
      s.nodes.filter((n) => n.name !== o.node).map((n) => ({ node: n.name, addresses: n.addresses.length > 0 ? n.addresses : anyPeer, port })), this.log);
    this.ctl = new ControllerHost({
      self: o.node,
      deadtimeMs: s.membership.deadtimeMs,
      watchdogTimeoutMs: s.fencing.watchdogTimeoutMs,
      fenceDelayMs: s.fencing.delayMs,
      quorum: quorumView(s),
      log: this.log,
      onDcOutput: (out) => this.onDcOutput(out),
      onNodeOutput: (out) => this.onNodeOutput(out),
    });
  }

  // ------------------------------------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    mkdirSync(this.runtimeDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    this.executor.onResult((r) => this.onLocalResult(r));
    if (!this.o.noSupervisor) this.startSupervisor();
    if (this.o.watchdogDevice) {
      this.hwWatchdog = new HardwareWatchdog(this.o.watchdogDevice, this.log);
      this.hwWatchdog.start();
    }
    this.wireEngine();
    const self = this.settings.nodes.find((n) => n.name === this.node)!;
    await this.peer.listen(self.addresses, this.settings.transport.links[0]?.port ?? 694, (from, method, body) => this.onPeer(from, method, body));
    this.api = await serveApi(socketPath(this.runtimeDir), (req) => this.onApi(req));
    this.ctl.startNode(this.cib, Date.now());
    await this.engine.start();
    this.contactTimer = setInterval(() => this.feedContact(), Math.max(50, this.settings.membership.keepaliveMs / 2));
    this.log.info({ pid: process.pid, socket: socketPath(this.runtimeDir), source: this.settings.source }, 'vigild started');
    if (this.settings.source === 'heartbeat' && !this.settings.fencing.enabled) {
      this.warn('Heartbeat v1 configuration without fencing: a split of the links can run the resources on both nodes');
    }
  }

  /**
   * Leave cleanly: let the DC move this node's resources away, stop what is left, stop the engine,
   * then say goodbye. The order is what a clean leave promises the peers: when they hear it,
   * nothing of this node's runs any more (so the DC records it `left` instead of fencing it, and
   * in a two-node cluster the survivor holds this node's vote and stays quorate), and this node
   * sends no more coordination messages (each would release that held vote again). A node whose
   * resources could not all be stopped does not say goodbye: it is lost, and fenced.
   */
  async shutdown(why: string, timeoutMs = 60_000): Promise<string> {
    if (this.stopping) return 'already stopping';
    this.stopping = true;
    this.log.info({ why }, 'shutting down');
    const until = Date.now() + timeoutMs;
    try {
      await this.viaDc({ kind: 'node-attribute', node: this.node, name: 'shutdown', value: String(epochS(Date.now())) });
      while (this.active.size > 0 && Date.now() < until && this.engine.quorate) await sleep(100);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not ask the DC to move resources away; stopping them here');
    }
    // Starts or promotes already under way finish first (no new ones are accepted while
    // stopping: refuseWhileStopping), so that what they bring up is stopped below as well.
    const starting = (): string[] => this.executor.pending().filter((p) => p.action === 'start' || p.action === 'promote').map((p) => p.resource);
    while (starting().length > 0 && Date.now() < until) await sleep(50);
    await this.stopLocalResources();
    const left = [...this.active.keys(), ...starting()];
    if (left.length > 0) {
      this.log.error({ resources: left }, 'could not stop every resource: not leaving cleanly (the cluster will take this node for lost and fence it)');
      await this.close();
      return `vigild on ${this.node} stopped (${why}), but NOT cleanly: ${[...new Set(left)].join(', ')} could not be stopped; the cluster will fence ${this.node}`;
    }
    try {
      if (this.engine.isDc) {
        this.ctl.stopDc();
        await this.engine.propose({ kind: 'node-state', node: this.node, state: 'left', at: epochS(Date.now()) });
      }
      await this.engine.stop();
      // Messages sent just before the engine stopped are on their way over UDP; let them land
      // before the goodbye (TCP), so that none arrives after it and releases a held vote.
      await sleep(50);
      // Every peer: whichever becomes DC next must not take this node's silence for a loss.
      const told = await Promise.allSettled(this.settings.nodes.filter((n) => n.name !== this.node).map((n) => this.peer.call(n.name, 'leave', { stopped: true }, 3000)));
      if (told.length > 0 && !told.some((r) => r.status === 'fulfilled')) throw new Error('no peer answered');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not tell the DC that this node leaves; it may be fenced');
    }
    await this.close();
    return `vigild on ${this.node} stopped (${why})`;
  }

  async close(): Promise<void> {
    if (this.contactTimer) clearInterval(this.contactTimer);
    if (this.petTimer) clearInterval(this.petTimer);
    this.ctl.stopAll();
    await this.executor.shutdown();
    this.hwWatchdog?.stop();
    this.supervisor?.stdin?.write('disarm\n');
    this.supervisor?.stdin?.end();
    await this.engine.stop();
    await this.peer.close();
    // Not awaited: the connection that asked for the shutdown still waits for its answer.
    this.api?.close();
  }

  private async stopLocalResources(): Promise<void> {
    for (const req of [...this.active.values()].reverse()) {
      this.executor.cancelMonitor(req.resource);
      const r = await this.executor.execute(req);
      this.log.info({ resource: req.resource, rc: r.rc }, 'stopped at shutdown');
    }
  }

  private warn(msg: string): void {
    this.warnings.push(msg);
    if (this.warnings.length > 20) this.warnings.splice(0, this.warnings.length - 20);
    this.log.warn(msg);
  }

  // ------------------------------------------------------------------------------------------- supervisor

  private startSupervisor(): void {
    const wd = this.settings.fencing.watchdogTimeoutMs;
    // Without a watchdog timeout the supervisor still guards against the daemon dying alone.
    const timeout = wd ?? 10_000;
    const agents = { nodeName: this.node, stateDir: join(this.runtimeDir, 'agents'), rscTmpDir: join(this.runtimeDir, 'resource-agents') };
    const child = spawn(process.execPath, [SUPERVISOR_JS, String(process.pid), String(Math.max(200, Math.floor(timeout / 2))), JSON.stringify(agents), String(Math.floor(timeout / 4))], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.on('exit', (code) => {
      if (!this.stopping) this.log.error({ code }, 'self-fencing supervisor exited');
    });
    child.stdin?.on('error', () => undefined);
    this.supervisor = child;
    const every = Math.max(50, Math.floor(timeout / 8));
    this.petTimer = setInterval(() => this.supervisorLine('pet'), every);
    this.log.info({ pid: child.pid, timeoutMs: timeout }, 'self-fencing supervisor started');
  }

  private supervisorLine(line: string): void {
    const s = this.supervisor;
    if (s?.stdin && !s.stdin.destroyed) s.stdin.write(`${line}\n`);
  }

  // ------------------------------------------------------------------------------------------- engine

  private wireEngine(): void {
    const e = this.engine;
    e.on('restore', (snap) => {
      this.cib = JSON.parse(snap.data) as Cib;
      this.configSeen = true;
      this.lastApplied = snap.index;
      this.ctl.cibReplaced(this.cib, Date.now());
    });
    e.on('committed', (entry) => {
      this.lastApplied = entry.index;
      if (entry.data.type !== 'cib') return;
      const u = entry.data.update as CibUpdate;
      if (u.kind === 'config') this.configSeen = true;
      this.cib = this.ctl.apply(this.cib, u, Date.now());
      if (++this.sinceCompact >= COMPACT_EVERY) {
        this.sinceCompact = 0;
        e.compact(entry.index, JSON.stringify(this.cib));
      }
    });
    e.on('lease', ({ valid }) => {
      if (valid) this.becomeDc();
      else {
        this.log.info('DC lease lost: the DC controller stops');
        this.ctl.stopDc();
      }
    });
    e.on('quorum', ({ quorate }) => {
      this.ctl.dcInput({ type: 'quorum', now: Date.now(), haveQuorum: quorate });
      if (quorate) this.announceAddresses('quorum regained');
    });
    e.on('dc', ({ dc }) => this.ctl.nodeInput({ type: 'dc-changed', now: Date.now(), dc }));
    e.on('peer', (p) => {
      if (p.event === 'down' && !this.settings.fencing.enabled && this.settings.quorum.twoNode) {
        // Heartbeat v1 semantics (no fencing): the survivor takes over as if the peer were fenced.
        this.warn(`${p.peer} is gone and fencing is disabled: taking over without fencing it (split-brain is possible)`);
        this.engine.fenced(p.peer);
      }
      if (p.event === 'restarted' || (p.event === 'up' && p.incarnation !== this.leaving.get(p.peer))) this.leaving.delete(p.peer);
      // A new incarnation: its executor lost its state (and numbers calls from 1), so the DC
      // forgets what it recorded there and probes it (docs/controller.md).
      this.feedMembership(p.event === 'restarted' ? [p.peer] : []);
      if (p.event === 'up' || p.event === 'recovered' || p.event === 'restarted') this.announceAddresses(`peer ${p.peer} ${p.event}`);
    });
  }

  private members(): string[] {
    try {
      return [this.node, ...this.engine.status().peers.filter((p) => p.status === 'alive' || p.status === 'late').map((p) => p.node)
        .filter((n) => this.settings.nodes.some((x) => x.name === n) && !this.leaving.has(n))];
    } catch {
      return [this.node];
    }
  }

  private feedMembership(restarted: string[] = []): void {
    const members = this.members();
    const r = restarted.length ? { restarted } : {};
    // The node controller too: in two-node mode it fences a lost peer itself (the fence race).
    this.ctl.nodeInput({ type: 'membership', now: Date.now(), members, left: [...this.leaving.keys()], ...r });
    this.ctl.dcInput({ type: 'membership', now: Date.now(), members, left: [...this.leaving.keys()], ...r, ...this.ctl.fencedByRace() });
  }

  private becomeDc(): void {
    this.log.info('DC lease valid: this node is DC');
    const now = Date.now();
    this.ctl.startDc(this.cib, now, this.members(), this.engine.quorate);
    if (!this.configSeen && !this.proposingConfig) {
      // First DC of a new cluster: the configuration enters the log from the file.
      this.proposingConfig = true;
      this.engine.propose({ kind: 'config', config: this.o.loaded.config })
        .then(() => this.log.info('configuration from the file entered the log'))
        .catch((e: Error) => this.log.warn({ err: e.message }, 'proposing the configuration failed'))
        .finally(() => { this.proposingConfig = false; });
    }
  }

  /** Two-way contact with a quorate DC that counts this node a member: what the node controller needs. */
  private feedContact(): void {
    if (this.stopping) return;
    const dc = this.engine.dc;
    const quorate = this.engine.quorate;
    if (!quorate || !dc) return;
    const me = this.cib.status.nodes.find((n) => n.name === this.node);
    const member = dc === this.node || me?.join === 'member';
    if (!this.joinedOnce && quorate) {
      this.joinedOnce = true;
      this.ctl.nodeInput({ type: 'joined', now: Date.now() });
    }
    if (member) this.ctl.nodeInput({ type: 'dc-contact', now: Date.now(), dc });
    else this.ctl.nodeTick(Date.now());
  }

  // ------------------------------------------------------------------------------------------- controller outputs

  private onDcOutput(out: DcOutput): void {
    switch (out.type) {
      case 'execute': void this.dispatch(out.request); break;
      case 'fence': void this.runFence(out.request); break;
      case 'propose':
        this.engine.propose(out.update).catch((e: Error) => this.log.info({ err: e.message, kind: out.update.kind, id: out.id }, 'proposal not committed'));
        break;
      case 'transition':
        this.transition = { id: out.id, pending: out.actions, complete: false };
        this.log.info({ transition: out.id, phase: out.phase, actions: out.actions, summary: out.summary }, 'transition');
        break;
      case 'transition-done':
        this.transition = { id: out.id, pending: 0, complete: out.complete };
        this.log.info({ transition: out.id, complete: out.complete, reason: out.reason }, 'transition done');
        break;
      case 'idle':
        // An aborted transition stays the last one when the replan finds nothing to do: it is
        // not left undone, it is superseded (the cluster is as the scheduler wants it).
        if (this.transition && !this.transition.complete && this.transition.pending === 0) {
          this.log.info({ transition: this.transition.id, reason: out.reason }, 'transition superseded: the replan after it found nothing to do');
          this.transition = { ...this.transition, complete: true, superseded: true };
        }
        break;
      case 'log': this.log[out.line.level]({ from: 'dc' }, out.line.message); break;
    }
  }

  private onNodeOutput(out: NodeOutput): void {
    switch (out.type) {
      case 'execute': void this.executeHere(out.request); break;
      case 'report': void this.reportToDc(out.result); break;
      case 'watchdog':
        if (out.deadline === null) this.supervisorLine('deadline none');
        else this.supervisorLine(`deadline ${out.deadline}`);
        this.hwWatchdog?.setDeadline(out.deadline);
        break;
      // The two-node fence race: the same devices as the DC's fencing; the result goes back to the node controller.
      case 'fence': void this.runFence(out.request, 'node'); break;
      case 'self-fence':
        this.log.fatal({ reason: out.reason }, 'self-fencing');
        this.hwWatchdog?.fence(out.reason);
        this.supervisorLine('fence');
        this.selfFenceFallback();
        break;
      case 'quorum': this.log.info({ quorate: out.have }, out.have ? 'node: quorum' : 'node: no quorum'); break;
      case 'log': this.log[out.line.level]({ from: 'node' }, out.line.message); break;
    }
  }

  /** Without a supervisor, a self-fence stops the resources here and exits. */
  private selfFenceFallback(): void {
    if (this.supervisor && this.supervisor.exitCode === null) return;
    void this.stopLocalResources().finally(() => process.exit(3));
  }

  private async dispatch(req: ExecuteRequest): Promise<void> {
    if (req.node === this.node) {
      const refused = this.refuseWhileStopping(req);
      if (refused) {
        this.log.warn({ resource: req.resource, action: req.action }, refused);
        setTimeout(() => this.ctl.dcInput({ type: 'action-undeliverable', now: Date.now(), node: req.node, userData: req.userData, maybeRan: false }), 500);
        return;
      }
      const r = await this.executeHere(req);
      if (r) this.ctl.dcInput({ type: 'action-result', now: Date.now(), node: req.node, result: r });
      return;
    }
    // Addressed to the node's incarnation as membership knows it: a request held up in the network
    // must not be run by a later incarnation (the node rebooted after fencing, or its daemon
    // restarted), which the DC has not probed yet and whose state the request was not planned for.
    const to = this.engine.status().peers.find((p) => p.node === req.node)?.incarnation;
    // Stamped with this DC's term: the node refuses a request from a DC it does not follow, or of a
    // term it has left behind (a deposed DC's request that was held up in the network).
    const body = { ...req, dcTerm: this.engine.term, ...(to === undefined ? {} : { toIncarnation: to }) };
    try {
      const r = await this.peer.call<ActionResult | null>(req.node, 'execute', body, req.timeoutMs + 15_000);
      if (r) this.ctl.dcInput({ type: 'action-result', now: Date.now(), node: req.node, result: r });
    } catch (e) {
      // Refused (another incarnation, not its DC, a stale term, shutting down: it did not run), or
      // no answer (the connection broke or timed out: it may have run). No result is recorded; the
      // DC plans again, and probes the node first where the operation may have run.
      const maybeRan = !(e instanceof PeerError && e.refused);
      this.log.warn({ node: req.node, resource: req.resource, action: req.action, maybeRan, err: (e as Error).message }, 'execute request undeliverable');
      // Reported after a pause: a node that refuses connections is usually going away, and an
      // immediate report would have the DC replan and resend in a tight loop until it is gone.
      setTimeout(() => this.ctl.dcInput({ type: 'action-undeliverable', now: Date.now(), node: req.node, userData: req.userData, maybeRan }), 500);
    }
  }

  /**
   * A node that is leaving brings nothing up any more (a DC may have planned it before it heard
   * of the shutdown): no start, promote or recurring monitor; stops, demotes and probes still run.
   * The DC takes the refusal as undeliverable and plans again.
   */
  private refuseWhileStopping(req: ExecuteRequest): string | null {
    if (!this.stopping || !refusedWhileLeaving(req)) return null;
    return `${this.node} is shutting down: ${req.action} of ${req.resource} refused`;
  }

  /** The peer in a two-node cluster (two_node, exactly two voters, no witness), else null. */
  private twoNodePeer(): string | null {
    return twoNodePeerOf(quorumView(this.settings), this.node);
  }

  /** Run a request on this node. A recurring one starts a monitor and returns null (results follow). */
  private async executeHere(req: ExecuteRequest): Promise<ActionResult | null> {
    if (req.cancelRecurring) this.executor.cancelMonitor(req.resource);
    if (req.agent.class === 'stonith') return this.fenceDeviceOperation(req);
    if (req.action === 'start') this.startedWith.set(req.resource, req.params);
    const opReq: OperationRequest = {
      resource: req.resource, agent: req.agent, action: req.action, params: req.params, meta: req.meta,
      timeoutMs: req.timeoutMs, intervalMs: req.intervalMs, userData: req.userData,
    };
    if (req.intervalMs > 0) {
      this.executor.startMonitor(opReq, { onReport: ({ result }) => void this.reportToDc(toActionResult(result)) });
      return null;
    }
    const r = await this.executor.execute(opReq);
    return toActionResult(r);
  }

  /**
   * A fence device "runs" on a node when that node has it registered; start and stop register it,
   * a monitor asks the agent whether the device answers.
   */
  private async fenceDeviceOperation(req: ExecuteRequest): Promise<ActionResult | null> {
    const t0 = Date.now();
    let rc = 0;
    let exitReason: string | undefined;
    if (req.action === 'start') this.fenceDevices.add(req.resource);
    else if (req.action === 'stop') this.fenceDevices.delete(req.resource);
    else if (req.action === 'monitor') {
      if (!this.fenceDevices.has(req.resource)) rc = 7;
      else {
        const prim = { kind: 'primitive', id: req.resource, agent: req.agent, params: req.params, meta: {}, operations: [], utilization: {} } as Primitive;
        const dev = deviceFromPrimitive(prim);
        const r = await this.fence.run({ agent: dev.agent, action: 'monitor', params: Object.fromEntries(Object.entries(dev.params).filter(([k]) => !k.startsWith('pcmk_'))), timeoutMs: req.timeoutMs });
        if (!r.ok) { rc = 1; exitReason = r.error; }
      }
      if (req.intervalMs > 0) return null; // the device is checked on use; no recurring runs here
    }
    const result: ActionResult = {
      callId: this.executor.takeCallId(), resource: req.resource, action: req.action, intervalMs: req.intervalMs, rc, opStatus: 0,
      ...(exitReason ? { exitReason } : {}), durationMs: Date.now() - t0, startedAt: t0, finishedAt: Date.now(), userData: req.userData,
    };
    this.ctl.nodeInput({ type: 'executed', now: Date.now(), result });
    return result;
  }

  /** Track what runs here (for the supervisor and a clean shutdown) and tell the node controller. */
  private onLocalResult(r: OperationResult): void {
    const ok = r.opStatus === 0;
    const running = ok && (r.rc === 0 || r.rc === 8);
    if ((r.action === 'start' || r.action === 'promote' || (r.action === 'monitor' && r.intervalMs === 0)) && running) {
      const stop: OperationRequest = {
        resource: r.resource, agent: r.agent, action: 'stop', params: this.paramsOf(r.resource), meta: {}, timeoutMs: this.stopTimeout(r.resource), intervalMs: 0,
      };
      this.active.set(r.resource, stop);
      this.supervisorLine(`rsc ${JSON.stringify(stop)}`);
    } else if ((r.action === 'stop' && ok && (r.rc === 0 || r.rc === 7)) || (r.action === 'monitor' && r.intervalMs === 0 && ok && r.rc === 7)) {
      this.active.delete(r.resource);
      this.supervisorLine(`gone ${r.resource}`);
    }
    this.ctl.nodeInput({ type: 'executed', now: Date.now(), result: toActionResult(r) });
  }

  private primitiveOf(resource: string): Primitive | undefined {
    const base = resource.replace(/:\d+$/, '');
    const f = findResource(this.cib.config, base);
    return f?.self.kind === 'primitive' ? f.self : undefined;
  }

  /** For the stop at shutdown or self-fencing: what it was started with here, else its configuration. */
  private paramsOf(resource: string): Record<string, string> {
    return { ...(this.startedWith.get(resource) ?? this.primitiveOf(resource)?.params ?? {}) };
  }

  private stopTimeout(resource: string): number {
    const op = this.primitiveOf(resource)?.operations.find((o) => o.name === 'stop');
    return op?.timeoutMs ?? 20_000;
  }

  private async reportToDc(result: ActionResult): Promise<void> {
    const dc = this.engine.dc;
    if (!dc) return;
    if (dc === this.node) { this.ctl.dcInput({ type: 'action-result', now: Date.now(), node: this.node, result }); return; }
    try {
      await this.peer.call(dc, 'result', result, 10_000);
    } catch (e) {
      this.log.warn({ dc, err: (e as Error).message }, 'could not report a result to the DC');
    }
  }

  /** A fence the DC controller asked for, or the node controller (`from: 'node'`: the two-node fence race). */
  private async runFence(req: FenceRequest, from: 'dc' | 'node' = 'dc'): Promise<void> {
    const done = (ok: boolean, reason?: string): void => {
      this.log[ok ? 'info' : 'error']({ target: req.node, ok, reason, from }, 'fencing result');
      const result = { type: 'fence-result', now: Date.now(), node: req.node, key: req.key, ok, ...(reason ? { reason } : {}) } as const;
      // The node controller first: the held vote may make this node DC at once, and that DC must
      // hear (fencedByRace) that the peer is fenced already.
      if (from === 'node') this.ctl.nodeInput(result);
      // In two-node mode this node now holds the fenced peer's vote (until it is heard again).
      if (ok) this.engine.fenced(req.node);
      if (from === 'dc') this.ctl.dcInput(result);
    };
    this.log.warn({ target: req.node, reason: req.reason, method: req.method, from }, 'fencing');
    if (req.method === 'watchdog') {
      // Best effort: ask it to kill itself; the DC waits watchdog-timeout regardless.
      this.peer.call(req.node, 'self-fence', { reason: req.reason, sentAt: Date.now() }, 2000).catch(() => undefined);
      return;
    }
    let last = 'no fencing level configured';
    for (const level of req.levels) {
      const results = await Promise.all(level.map(async (d) => {
        const prim = { kind: 'primitive', id: d.device, agent: { class: 'stonith', type: d.agent }, params: d.params, meta: {}, operations: [], utilization: {} } as Primitive;
        // An agent's `off` exits 0 only once it has seen the power go off (the ClusterLabs agents
        // poll the status themselves), so no second `status` call: it would add a process start
        // to every failover.
        return this.fence.run(fenceRequest(deviceFromPrimitive(prim), req.action, req.node, req.timeoutMs));
      }));
      const failed = results.find((r) => !r.ok);
      if (!failed) { done(true); return; }
      last = failed.error ?? `rc ${failed.rc}`;
    }
    done(false, last);
  }

  /** Announce the virtual IPs held here again (gratuitous ARP): after a partition heals. */
  private announceAddresses(why: string): void {
    for (const req of this.active.values()) {
      const announce = announceRequest(req);
      if (!announce) continue;
      this.log.info({ resource: req.resource, why }, 'announcing the address again');
      void this.executor.execute(announce);
    }
  }

  // ------------------------------------------------------------------------------------------- peer channel

  private async onPeer(from: string, method: string, body: unknown): Promise<unknown> {
    switch (method) {
      case 'execute': {
        const { toIncarnation, dcTerm, ...req } = body as ExecuteRequest & { toIncarnation?: number; dcTerm?: number };
        if (req.node !== this.node) throw new Error(`request for ${req.node} sent to ${this.node}`);
        const mine = this.engine.status().incarnation;
        if (toIncarnation !== undefined && toIncarnation !== mine) {
          this.log.warn({ from, resource: req.resource, action: req.action, toIncarnation, incarnation: mine }, 'execute request for an earlier incarnation of this node refused');
          throw new ApiUnavailableError(`request for incarnation ${toIncarnation} of ${this.node}, which is now ${mine}`);
        }
        // Only from the DC this node follows, in its term (dc-orders.ts).
        const order = judgeOrder({ from, dcTerm, dc: this.engine.dc, term: this.engine.term });
        if (!order.ok) {
          this.log.warn({ from, dcTerm, dc: this.engine.dc, term: this.engine.term, resource: req.resource, action: req.action }, `execute request refused: ${order.reason}`);
          throw new ApiUnavailableError(order.reason);
        }
        const refused = this.refuseWhileStopping(req);
        if (refused) throw new ApiUnavailableError(refused);
        // The node's own judgement last (docs/controller.md): e.g. no start once it has lost its quorate contact.
        const may = this.ctl.mayRun(req, Date.now());
        if (!may.ok) {
          this.log.warn({ from, resource: req.resource, action: req.action }, `execute request refused: ${may.reason}`);
          throw new ApiUnavailableError(may.reason);
        }
        return this.executeHere(req);
      }
      case 'leave': {
        // The node stopped its resources (and, `stopped`, its engine): out of the membership, cleanly.
        const stopped = (body as { stopped?: unknown } | null)?.stopped === true;
        this.log.info({ node: from, stopped }, 'node leaves the cluster');
        this.leaving.set(from, this.engine.status().peers.find((p) => p.node === from)?.incarnation);
        this.feedMembership();
        if (stopped && this.twoNodePeer() === from) {
          // Two-node: hold its vote, as after a fence, so this node stays (or becomes) DC and keeps
          // the service; its first message when it comes back releases the vote
          // (docs/coordination.md#quorum).
          this.log.warn(`${from} left cleanly (two-node): this node holds its vote and keeps the resources running`);
          this.engine.left(from);
        }
        return null;
      }
      case 'result':
        this.ctl.dcInput({ type: 'action-result', now: Date.now(), node: from, result: body as ActionResult });
        return null;
      case 'admin':
        if (!this.engine.isDc) throw new ApiUnavailableError(`${this.node} is not the DC`);
        return this.onAdmin(body as ApiRequest);
      case 'propose':
        if (!this.engine.isDc) throw new ApiUnavailableError(`${this.node} is not the DC`);
        return this.engine.propose(body as CibUpdate);
      case 'self-fence': {
        const order = body as { reason?: string; sentAt?: number };
        // Only a fresh order counts: one held up in the network is about a past situation.
        if (typeof order.sentAt !== 'number' || Date.now() - order.sentAt > 2000) {
          this.log.warn({ from, sentAt: order.sentAt }, 'stale self-fence order ignored');
          return null;
        }
        this.log.fatal({ from, reason: order.reason }, 'asked to self-fence');
        this.hwWatchdog?.fence(order.reason ?? 'asked by the DC');
        this.supervisorLine('fence');
        this.selfFenceFallback();
        return null;
      }
      default:
        throw new Error(`unknown method ${method}`);
    }
  }

  /** Propose through the DC (here, or forwarded). */
  private async viaDc(update: CibUpdate): Promise<void> {
    if (this.engine.isDc) { await this.engine.propose(update); return; }
    const dc = this.engine.dc;
    if (!dc) throw new ApiUnavailableError('no DC: this partition has no quorum');
    await this.peer.call(dc, 'propose', update, 15_000);
  }

  // ------------------------------------------------------------------------------------------- local API

  private async onApi(req: ApiRequest): Promise<unknown> {
    switch (req.op) {
      case 'status': return this.statusView();
      case 'config-show': return { yaml: toVigilYaml(this.cib.config, this.settings, { header: `running configuration of ${this.settings.clusterName}, from ${this.node}` }), config: this.cib.config };
      case 'shutdown': return { note: await this.shutdown('vigil stop') };
      case 'node': case 'resource': case 'config-apply': case 'fence-confirm': {
        if (req.op === 'fence-confirm' && !this.engine.isDc && !(this.engine.dc && this.engine.quorate)) await this.twoNodeConfirm(req.node);
        if (this.engine.isDc) return this.onAdmin(req);
        const dc = this.engine.dc;
        if (!dc || !this.engine.quorate) throw new ApiUnavailableError('no DC: this partition has no quorum, so the cluster cannot be changed from here');
        return this.peer.call(dc, 'admin', req, 60_000);
      }
      default:
        throw new ApiInputError(`unknown request ${JSON.stringify((req as { op: unknown }).op)}`);
    }
  }

  private async proposeAll(updates: CibUpdate[]): Promise<void> {
    for (const u of updates) await this.engine.propose(u);
  }

  private async onAdmin(req: ApiRequest): Promise<unknown> {
    const now = Date.now();
    if (req.op === 'fence-confirm') return this.confirmFenced(req.node);
    if (req.op === 'node') {
      await this.proposeAll(nodeAdmin(this.cib.config, req.action, req.node));
      return { note: `${req.node}: ${req.action}` };
    }
    if (req.op === 'config-apply') {
      const changes = configPlan(this.cib.config, req.config);
      const actions = req.dryRun && changes.length > 0 ? this.ctl.previewConfig(req.config as ClusterConfig, now) : null;
      if (!req.dryRun && changes.length > 0) await this.engine.propose({ kind: 'config', config: req.config as ClusterConfig });
      return { changes, applied: !req.dryRun && changes.length > 0, ...(actions ? { actions } : {}) } satisfies ConfigPlan;
    }
    if (req.op !== 'resource') throw new ApiInputError('not an admin request');
    const { rsc, node } = req;
    switch (req.action) {
      case 'move': {
        const current = this.runningNodes(rsc);
        const cib = { ...this.cib, status: { ...this.cib.status, haveQuorum: this.engine.quorate } };
        const ch = resourceMove(cib, rsc, node, epochS(now), current);
        await this.proposeAll(ch.updates);
        return { note: ch.note };
      }
      case 'ban': {
        if (!node) throw new ApiInputError('ban needs a node');
        const ch = resourceBan(this.cib.config, rsc, node);
        await this.proposeAll(ch.updates);
        return { note: ch.note };
      }
      case 'clear': {
        const ch = resourceClear(this.cib.config, rsc);
        await this.proposeAll(ch.updates);
        return { note: ch.note };
      }
      case 'start': case 'stop': {
        const ch = resourceTargetRole(this.cib.config, rsc, req.action === 'start' ? 'Started' : 'Stopped');
        await this.proposeAll(ch.updates);
        return { note: ch.note };
      }
      case 'cleanup': {
        if (!findResource(this.cib.config, rsc)) throw new ApiInputError(`no resource "${rsc}"`);
        await this.engine.propose({ kind: 'resource-cleanup', rsc, ...(node ? { node } : {}) });
        return { note: `${rsc}: failures and history forgotten${node ? ` on ${node}` : ''}; it will be probed again` };
      }
      case 'restart': {
        const stop = resourceTargetRole(this.cib.config, rsc, 'Stopped');
        await this.proposeAll(stop.updates);
        const until = Date.now() + 60_000;
        while (this.runningNodes(rsc).length > 0 && Date.now() < until) await sleep(100);
        const start = resourceTargetRole(this.cib.config, rsc, 'Started');
        await this.proposeAll(start.updates);
        return { note: `${rsc}: restarted` };
      }
    }
    throw new ApiInputError("unknown resource action");
  }

  /**
   * `vigil fence confirm NODE` on the DC: the DC controller judges it (unknown node, a member that
   * is up: refused) and records NODE fenced; answered once that is committed.
   */
  private async confirmFenced(node: string): Promise<{ note: string }> {
    const check = this.ctl.confirmFenced(node, Date.now());
    if (!check.ok) throw check.code === 'input' ? new ApiInputError(check.reason) : new ApiUnavailableError(check.reason);
    this.log.warn({ target: node }, 'fencing confirmed by operator');
    // As after a fence device's success: in two-node mode this node holds the peer's vote until it returns.
    this.engine.fenced(node);
    const fenced = (): boolean => {
      const st = this.cib.status.nodes.find((n) => n.name === node);
      return !st || (!st.inCluster && st.expected === 'down');
    };
    const until = Date.now() + 15_000;
    while (!fenced() && Date.now() < until) await sleep(50);
    if (!fenced()) throw new ApiUnavailableError(`the DC accepted the confirmation, but ${node} was not recorded as fenced within 15 s: see \`vigil status\``);
    return {
      note: check.pending
        ? `${node}: fencing confirmed by operator; its resources are recovered elsewhere`
        : `${node}: recorded as fenced (confirmed by operator); it was not waiting to be fenced`,
    };
  }

  /**
   * Two-node mode: the survivor of a lost peer has no quorum, so no DC, so nothing fences the peer.
   * The operator's confirmation stands for the fence: this node holds the peer's vote (as after a
   * fence device's success), becomes DC, and the DC then records the peer fenced.
   */
  private async twoNodeConfirm(node: string): Promise<void> {
    const q = this.settings.quorum;
    if (node !== this.twoNodePeer()) return;
    if (this.members().includes(node)) throw new ApiInputError(`${node} is a member of the cluster and up: confirming it down would start its resources here while they still run there (split brain)`);
    this.log.warn({ target: node }, 'two-node: fencing confirmed by operator; holding its vote');
    this.engine.fenced(node);
    const until = Date.now() + 15_000;
    while (!(this.engine.isDc && this.ctl.isDcRunning) && Date.now() < until) await sleep(50);
    if (!this.engine.isDc) {
      throw new ApiUnavailableError(`${this.node} holds ${node}'s vote but did not become DC${q.waitForAll ? ' (wait_for_all: it has not been in step with a DC since it started)' : ''}`);
    }
  }

  /** Nodes where the resource (any primitive of its top-level resource) is known to run. */
  private runningNodes(rsc: string): string[] {
    const f = findResource(this.cib.config, rsc);
    if (!f) return [];
    const ids = new Set<string>();
    const walk = (r: typeof f.top): void => { if (r.kind === 'primitive') ids.add(r.id); else if (r.kind === 'group') r.members.forEach(walk); else walk(r.child); };
    walk(f.top);
    const r = schedule({ ...this.cib, status: { ...this.cib.status, haveQuorum: true } }, epochS(Date.now()));
    return [...new Set(r.current.filter((p) => ids.has(p.rsc) && p.role !== 'Stopped').map((p) => p.node))];
  }

  statusView(): DaemonStatus {
    const es = this.engine.status();
    const cib = this.cib;
    const fencing = stonithEnabled(cib);
    const nodes: NodeStatusView[] = cib.config.nodes.map((n) => {
      const peer = es.peers.find((p) => p.node === n.name);
      const st = cib.status.nodes.find((x) => x.name === n.name);
      const self = n.name === this.node;
      // A node that said goodbye is offline at once (its heartbeats may still be heard for a moment).
      const alive = self || ((peer?.status === 'alive' || peer?.status === 'late') && !this.leaving.has(n.name));
      // Lost without a clean leave and not fenced yet (the DC holds its resources until it is).
      const unclean = !alive && !!st && (st.unclean === true || (fencing && !st.inCluster && st.expected === 'member'));
      const v: NodeStatusView = {
        name: n.name,
        state: alive ? 'online' : unclean ? 'unclean' : 'offline',
        standby: truthy(n.attributes.standby) || truthy(st?.transientAttributes.standby),
        maintenance: truthy(n.attributes.maintenance),
        dc: es.dc === n.name,
        links: self ? { local: 'self' } : Object.fromEntries(Object.entries(peer?.links ?? {}).map(([l, s]) => [l, String(s)])),
      };
      if (st?.shutdown !== undefined && !alive) v.downSince = new Date(st.shutdown * 1000).toISOString();
      if (st?.lastFence) v.lastFence = { how: st.lastFence.how, ...(st.lastFence.at !== undefined ? { at: new Date(st.lastFence.at * 1000).toISOString() } : {}) };
      return v;
    });
    let current: Array<{ rsc: string; node: string; role: string }> = [];
    let placements: typeof current = [];
    try {
      const r = schedule({ ...cib, status: { ...cib.status, haveQuorum: es.quorate } }, epochS(Date.now()));
      current = r.current;
      placements = r.placements;
    } catch (e) {
      this.warnings.push(`status: scheduler failed: ${(e as Error).message}`);
    }
    const resources: ResourceStatusView[] = [];
    const visit = (r: ClusterConfig['resources'][number], parent?: string): void => {
      if (r.kind === 'group') { r.members.forEach((m) => visit(m, r.id)); return; }
      if (r.kind === 'clone') { visit(r.child, r.id); return; }
      const failures = cib.status.nodes.flatMap((n) => Object.entries(n.transientAttributes)
        .filter(([k, v]) => k.startsWith(`fail-count-${r.id}#`) && Number(v) !== 0)
        .map(([k, v]) => ({ node: n.name, operation: k.slice(`fail-count-${r.id}#`.length), count: v === 'INFINITY' ? 1_000_000 : Number(v) })));
      resources.push({
        id: r.id, ...(parent ? { parent } : {}), agent: formatAgent(r.agent),
        running: current.filter((p) => p.rsc === r.id && p.role !== 'Stopped').map((p) => ({ node: p.node, role: p.role as 'Started' })),
        target: placements.filter((p) => p.rsc === r.id && p.role !== 'Stopped').map((p) => p.node),
        managed: !['false', 'no', 'off', '0'].includes((r.meta['is-managed'] ?? 'true').toLowerCase()),
        failures,
      });
    };
    cib.config.resources.forEach((r) => visit(r));
    const wd = this.settings.fencing.watchdogTimeoutMs;
    return {
      node: this.node, cluster: this.settings.clusterName, pid: process.pid,
      dc: es.dc, isDc: es.isDc, quorate: es.quorate, term: es.term, commitIndex: es.commitIndex,
      configSource: this.settings.source, noQuorumPolicy: this.settings.noQuorumPolicy,
      fencing: {
        enabled: this.settings.fencing.enabled,
        ...(wd !== undefined ? { watchdogTimeoutMs: wd } : {}),
        selfFence: this.o.watchdogDevice ? `watchdog device ${this.o.watchdogDevice}` : this.supervisor ? `supervisor process ${this.supervisor.pid}` : 'none',
      },
      nodes, resources, ...(this.transition ? { transition: this.transition } : {}), warnings: [...this.warnings],
    };
  }
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['true', 'yes', 'on', '1', 'y'].includes(v.trim().toLowerCase());
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function toActionResult(r: OperationResult): ActionResult {
  return {
    callId: r.callId, resource: r.resource, action: r.action, intervalMs: r.intervalMs, rc: r.rc, opStatus: r.opStatus,
    ...(r.exitReason !== undefined ? { exitReason: r.exitReason } : {}),
    durationMs: r.durationMs, queueTimeMs: r.queueTimeMs, startedAt: r.startedAt, finishedAt: r.finishedAt,
    ...(r.userData !== undefined ? { userData: r.userData } : {}),
  };
}

// ---------------------------------------------------------------------------------------------

export interface RunVigildOptions {
  loaded: LoadedClusterConfig;
  node: string;
  stateDir?: string;
  runtimeDir?: string;
  logFile?: string;
  logLevel?: string;
  watchdogDevice?: string;
}

/** Run the daemon in this process until SIGTERM/SIGINT or `vigil stop`. */
export async function runVigild(o: RunVigildOptions): Promise<void> {
  const dest = o.logFile ? pino.destination({ dest: o.logFile, mkdir: true, sync: false }) : pino.destination(2);
  const logger = pino({ level: o.logLevel ?? 'info', base: { pid: process.pid } }, dest);
  const d = new Vigild({ loaded: o.loaded, node: o.node, ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.runtimeDir ? { runtimeDir: o.runtimeDir } : {}), logger, ...(o.watchdogDevice ? { watchdogDevice: o.watchdogDevice } : {}) });
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const stop = (sig: string): void => {
    void d.shutdown(sig, 30_000).catch((e: Error) => logger.error({ err: e.message }, 'shutdown failed')).finally(() => { logger.flush(); resolveDone(); });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await d.start();
  const origShutdown = d.shutdown.bind(d);
  d.shutdown = async (why: string, t?: number) => {
    const r = await origShutdown(why, t);
    setTimeout(() => { logger.flush(); resolveDone(); }, 50);
    return r;
  };
  await done;
}
