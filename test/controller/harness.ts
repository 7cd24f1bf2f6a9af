/**
 * A small in-memory cluster for the controller tests: the DC's proposals commit at once, its
 * execute requests run against in-memory resources (with scripted failures and durations), and
 * fence requests succeed or fail as told. Time is virtual. This is a test of the controller's
 * decisions, not of any I/O component.
 */
import { loadVigilYaml } from '../../src/config/index.js';
import { applyUpdate } from '../../src/controller/cib-state.js';
import { createDc, dcStep, type DcState } from '../../src/controller/dc.js';
import type { DcInput, DcOptions, DcOutput, ExecuteRequest, FenceRequest } from '../../src/controller/types.js';
import type { Cib } from '../../src/model/cluster.js';
import { OcfRc, OpStatus } from '../../src/model/cluster.js';

export const T0 = 1_700_000_000_000;

export function cibFromYaml(yaml: string): Cib {
  const r = loadVigilYaml(yaml, 'test.yaml');
  return { ...r.cib, status: { ...r.cib.status, haveQuorum: true, nodes: [] } };
}

export interface Dispatch { at: number; req: ExecuteRequest }
export interface Completion { at: number; req: ExecuteRequest; rc: number }

export interface ClusterOptions {
  dc?: Partial<DcOptions>;
  /** Duration of an operation (ms). */
  duration?: (req: ExecuteRequest) => number;
  /** rc an operation returns (default: success / the resource's actual state for monitors). */
  rc?: (req: ExecuteRequest, active: boolean) => number | undefined;
  /** Fence requests succeed (default true). */
  fenceOk?: (req: FenceRequest) => boolean;
  fenceDuration?: number;
  /** The node refuses this request (vigild: not from its DC, a stale term, shutting down): nothing runs, undeliverable 500 ms later. */
  refuse?: (req: ExecuteRequest) => boolean;
  /** The request runs but its answer is lost (vigild: the connection broke, no answer in time): undeliverable, outcome unknown. */
  loseAnswer?: (req: ExecuteRequest) => boolean;
}

/** A resource instance actually active somewhere, per node. */
export type Reality = Map<string, Map<string, 'Started' | 'Promoted'>>;

export class MiniCluster {
  dc: DcState;
  cib: Cib;
  now = T0;
  members: string[];
  readonly reality: Reality = new Map();
  readonly dispatched: Dispatch[] = [];
  readonly completed: Completion[] = [];
  readonly fences: Array<{ at: number; req: FenceRequest }> = [];
  readonly outputs: DcOutput[] = [];
  /** Pending events by time. */
  private queue: Array<{ at: number; input: DcInput; effect?: () => void }> = [];
  /** Executor call ids per node: a restarted node numbers its calls from 1 again, as a new executor does. */
  private readonly callIds = new Map<string, number>();
  private readonly busyUntil = new Map<string, number>();
  wakeAt: number | null = null;
  readonly down = new Set<string>();
  /** When a fence of each node succeeded. */
  readonly fencedAt = new Map<string, number>();
  /** Most operations in flight at once (one-off operations other than probes: batch-limit leaves those out). */
  maxInFlight = 0;
  private inFlight = 0;

  constructor(cib: Cib, members: string[], readonly o: ClusterOptions = {}) {
    this.cib = cib;
    this.members = members;
    for (const n of members) this.reality.set(n, new Map());
    this.dc = createDc({ self: members[0], ...o.dc }, cib, this.now, true);
    this.input({ type: 'membership', now: this.now, members });
  }

  input(i: DcInput): void {
    const r = dcStep(this.dc, i);
    this.dc = r.state;
    this.wakeAt = r.wakeAt;
    for (const out of r.outputs) this.handle(out);
  }

  private handle(out: DcOutput): void {
    this.outputs.push(out);
    if (out.type === 'propose') {
      this.cib = applyUpdate(this.cib, out.update);
      this.queue.push({ at: this.now, input: { type: 'committed', now: this.now, update: out.update } });
    } else if (out.type === 'execute') {
      const req = out.request;
      if (this.down.has(req.node)) return;
      this.dispatched.push({ at: this.now, req });
      if (this.o.refuse?.(req)) {
        const at = this.now + 500;
        this.queue.push({ at, input: { type: 'action-undeliverable', now: at, node: req.node, userData: req.userData, maybeRan: false } });
        return;
      }
      if (req.intervalMs > 0) return; // recurring monitors report only on change (tests inject failures)
      // The executor runs operations on one resource one at a time, in order.
      const lane = `${req.node}/${req.resource}`;
      const at = Math.max(this.now, this.busyUntil.get(lane) ?? 0) + (this.o.duration?.(req) ?? 100);
      this.busyUntil.set(lane, at);
      const probe = req.action === 'monitor';
      if (!probe) this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      this.queue.push({ at, input: { type: 'tick', now: at }, effect: () => this.run(req, at) });
    } else if (out.type === 'fence') {
      const req = out.request;
      this.fences.push({ at: this.now, req });
      if (req.method === 'watchdog') return;
      const at = this.now + (this.o.fenceDuration ?? 500);
      this.queue.push({ at, input: { type: 'tick', now: at }, effect: () => {
        const ok = this.o.fenceOk?.(req) ?? true;
        if (ok) { this.reality.set(req.node, new Map()); this.down.add(req.node); if (!this.fencedAt.has(req.node)) this.fencedAt.set(req.node, at); }
        this.input({ type: 'fence-result', now: at, node: req.node, key: req.key, ok });
      } });
    }
  }

