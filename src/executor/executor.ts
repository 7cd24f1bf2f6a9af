/**
 * The executor: runs resource agent operations on this node for the controller. Operations on one
 * resource run one at a time in submission order; different resources run in parallel up to a
 * node-wide limit. Recurring monitors re-run themselves and report, like Pacemaker's executor,
 * only the first result, changes and failures (or everything, when asked). Probes are one-off
 * monitors whose rc is read as a state.
 */
import { cpus } from 'node:os';
import { OcfRc, OpStatus, type AgentRef, type Attributes, type OperationName } from '../model/index.js';
import { defaultAgentSettings, type AgentContext, type AgentResult, type AgentSettings } from '../agents/types.js';
import { formatAgent, resolveDriver } from '../agents/registry.js';
import { MetadataError, parseMetadata, type AgentMetadata } from '../agents/metadata.js';
import { runProcess } from './process.js';

export interface OperationRequest {
  /** Resource (or clone instance) id; operations with the same id are serialised. */
  resource: string;
  agent: AgentRef;
  action: OperationName;
  params?: Attributes;
  /** Meta attributes for the agent (clone_max, notify_*, on_node, ...), without the CRM_meta_ prefix. */
  meta?: Attributes;
  /** Default: ExecutorOptions.defaultTimeoutMs. */
  timeoutMs?: number;
  /** For recurring operations (monitors); 0 or absent otherwise. */
  intervalMs?: number;
  /** Echoed back in the result (the controller's transition key, for instance). */
  userData?: string;
}

export interface OperationResult {
  callId: number;
  resource: string;
  agent: AgentRef;
  action: OperationName;
  intervalMs: number;
  /** OCF exit code (after mapping LSB/systemd/Heartbeat conventions). */
  rc: number;
  opStatus: OpStatus;
  exitReason?: string;
  /** The last few KiB of the agent's output, for logs and `vigil status`. */
  stdoutTail: string;
  stderrTail: string;
  /** Time spent running (ms). */
  durationMs: number;
  /** Time spent waiting behind other operations of the resource or for a free slot (ms). */
  queueTimeMs: number;
  /** Wall-clock start and end (epoch ms), for last-run / last-rc-change. */
  startedAt: number;
  finishedAt: number;
  userData?: string;
}

export type ProbeState = 'running' | 'stopped' | 'promoted' | 'failed';

export interface ProbeResult {
  state: ProbeState;
  result: OperationResult;
}

export interface MonitorReport {
  result: OperationResult;
  /** First result of this monitor. */
  first: boolean;
  /** rc or status differs from the previous run. */
  changed: boolean;
}

export interface MonitorOptions {
  /** Report every result, not only the first, changes and failures. */
  reportAll?: boolean;
  /** Delay before the first run (Pacemaker's start-delay); default 0. */
  startDelayMs?: number;
  onReport: (report: MonitorReport) => void;
}

export interface MonitorHandle {
  /** `resource_action_interval`, as Pacemaker keys recurring operations. */
  key: string;
  cancel(): void;
}

export interface PendingOperation {
  callId: number;
  resource: string;
  action: OperationName;
  intervalMs: number;
  /** Waiting behind the resource's other operations or for a slot, or running. */
  state: 'queued' | 'running';
  /** Wall-clock time (epoch ms) of submission, or of the start once running. */
  since: number;
}

export interface ExecutorOptions {
  agents?: Partial<AgentSettings>;
  /** Operations running at once on this node (default: 2 per CPU, at least 4). */
  maxConcurrent?: number;
  defaultTimeoutMs?: number;
  /** Call ids continue from here (a restarted daemon passes the highest it recorded). */
  firstCallId?: number;
  /** Bytes of output kept in results (default 4096). */
  outputTailBytes?: number;
  /** Wall clock (epoch ms); injectable for tests. */
  now?: () => number;
}

interface Monitor {
  key: string;
  req: OperationRequest;
  opts: MonitorOptions;
  cancelled: boolean;
  timer?: NodeJS.Timeout;
  last?: { rc: number; opStatus: OpStatus };
}

export function monitorKey(resource: string, action: string, intervalMs: number): string {
  return `${resource}_${action}_${intervalMs}`;
}

