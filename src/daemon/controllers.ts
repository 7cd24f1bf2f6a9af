/**
 * The controllers as the daemon drives them: the DC controller (created when this node's DC lease
 * becomes valid, dropped when it lapses) and the node-local controller (always). Both are pure
 * `step(state, input) → { state, outputs, wakeAt }` machines from src/controller; this class
 * keeps their state, feeds them the wall clock, arms a timer for `wakeAt`, and hands outputs to
 * the daemon. Outputs are handed over after the step, so a handler may feed new inputs.
 */
import type { Logger } from 'pino';
import { applyUpdate } from '../controller/index.js';
import { CONTROLLER } from './controller-binding.js';
import type { CibUpdate } from '../coordination/index.js';
import type { Cib, ClusterConfig } from '../model/cluster.js';
import type { DcInput, DcOutput, DcState, FenceConfirmCheck, NodeControllerState, NodeInput, NodeOutput } from '../controller/index.js';

export type { ActionResult, DcOutput, ExecuteRequest, FenceRequest, NodeOutput, DcInput, NodeInput } from '../controller/index.js';
/** Whether the CIB asks for fencing (stonith-enabled): `vigil status` shows lost nodes as unclean then. */
export { stonithEnabled, twoNodePeerOf } from '../controller/index.js';

export interface ControllerHostOptions {
  self: string;
  deadtimeMs: number;
  watchdogTimeoutMs?: number;
  fenceDelayMs: Record<string, number>;
  /** two_node and the voters (the witness included): the node controller's fence race. */
  quorum?: { twoNode: boolean; voters: string[] };
  log: Logger;
  onDcOutput: (o: DcOutput) => void;
  onNodeOutput: (o: NodeOutput) => void;
}

/** A pure controller as its host drives it: inputs that arrive while it steps wait their turn. */
export interface Queued<I, O> {
  state: unknown;
  step: (state: unknown, input: I) => { state: unknown; outputs: O[]; wakeAt: number | null };
  busy: boolean;
  queue: I[];
}

interface Driven<I, O> extends Queued<I, O> {
  timer?: NodeJS.Timeout;
}

/**
 * Queue one input and, unless a step is already running (then it is left queued for it), step
 * through everything queued. The outputs are handled by the caller after the steps, so handling
 * one may feed new inputs. Shared by vigild and `vigil sim --whole`, which must drive alike.
 */
export function stepQueued<I, O>(m: Queued<I, O>, input: I, onError: (e: unknown) => void): { outs: O[]; wakeAt: number | null } | undefined {
  m.queue.push(input);
  if (m.busy) return undefined;
  m.busy = true;
  const outs: O[] = [];
  let wakeAt: number | null = null;
  try {
    while (m.queue.length > 0) {
      const r = m.step(m.state, m.queue.shift() as I);
      m.state = r.state;
      outs.push(...r.outputs);
      wakeAt = r.wakeAt;
    }
  } catch (e) {
    onError(e);
  } finally {
    m.busy = false;
  }
  return { outs, wakeAt };
}

export class ControllerHost {
  private dc: Driven<DcInput, DcOutput> | undefined;
  private node: Driven<NodeInput, NodeOutput> | undefined;
  private closed = false;

  constructor(private readonly o: ControllerHostOptions) {}

  /** Apply a committed update to the CIB and tell both controllers. */
  apply(cib: Cib, update: CibUpdate, now: number): Cib {
    const next = applyUpdate(cib, update);
    this.dcInput({ type: 'committed', now, update });
    this.nodeInput({ type: 'cib', now, cib: next });
    return next;
  }

  cibReplaced(cib: Cib, now: number): void {
    this.dcInput({ type: 'cib', now, cib });
    this.nodeInput({ type: 'cib', now, cib });
  }

  startNode(cib: Cib, now: number): void {
    const o = this.o;
    const state = CONTROLLER.createNode({
      self: o.self, deadtimeMs: o.deadtimeMs, fenceDelayMs: o.fenceDelayMs, ...(o.watchdogTimeoutMs !== undefined ? { watchdogTimeoutMs: o.watchdogTimeoutMs } : {}),
      ...(o.quorum ? { quorum: o.quorum } : {}),
    }, cib, now);
    this.node = { state, step: CONTROLLER.nodeStep as Driven<NodeInput, NodeOutput>['step'], busy: false, queue: [] };
    this.nodeInput({ type: 'tick', now });
  }