  private run(req: ExecuteRequest, at: number): void {
    if (req.action !== 'monitor') this.inFlight--;
    if (this.down.has(req.node)) return;
    const here = this.reality.get(req.node) ?? new Map();
    this.reality.set(req.node, here);
    const active = here.has(req.resource);
    const forced = this.o.rc?.(req, active);
    let rc: number = OcfRc.Success;
    if (req.action === 'monitor') rc = active ? (here.get(req.resource) === 'Promoted' ? OcfRc.RunningPromoted : OcfRc.Success) : OcfRc.NotRunning;
    if (forced !== undefined) rc = forced;
    if (rc === OcfRc.Success || (req.action === 'stop' && rc === OcfRc.NotRunning)) {
      if (req.action === 'start') here.set(req.resource, 'Started');
      if (req.action === 'stop') here.delete(req.resource);
      if (req.action === 'promote') here.set(req.resource, 'Promoted');
      if (req.action === 'demote') here.set(req.resource, 'Started');
    } else if (req.action === 'start' && rc !== OcfRc.NotInstalled) {
      here.set(req.resource, 'Started'); // a failed start may leave it half running
    }
    this.completed.push({ at, req, rc });
    if (this.o.loseAnswer?.(req)) {
      this.input({ type: 'action-undeliverable', now: at, node: req.node, userData: req.userData, maybeRan: true });
      return;
    }
    this.input({ type: 'action-result', now: at, node: req.node, result: { callId: this.nextCallId(req.node), resource: req.resource, action: req.action, intervalMs: req.intervalMs, rc, opStatus: OpStatus.Done, userData: req.userData, finishedAt: at, startedAt: at - 100, durationMs: 100 } });
  }

  /** Deliver events up to `until` (virtual ms), ticking at the DC's wakeAt. */
  runUntil(until: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      const wake = this.wakeAt;
      const tNext = Math.min(next?.at ?? Infinity, wake ?? Infinity);
      if (tNext > until) { this.now = Math.max(this.now, until); return; }
      this.now = Math.max(this.now, tNext);
      if (next && next.at <= tNext) {
        this.queue.shift();
        if (next.effect) next.effect();
        else this.input({ ...next.input, now: this.now } as DcInput);
      } else {
        this.input({ type: 'tick', now: this.now });
      }
    }
    throw new Error('runUntil: too many events');
  }

  runFor(ms: number): void { this.runUntil(this.now + ms); }

  /** The DC dies and `self` becomes DC with the committed CIB; results still in flight go to the new DC. */
  failover(self: string): void {
    this.down.add(this.members[0]);
    this.reality.set(this.members[0], new Map());
    this.members = this.members.filter((m) => m !== this.members[0]);
    this.members = [self, ...this.members.filter((m) => m !== self)];
    this.dc = createDc({ self, ...this.o.dc }, this.cib, this.now, true);
    this.input({ type: 'membership', now: this.now, members: this.members });
  }

  /** Where each resource is active in reality. */
  activeOn(resource: string): string[] {
    return [...this.reality].filter(([, m]) => m.has(resource)).map(([n]) => n).sort();
  }

  /** A node crashes: its resources keep "running" there in reality until fenced. */
  crash(node: string): void {
    this.down.add(node);
    this.members = this.members.filter((m) => m !== node);
    this.input({ type: 'membership', now: this.now, members: this.members });
  }

  private nextCallId(node: string): number {
    const n = (this.callIds.get(node) ?? 0) + 1;
    this.callIds.set(node, n);
    return n;
  }

  /** Only the node's Vigil process restarts, within deadtime: resources keep running, call ids start again. */
  daemonRestart(node: string): void {
    this.callIds.delete(node);
    this.input({ type: 'membership', now: this.now, members: this.members, restarted: [node] });
  }

  /** A node (crashed or fenced) boots again with nothing running and rejoins. */
  restart(node: string): void {
    this.down.delete(node);
    this.callIds.delete(node);
    this.reality.set(node, new Map());
    if (!this.members.includes(node)) this.members = [...this.members, node];
    this.input({ type: 'membership', now: this.now, members: this.members });
  }

  monitorFails(node: string, resource: string, rc = OcfRc.NotRunning): void {
    const here = this.reality.get(node);
    if (rc === OcfRc.NotRunning) here?.delete(resource);
    const mon = [...this.dispatched].reverse().find((d) => d.req.node === node && d.req.resource === resource && d.req.intervalMs > 0);
    if (!mon) throw new Error(`no recurring monitor for ${resource} on ${node}`);
    this.input({ type: 'action-result', now: this.now, node, result: { callId: this.nextCallId(node), resource, action: 'monitor', intervalMs: mon.req.intervalMs, rc, opStatus: OpStatus.Done, userData: mon.req.userData, finishedAt: this.now } });
  }
}