/** A monitor result that is not "running" in some role, or did not complete. */
export function isMonitorFailure(r: Pick<OperationResult, 'rc' | 'opStatus'>): boolean {
  return r.opStatus !== OpStatus.Done || (r.rc !== OcfRc.Success && r.rc !== OcfRc.RunningPromoted);
}

/** A probe's rc read as a state: 0 running, 7 stopped, 8 promoted, anything else (or no result) failed. */
export function probeState(r: Pick<OperationResult, 'rc' | 'opStatus'>): ProbeState {
  if (r.opStatus !== OpStatus.Done) return 'failed';
  if (r.rc === OcfRc.Success) return 'running';
  if (r.rc === OcfRc.NotRunning) return 'stopped';
  if (r.rc === OcfRc.RunningPromoted) return 'promoted';
  return 'failed';
}

function tail(s: string, bytes: number): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= bytes ? s : b.subarray(b.length - bytes).toString('utf8');
}

export class Executor {
  readonly settings: AgentSettings;
  private readonly maxConcurrent: number;
  private readonly defaultTimeoutMs: number;
  private readonly tailBytes: number;
  private readonly now: () => number;
  private nextCallId: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The last queued operation of each resource: the next one starts after it. */
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly monitorsByKey = new Map<string, Monitor>();
  private readonly inflight = new Set<AbortController>();
  /** Submitted operations not yet finished, by call id (for status displays and record-pending). */
  private readonly pendingOps = new Map<number, PendingOperation>();
  private readonly listeners = new Set<(r: OperationResult) => void>();
  private readonly metadataCache = new Map<string, Promise<AgentMetadata>>();
  private closed = false;

  constructor(opts: ExecutorOptions = {}) {
    this.settings = defaultAgentSettings(opts.agents);
    this.maxConcurrent = Math.max(1, opts.maxConcurrent ?? Math.max(4, 2 * cpus().length));
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 20_000;
    this.tailBytes = opts.outputTailBytes ?? 4096;
    this.now = opts.now ?? Date.now;
    this.nextCallId = (opts.firstCallId ?? 0) + 1;
  }