  startDc(cib: Cib, now: number, members: string[], haveQuorum: boolean): void {
    this.stopDc();
    const o = this.o;
    const state = CONTROLLER.createDc({
      self: o.self, fenceDelayMs: o.fenceDelayMs, ...(o.watchdogTimeoutMs !== undefined ? { watchdogTimeoutMs: o.watchdogTimeoutMs } : {}),
      // A proposal commits within milliseconds in a healthy partition; one that was refused
      // (the lease lapsed for an instant) must not hold the DC up for long.
      proposalTimeoutMs: 3000,
    }, cib, now, haveQuorum);
    this.dc = { state, step: CONTROLLER.dcStep as Driven<DcInput, DcOutput>['step'], busy: false, queue: [] };
    // Membership first: before it, every node would look unseen (and fencing-worthy).
    this.dcInput({ type: 'membership', now, members, ...this.fencedByRace() });
  }

  /** For the DC's membership input: peers this node fenced in a two-node fence race (not to be fenced again). */
  fencedByRace(): { fenced?: string[] } {
    const fenced = this.node ? CONTROLLER.fencedByRace(this.node.state as NodeControllerState) : [];
    return fenced.length ? { fenced } : {};
  }

  /** Whether this node's controller lets a DC's request run now (no start without quorate contact, nothing in maintenance...). */
  mayRun(req: { resource: string; action: string; intervalMs: number }, now: number): { ok: true } | { ok: false; reason: string } {
    if (!this.node) return { ok: false, reason: 'the node controller is not running yet' };
    return CONTROLLER.mayRun(this.node.state as NodeControllerState, req, now);
  }

  stopDc(): void {
    if (this.dc?.timer) clearTimeout(this.dc.timer);
    this.dc = undefined;
  }

  stopAll(): void {
    this.closed = true;
    this.stopDc();
    if (this.node?.timer) clearTimeout(this.node.timer);
    this.node = undefined;
  }

  get isDcRunning(): boolean {
    return this.dc !== undefined;
  }

  /** What the DC controller would do with `config` in place of the running configuration (null: it does not run here). */
  previewConfig(config: ClusterConfig, now: number): string[] | null {
    return this.dc ? CONTROLLER.previewConfig(this.dc.state as DcState, config, now) : null;
  }

  /** The operator confirms that `node` is down: judged on the DC controller's state, then fed to it. */
  confirmFenced(node: string, now: number): FenceConfirmCheck {
    const dc = this.dc;
    if (!dc) return { ok: false, code: 'unavailable', reason: `the DC controller does not run on ${this.o.self}` };
    const check = CONTROLLER.checkFenceConfirm(dc.state as DcState, node);
    if (check.ok) this.dcInput({ type: 'fence-confirmed', now, node });
    return check;
  }

  dcInput(input: DcInput): void {
    if (this.dc) this.drive(this.dc, input, this.o.onDcOutput, (i) => this.dcInput(i), () => this.dc);
  }

  nodeInput(input: NodeInput): void {
    if (this.node) this.drive(this.node, input, this.o.onNodeOutput, (i) => this.nodeInput(i), () => this.node);
  }

  nodeTick(now: number): void {
    this.nodeInput({ type: 'tick', now });
  }

  private drive<I extends { now: number }, O>(m: Driven<I, O>, input: I, handle: (o: O) => void, again: (i: I) => void, current: () => Driven<I, O> | undefined): void {
    if (this.closed) return;
    const r = stepQueued(m, input, (e) => this.o.log.error({ err: (e as Error).stack }, 'controller step failed'));
    if (!r) return;
    const { outs, wakeAt } = r;
    if (m.timer) clearTimeout(m.timer);
    m.timer = undefined;
    if (wakeAt !== null) {
      const delay = Math.max(0, Math.min(wakeAt - Date.now(), 60_000));
      m.timer = setTimeout(() => { if (current() === m) again({ type: 'tick', now: Date.now() } as unknown as I); }, delay + 1);
    }
    for (const o of outs) {
      if (current() !== m) break; // the DC controller was dropped meanwhile (lease lost)
      try { handle(o); } catch (e) { this.o.log.error({ err: (e as Error).stack }, 'handling a controller output failed'); }
    }
  }
}