  /** Called with every completed operation (one-off, probe or monitor run), e.g. for logging. */
  onResult(listener: (r: OperationResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The highest call id handed out so far. */
  get lastCallId(): number {
    return this.nextCallId - 1;
  }

  /** A call id in this executor's sequence for an operation its owner carries out itself. */
  takeCallId(): number {
    return this.nextCallId++;
  }

  /** Run one operation; never rejects (every failure is a result). */
  execute(req: OperationRequest): Promise<OperationResult> {
    const callId = this.nextCallId++;
    const submitted = performance.now();
    this.trackQueued(req, callId);
    return this.serialise(req.resource, () => this.withSlot(() => this.run(req, callId, submitted)));
  }

  /** Run a monitor once, with interval 0, and read the rc as a state. */
  async probe(req: Omit<OperationRequest, 'action' | 'intervalMs'>): Promise<ProbeResult> {
    const result = await this.execute({ ...req, action: 'monitor', intervalMs: 0 });
    return { state: probeState(result), result };
  }

  /** Probe several resources (a node joining, a new DC): all at once, each in its resource's queue. */
  async probeAll(reqs: Array<Omit<OperationRequest, 'action' | 'intervalMs'>>): Promise<Map<string, ProbeResult>> {
    const results = await Promise.all(reqs.map((r) => this.probe(r)));
    return new Map(reqs.map((r, i) => [r.resource, results[i]]));
  }

  /** `validate-all` for a configured resource (does not touch the running service). */
  validate(req: Omit<OperationRequest, 'action' | 'intervalMs'>): Promise<OperationResult> {
    return this.execute({ ...req, action: 'validate-all', intervalMs: 0 });
  }

  /**
   * Start a recurring operation (normally monitor). Replaces one with the same key. Runs go
   * through the resource's queue like any operation; the next run is scheduled `intervalMs`
   * after the previous one ends.
   */
  startMonitor(req: OperationRequest, opts: MonitorOptions): MonitorHandle {
    const interval = req.intervalMs ?? 0;
    if (!(interval > 0)) throw new RangeError(`a recurring operation needs an interval > 0 (got ${interval})`);
    const key = monitorKey(req.resource, req.action, interval);
    this.cancelKey(key);
    const m: Monitor = { key, req: { ...req, intervalMs: interval }, opts, cancelled: false };
    this.monitorsByKey.set(key, m);
    this.scheduleMonitor(m, opts.startDelayMs ?? 0);
    return { key, cancel: () => this.cancelKey(key) };
  }

  /** Cancel recurring operations of a resource: one interval, or all of them. Returns how many. */
  cancelMonitor(resource: string, intervalMs?: number, action = 'monitor'): number {
    let n = 0;
    for (const m of [...this.monitorsByKey.values()]) {
      if (m.req.resource !== resource) continue;
      if (intervalMs !== undefined && (m.req.intervalMs !== intervalMs || m.req.action !== action)) continue;
      this.cancelKey(m.key);
      n++;
    }
    return n;
  }

  /** Operations submitted and not finished yet, oldest first. */
  pending(): PendingOperation[] {
    return [...this.pendingOps.values()].map((p) => ({ ...p }));
  }

  /** The recurring operations currently scheduled. */
  monitors(): Array<{ key: string; resource: string; action: string; intervalMs: number }> {
    return [...this.monitorsByKey.values()].map((m) => ({ key: m.key, resource: m.req.resource, action: m.req.action, intervalMs: m.req.intervalMs ?? 0 }));
  }

  /** An agent's parsed meta-data (cached per agent; a failure is not cached). */
  metadata(agent: AgentRef): Promise<AgentMetadata> {
    const key = formatAgent(agent);
    let p = this.metadataCache.get(key);
    if (!p) {
      p = (async () => {
        // Not a resource operation: no call id, no queue, and all of the output is kept.
        const r = await this.withSlot(() => this.invoke({ resource: 'meta-data', agent, action: 'meta-data', timeoutMs: 10_000 }, 4 * 1024 * 1024));
        if (r.status !== OpStatus.Done || r.rc !== OcfRc.Success) {
          throw new MetadataError(`${key} meta-data failed: ${r.exitReason ?? `rc ${r.rc}`}`);
        }
        return parseMetadata(r.stdout);
      })();
      this.metadataCache.set(key, p);
      p.catch(() => this.metadataCache.delete(key));
    }
    return p;
  }

  /** Stop all monitors, abort running operations, and wait for the queues to drain. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const key of [...this.monitorsByKey.keys()]) this.cancelKey(key);
    for (const c of this.inflight) c.abort();
    await Promise.allSettled([...this.tails.values()]);
  }

  // -------------------------------------------------------------------------------------------

  private serialise<T>(resource: string, job: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(resource) ?? Promise.resolve();
    const next = prev.then(job, job);
    const settled = next.then(() => undefined, () => undefined);
    this.tails.set(resource, settled);
    void settled.then(() => {
      if (this.tails.get(resource) === settled) this.tails.delete(resource);
    });
    return next;
  }

  private async withSlot<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.maxConcurrent) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private cancelKey(key: string): void {
    const m = this.monitorsByKey.get(key);
    if (!m) return;
    m.cancelled = true;
    if (m.timer) clearTimeout(m.timer);
    this.monitorsByKey.delete(key);
  }

  private scheduleMonitor(m: Monitor, delayMs: number): void {
    if (m.cancelled || this.closed) return;
    m.timer = setTimeout(() => {
      m.timer = undefined;
      if (m.cancelled) return;
      const callId = this.nextCallId++;
      const submitted = performance.now();
      this.trackQueued(m.req, callId);
      void this.serialise(m.req.resource, () => {
        if (m.cancelled) { this.pendingOps.delete(callId); return Promise.resolve(undefined); }
        return this.withSlot(() => this.run(m.req, callId, submitted));
      })
        .then((result) => {
          if (!result || m.cancelled) return;
          const first = m.last === undefined;
          const changed = !first && (m.last!.rc !== result.rc || m.last!.opStatus !== result.opStatus);
          m.last = { rc: result.rc, opStatus: result.opStatus };
          if (m.opts.reportAll || first || changed || isMonitorFailure(result)) {
            try { m.opts.onReport({ result, first, changed }); } catch { /* a listener's error is not the monitor's */ }
          }
          this.scheduleMonitor(m, m.req.intervalMs ?? 0);
        });
    }, delayMs);
  }

  /** Run one operation now (queueing is done by the caller) and build its result. */
  private trackQueued(req: OperationRequest, callId: number): void {
    this.pendingOps.set(callId, { callId, resource: req.resource, action: req.action, intervalMs: req.intervalMs ?? 0, state: 'queued', since: this.now() });
  }

  private async run(req: OperationRequest, callId: number, submitted: number): Promise<OperationResult> {
    const queueTimeMs = Math.round(performance.now() - submitted);
    const startedAt = this.now();
    const pending = this.pendingOps.get(callId);
    if (pending) { pending.state = 'running'; pending.since = startedAt; }
    const t0 = performance.now();
    const r = this.closed
      ? { rc: OcfRc.Error, status: OpStatus.Cancelled, exitReason: 'executor is shutting down', stdout: '', stderr: '' }
      : await this.invoke(req, this.tailBytes);
    const result: OperationResult = {
      callId, resource: req.resource, agent: req.agent, action: req.action, intervalMs: req.intervalMs ?? 0,
      rc: r.rc, opStatus: r.status, exitReason: r.exitReason,
      stdoutTail: tail(r.stdout, this.tailBytes), stderrTail: tail(r.stderr, this.tailBytes),
      durationMs: Math.round(performance.now() - t0), queueTimeMs, startedAt, finishedAt: this.now(),
      userData: req.userData,
    };
    this.pendingOps.delete(callId);
    for (const l of this.listeners) {
      try { l(result); } catch { /* listeners must not break the executor */ }
    }
    return result;
  }

  /** Resolve the driver, check it is installed, and run the action under the deadline. */
  private async invoke(req: OperationRequest, tailBytes: number): Promise<AgentResult> {
    const driver = resolveDriver(req.agent);
    if ('unsupported' in driver) {
      return { rc: OcfRc.Unimplemented, status: OpStatus.NotSupported, exitReason: driver.unsupported, stdout: '', stderr: '' };
    }
    const timeoutMs = req.timeoutMs ?? this.defaultTimeoutMs;
    const controller = new AbortController();
    this.inflight.add(controller);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
    let guardTimer: NodeJS.Timeout | undefined;
    const settings = this.settings;
    const ctx: AgentContext = {
      settings,
      signal: controller.signal,
      run: (argv, o = {}) => runProcess({
        argv: [...settings.commandPrefix, ...argv],
        env: o.env ?? settings.baseEnv,
        stdin: o.stdin, cwd: o.cwd, timeoutMs: o.timeoutMs,
        killGraceMs: settings.killGraceMs, signal: controller.signal, tailBytes,
      }),
    };
    const agentReq = {
      resource: req.resource, agent: req.agent, action: req.action,
      params: req.params ?? {}, meta: req.meta ?? {}, timeoutMs, intervalMs: req.intervalMs ?? 0,
    };
    const what = `${formatAgent(req.agent)} ${req.action}`;
    try {
      const inst = await driver.installed(agentReq, ctx);
      if (!inst.ok) return { rc: OcfRc.NotInstalled, status: OpStatus.NotInstalled, exitReason: inst.reason, stdout: '', stderr: '' };
      // A built-in that ignores the abort must not hold the queue: give up on it after the
      // deadline plus the kill grace, and report the timeout.
      const hardLimit = timeoutMs + settings.killGraceMs + 2000;
      const guard = new Promise<undefined>((resolve) => { guardTimer = setTimeout(() => resolve(undefined), hardLimit); });
      const r = await Promise.race([driver.run(agentReq, ctx).catch((e: unknown) => ({
        rc: OcfRc.Error, status: controller.signal.aborted ? OpStatus.Cancelled : OpStatus.Error,
        exitReason: `${what}: ${(e as Error).message}`, stdout: '', stderr: '',
      })), guard]);
      if (timedOut || r === undefined) {
        return { rc: OcfRc.Error, status: OpStatus.Timeout, exitReason: `${what} timed out after ${timeoutMs} ms`, stdout: r?.stdout ?? '', stderr: r?.stderr ?? '' };
      }
      return r;
    } finally {
      clearTimeout(timer);
      if (guardTimer) clearTimeout(guardTimer);
      this.inflight.delete(controller);
    }
  }
}
