/**
 * One whole-cluster run: a shape, a scenario (the faults), the phases (come up, faults, heal,
 * settle) and the measurements. Scenario generators schedule their faults on the world's queue;
 * every choice comes from the seed, so the same seed gives the same timeline.
 */
import type { CibUpdate } from '../../coordination/cib-update.js';
import { Prng } from '../../coordination/prng.js';
import type { ClusterConfig, Constraint } from '../../model/cluster.js';
import { nodeAdmin } from '../../daemon/admin.js';
import { loadShape, OP_TIMEOUT_MS, SHAPES, type Shape } from './shapes.js';
import { NO_INJECTION, World, WholeViolation, type TimelineEvent, type Violation, type WNode } from './world.js';

export const SCENARIOS = [
  'crash', 'crash-dc', 'partition', 'one-way', 'flapping', 'pause', 'resource-failure', 'resource-hang',
  'fence-failure', 'config-change-failover', 'admin-during-faults', 'clean-leave', 'mixed',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface WholeOptions {
  seed: number;
  /** Default: chosen by the seed. */
  shape?: string;
  scenario?: ScenarioName;
  /** The planted bug: the DC does not wait watchdog-timeout before recovering a lost node's resources. */
  skipWatchdogWait?: boolean;
  /** Executor call ids keep increasing across node restarts (see World). */
  callIdsContinue?: boolean;
  record?: boolean;
}

export interface WholeResult {
  seed: number;
  shape: string;
  scenario: ScenarioName;
  ok: boolean;
  violation?: Violation;
  /** From the first fault until everything the scheduler wants runs again, for good (virtual ms). */
  recoveryMs: number;
  /** From the end of the faults until then. */
  settleMs: number;
  /** The liveness bound this run was held to (after the faults stop). */
  boundMs: number;
  faults: string[];
  events: number;
  virtualMs: number;
  operations: number;
  fences: number;
  selfFences: number;
  watchdogKills: number;
  timeline: TimelineEvent[];
}

const STONITH_TIMEOUT_MS = 60_000;
const RESULT_GRACE_MS = 10_000;

/** The liveness bound after the faults stop, per shape and scenario (stated in the report). */
export function boundMs(shape: Shape, scenario: ScenarioName): number {
  let b = 20_000 + (shape.watchdogMs ?? 0);
  // A fence that hangs holds recovery until stonith-timeout (+ grace), then the retry runs.
  if (scenario === 'fence-failure' || scenario === 'mixed') b += STONITH_TIMEOUT_MS + RESULT_GRACE_MS + 5000;
  // A hung operation is given up after its timeout plus the DC's grace.
  if (scenario === 'resource-hang' || scenario === 'mixed') b += Math.max(OP_TIMEOUT_MS.start, OP_TIMEOUT_MS.stop) + RESULT_GRACE_MS;
  return b;
}

const SAMPLE_MS = 250;

export class WholeRun {
  readonly w: World;
  readonly shape: Shape;
  readonly scenario: ScenarioName;
  readonly faults: string[] = [];
  private readonly pick: Prng;
  private faultAt = Infinity;
  private healAt = Infinity;
  private healed = false;
  private satisfiedSince: number | null = null;
  private disrupted = false;
  private done = false;
  private readonly undo: Array<() => void> = [];
  /** Committed-CIB conditions that must hold again after healing (admin changes are reverted). */
  private readonly repairs: Array<{ what: string; ok: (c: ClusterConfig) => boolean; fix: (c: ClusterConfig) => CibUpdate[] }> = [];
  private readonly bound: number;

  constructor(readonly o: WholeOptions) {
    this.pick = new Prng((o.seed * 2654435761) ^ 0x5bd1e995);
    const shape = o.shape ? SHAPES.find((s) => s.name === o.shape) : this.pick.pick(SHAPES);
    if (!shape) throw new Error(`unknown shape ${o.shape}`);
    this.shape = shape;
    this.scenario = o.scenario ?? this.pick.pick(SCENARIOS);
    this.w = new World({ seed: o.seed, loaded: loadShape(shape), ...(o.skipWatchdogWait ? { skipWatchdogWait: true } : {}), ...(o.callIdsContinue ? { callIdsContinue: true } : {}), ...(o.record ? { record: true } : {}) });
    this.bound = boundMs(shape, this.scenario);
  }

  run(): WholeResult {
    const w = this.w;
    let violation: Violation | undefined;
    try {
      w.note('-', `shape ${this.shape.name}, scenario ${this.scenario}, liveness bound ${this.bound} ms after the faults stop`);
      for (const n of w.nodes) w.restartLater(n, w.rng.range(0, 300));
      this.sampleLoop();
      while (!this.done && w.stepOnce()) { /* events */ }
    } catch (e) {
      if (!(e instanceof WholeViolation)) throw e;
      violation = e.v;
      w.note('-', `VIOLATION ${e.v.invariant}: ${e.v.detail}`);
    }
    const end = this.satisfiedSince ?? w.t;
    return {
      seed: this.o.seed, shape: this.shape.name, scenario: this.scenario, ok: !violation, ...(violation ? { violation } : {}),
      recoveryMs: this.disrupted ? Math.max(0, end - this.faultAt) : 0,
      settleMs: Math.max(0, end - this.healAt),
      boundMs: this.bound, faults: this.faults, events: w.stats.events, virtualMs: w.t,
      operations: w.stats.operations, fences: w.stats.fences, selfFences: w.stats.selfFences, watchdogKills: w.stats.watchdogKills,
      timeline: w.timeline,
    };
  }

  // ------------------------------------------------------------------------------------------- phases

  private sampleLoop(): void {
    const w = this.w;
    w.q.push(w.t + SAMPLE_MS, { node: -1, inc: 0, kind: 'global', fn: () => { this.sample(); if (!this.done) this.sampleLoop(); } });
  }

  private sample(): void {
    const w = this.w;
    const missing = w.unsatisfied();
    const ok = missing.length === 0;
    if (ok && this.satisfiedSince === null) this.satisfiedSince = w.t;
    if (!ok) {
      this.satisfiedSince = null;
      if (w.t >= this.faultAt) this.disrupted = true;
    }
    if (this.faultAt === Infinity) {
      // Come up: everything placed and running for a second, then the faults begin.
      if (ok && w.t - (this.satisfiedSince ?? w.t) >= 1000) this.startFaults();
      else if (w.t > 30_000) w.fail('liveness', `the cluster did not come up within 30 s: ${missing.slice(0, 6).join('; ')}`);
      return;
    }
    if (!this.healed) return;
    this.repair();
    if (ok && this.repairs.length === 0 && w.t - (this.satisfiedSince ?? w.t) >= 2000 && w.t >= this.healAt + 3000) {
      w.note('-', `settled: everything the scheduler wants runs (recovery ${(this.satisfiedSince! - this.faultAt).toFixed(0)} ms after the first fault, ${Math.max(0, this.satisfiedSince! - this.healAt).toFixed(0)} ms after they stopped)`);
      this.done = true;
      return;
    }
    // Satisfied but not yet for 2 s: a little grace past the bound to see it hold.
    if (w.t > this.healAt + this.bound && !(ok && this.repairs.length === 0 && w.t <= this.healAt + this.bound + 3000)) {
      w.fail('liveness', `${this.bound} ms after the faults stopped, still: ${[...missing, ...this.repairs.map((r) => `not yet reverted: ${r.what}`)].slice(0, 8).join('; ')}`);
    }
  }

  private startFaults(): void {
    const w = this.w;
    this.faultAt = w.t;
    const len = this.pick.range(2500, 9000);
    w.note('-', `FAULTS begin (${this.scenario}, for ${len.toFixed(0)} ms)`);
    this.plan(this.scenario, len);
    w.q.push(w.t + len, { node: -1, inc: 0, kind: 'global', fn: () => this.heal() });
  }

  private heal(): void {
    const w = this.w;
    this.healed = true;
    this.healAt = w.t;
    w.note('-', `HEAL: faults stop; the network is clean, devices and agents behave, stopped nodes power on${w.deadForGood.size ? ` (not ${[...w.deadForGood].join(', ')}: dead for good)` : ''}, paused nodes resume`);
    for (const u of this.undo) u();
    w.clearNetwork();
    w.inj = { ...NO_INJECTION };
    for (const n of w.nodes) {
      if (!n.on) w.boot(n);
      else if (n.paused) w.resume(n);
    }
  }

  /** After healing: revert admin changes through the DC until the committed configuration shows them reverted. */
  private repair(): void {
    const dc = this.w.currentDc();
    if (!dc || this.repairs.length === 0) return;
    for (let i = this.repairs.length - 1; i >= 0; i--) {
      const r = this.repairs[i];
      if (r.ok(dc.cib.config)) { this.repairs.splice(i, 1); continue; }
      for (const u of r.fix(dc.cib.config)) this.w.proposeAtDc(u);
    }
  }

  // ------------------------------------------------------------------------------------------- scenario generators

  private later(ms: number, fn: () => void): void {
    const w = this.w;
    w.q.push(w.t + ms, { node: -1, inc: 0, kind: 'global', fn: () => { if (!this.healed) fn(); } });
  }

  private resourceNodes(): WNode[] {
    return this.w.nodes.filter((n) => !n.witness);
  }

  /** A node running something (the interesting one to lose), else any. */
  private busyNode(): WNode {
    const nodes = this.resourceNodes().filter((n) => n.on);
    const busy = nodes.filter((n) => [...n.rsc.keys()].some((k) => k !== 'ping' && k !== 'dbi'));
    return this.pick.pick(busy.length ? busy : nodes.length ? nodes : this.resourceNodes());
  }

  /** `alone`: the scenario's only fault (a node may then die for good: see crash). */
  private plan(s: ScenarioName, len: number, alone = true): void {
    const w = this.w;
    const p = this.pick;
    switch (s) {
      case 'crash': return this.crash(this.busyNode(), len, alone);
      case 'crash-dc': return this.crash(w.currentDc() ?? this.busyNode(), len, alone);
      case 'partition': return this.partition(len);
      case 'one-way': return this.oneWay(len);
      case 'flapping': return this.flapping(len);
      case 'pause': return this.pauseNode(this.busyNode(), p.range(300, 9000));
      case 'resource-failure': {
        w.inj.opFail = 0.15;
        this.resourceFailures(len);
        return;
      }
      case 'resource-hang': {
        w.inj.opHang = 0.15;
        this.resourceFailures(len);
        return;
      }
      case 'fence-failure': {
        w.inj.fenceFail = 0.5;
        w.inj.fenceHang = 0.15;
        this.faults.push('fence devices fail 50%, hang 15%');
        if (p.chance(0.5)) this.crash(this.busyNode(), len); else this.partition(len);
        return;
      }
      case 'config-change-failover': {
        this.crash(this.busyNode(), len);
        this.later(p.range(0, 2500), () => this.configChange());
        return;
      }
      case 'admin-during-faults': {
        const f = p.int(0, 2);
        if (f === 0) this.crash(this.busyNode(), len); else if (f === 1) this.partition(len); else this.pauseNode(this.busyNode(), p.range(300, 6000));
        this.later(p.range(0, 3000), () => this.admin());
        if (p.chance(0.5)) this.later(p.range(1000, 5000), () => this.admin());
        return;
      }
      case 'clean-leave': {
        // `vigil stop` of a node running something (or of the DC), started again later.
        const n = p.chance(0.5) ? (w.currentDc() ?? this.busyNode()) : this.busyNode();
        const at = p.range(0, 1500);
        const back = p.range(1000, Math.max(1000, len - at));
        this.faults.push(`vigil stop ${n.id} at +${at.toFixed(0)}, started again ${back.toFixed(0)} ms after it is down`);
        if (alone) w.leaveIsTheOnlyFault = true;
        this.later(at, () => w.leave(n, back));
        return;
      }
      case 'mixed': {
        const kinds: ScenarioName[] = ['crash', 'crash-dc', 'partition', 'one-way', 'flapping', 'pause', 'resource-failure', 'resource-hang', 'fence-failure', 'config-change-failover', 'admin-during-faults', 'clean-leave'];
        const k = p.int(2, 4);
        for (let i = 0; i < k; i++) {
          const kind = p.pick(kinds);
          const at = p.range(0, len * 0.6);
          this.later(at, () => this.plan(kind, len - at, false));
        }
        return;
      }
    }
  }

  /**
   * A node loses power; it comes back after a while, or at the heal. `mayDie`: a node that would
   * stay down until the heal may instead be dead for good (broken hardware): it never comes back,
   * so the others must recover without it — fencing it first, or waiting out watchdog-timeout
   * (a two-node survivor's fence race; a node that restarts soon would hide a survivor that never
   * takes over).
   */
  private crash(n: WNode, len: number, mayDie = false): void {
    const w = this.w;
    const downFor = this.pick.range(500, len + 4000);
    // Its own generator, drawn only here: the faults of every other seed stay as they were.
    const dies = mayDie && downFor >= len && new Prng((this.o.seed * 40503) ^ 0x2f6b1c3d).chance(0.5);
    if (dies) {
      this.faults.push(`crash ${n.id}, dead for good (never powers on again)`);
      w.deadForGood.add(n.id);
    } else this.faults.push(`crash ${n.id}, power back after ${downFor.toFixed(0)} ms`);
    w.powerOff(n, dies ? 'CRASH (hardware dead for good)' : 'CRASH (power lost)');
    if (downFor < len) w.restartLater(n, downFor);
  }

  private split(): [string[], string[]] {
    const ids = this.w.nodes.map((n) => n.id);
    for (;;) {
      const side = ids.filter(() => this.pick.chance(0.5));
      if (side.length > 0 && side.length < ids.length) return [side, ids.filter((x) => !side.includes(x))];
    }
  }

  private partition(len: number): void {
    const [a, b] = this.split();
    const dur = this.pick.range(1500, len);
    this.faults.push(`partition {${a.join(',')}} | {${b.join(',')}} for ${dur.toFixed(0)} ms`);
    this.w.note('-', `PARTITION {${a.join(',')}} | {${b.join(',')}} for ${dur.toFixed(0)} ms`);
    const pairs: Array<[string, string]> = [];
    for (const x of a) for (const y of b) pairs.push([x, y], [y, x]);
    this.cut(pairs, dur);
  }

  private cut(pairs: Array<[string, string]>, dur: number): void {
    const u = this.w.block(pairs);
    this.undo.push(u);
    this.later(dur, u);
  }

  private oneWay(len: number): void {
    const from = this.pick.chance(0.5) ? (this.w.currentDc() ?? this.busyNode()) : this.busyNode();
    const to = this.pick.pick(this.w.nodes.filter((n) => n !== from));
    const [a, b] = this.pick.chance(0.5) ? [from, to] : [to, from];
    const dur = this.pick.range(1500, len);
    this.faults.push(`one-way ${a.id} -> ${b.id} blocked for ${dur.toFixed(0)} ms`);
    this.w.note('-', `ONE-WAY ${a.id} -> ${b.id} blocked for ${dur.toFixed(0)} ms`);
    this.cut([[a.id, b.id]], dur);
  }

  private flapping(len: number): void {
    const [a, b] = this.split();
    const pairs: Array<[string, string]> = [];
    for (const x of a) for (const y of b) pairs.push([x, y], [y, x]);
    this.faults.push(`flapping partition {${a.join(',')}} | {${b.join(',')}} for ${len.toFixed(0)} ms`);
    this.w.note('-', `FLAPPING {${a.join(',')}} | {${b.join(',')}}`);
    let t = 0;
    while (t < len) {
      const on = this.pick.range(200, 2000);
      const off = this.pick.range(200, 2000);
      const at = t;
      this.later(at, () => this.cut(pairs, Math.min(on, len - at)));
      t += on + off;
    }
  }

  private pauseNode(n: WNode, ms: number): void {
    this.faults.push(`pause ${n.id} for ${ms.toFixed(0)} ms`);
    this.w.pause(n, ms);
  }

  private resourceFailures(len: number): void {
    const w = this.w;
    let t = this.pick.range(0, 1000);
    const kinds: string[] = [];
    while (t < len) {
      this.later(t, () => {
        const nodes = w.nodes.filter((n) => n.on && !n.paused && n.rsc.size > 0);
        if (!nodes.length) return;
        const n = this.pick.pick(nodes);
        const id = this.pick.pick([...n.rsc.keys()]);
        w.resourceFails(n, id, this.pick.chance(0.5) ? 'crash' : 'broken');
      });
      kinds.push(`at +${t.toFixed(0)}`);
      t += this.pick.range(800, 4000);
    }
    this.faults.push(`resource failures ${kinds.join(', ')}${w.inj.opFail ? `; operations fail ${w.inj.opFail * 100}%` : ''}${w.inj.opHang ? `; operations hang ${w.inj.opHang * 100}%` : ''}`);
  }

  /** A configuration change through the DC (retried until a DC takes it). */
  private configChange(): void {
    const w = this.w;
    const dc = w.currentDc();
    if (!dc) { this.later(300, () => this.configChange()); return; }
    const cfg = structuredClone(dc.cib.config);
    const k = this.pick.int(0, 5);
    const target = this.pick.pick(this.resourceNodes()).id;
    let what: string;
    if (k === 0) {
      cfg.constraints.push({ kind: 'location', id: 'sim-prefer-vip', rsc: 'vip', node: target, score: 100, rules: [] } as Constraint);
      what = `prefer vip on ${target}`;
    } else if (k === 1) {
      cfg.rscDefaults = { ...cfg.rscDefaults, 'resource-stickiness': String(this.pick.pick([0, 100, 1000])) };
      what = `resource-stickiness ${cfg.rscDefaults['resource-stickiness']}`;
    } else if (k === 2) {
      const r = cfg.resources.find((x) => x.id === 'report');
      if (r) r.meta = { ...r.meta, 'target-role': 'Stopped' };
      what = 'report target-role Stopped (started again after the faults)';
      this.repairs.push({ what: 'report target-role', ok: (c) => c.resources.find((x) => x.id === 'report')?.meta['target-role'] !== 'Stopped', fix: (c) => [this.withMeta(c, 'report', 'target-role', null)] });
    } else if (k === 3) {
      // New instance parameters: a restart in place (stop with the old ones, start with the new).
      const r = cfg.resources.find((x) => x.id === 'vip');
      const ip = `10.9.9.${this.pick.int(1, 254)}`;
      if (r?.kind === 'primitive') r.params = { ...r.params, ip };
      what = `vip ip ${ip}`;
    } else if (k === 4) {
      // Another monitor interval: the running monitor is replaced, no restart.
      const r = cfg.resources.find((x) => x.id === 'vip');
      if (r?.kind === 'primitive') r.operations = r.operations.map((o) => (o.name === 'monitor' && o.intervalMs > 0 ? { ...o, intervalMs: o.intervalMs * 2 } : o));
      what = 'vip monitor interval doubled';
    } else {
      const r = cfg.resources.find((x) => x.id === 'vip');
      if (r) r.meta = { ...r.meta, 'is-managed': 'false' };
      what = 'vip unmanaged (managed again after the faults)';
      this.repairs.push({ what: 'vip is-managed', ok: (c) => c.resources.find((x) => x.id === 'vip')?.meta['is-managed'] === undefined, fix: (c) => [this.withMeta(c, 'vip', 'is-managed', null)] });
    }
    this.faults.push(`configuration change during the failover: ${what}`);
    w.note(dc.id, `ADMIN: configuration change: ${what}`);
    w.proposeAtDc({ kind: 'config', config: cfg });
  }

  private withMeta(c: ClusterConfig, id: string, key: string, value: string | null): CibUpdate {
    const cfg = structuredClone(c);
    const r = cfg.resources.find((x) => x.id === id);
    if (r) {
      const meta = { ...r.meta };
      if (value === null) delete meta[key]; else meta[key] = value;
      r.meta = meta;
    }
    return { kind: 'config', config: cfg };
  }

  /** standby, maintenance or a move request, through the DC (retried until a DC takes it). */
  private admin(): void {
    const w = this.w;
    const dc = w.currentDc();
    if (!dc) { this.later(300, () => this.admin()); return; }
    const node = this.pick.pick(this.resourceNodes()).id;
    const k = this.pick.int(0, 2);
    let updates: CibUpdate[];
    let what: string;
    if (k === 0) {
      updates = nodeAdmin(dc.cib.config, 'standby', node);
      what = `standby ${node}`;
      this.repairs.push({ what: `${node} online`, ok: (c) => !c.nodes.find((x) => x.name === node)?.attributes.standby, fix: (c) => nodeAdmin(c, 'online', node) });
    } else if (k === 1) {
      updates = nodeAdmin(dc.cib.config, 'maintenance', node);
      what = `maintenance ${node}`;
      this.repairs.push({ what: `${node} out of maintenance`, ok: (c) => !c.nodes.find((x) => x.name === node)?.attributes.maintenance, fix: (c) => nodeAdmin(c, 'ready', node) });
    } else {
      const rsc = this.pick.pick(['vip', 'web']);
      updates = [{ kind: 'constraint-add', constraint: { kind: 'location', id: `cli-prefer-${rsc}`, rsc, node, score: 1_000_000, rules: [] } as Constraint }];
      what = `move ${rsc} to ${node}`;
      this.repairs.push({ what: `clear ${rsc}`, ok: (c) => !c.constraints.some((x) => x.id === `cli-prefer-${rsc}`), fix: () => [{ kind: 'constraint-remove', id: `cli-prefer-${rsc}` }] });
    }
    this.faults.push(`admin during the faults: ${what}`);
    w.note(dc.id, `ADMIN: ${what}`);
    for (const u of updates) w.proposeAtDc(u);
  }
}

export function runWhole(o: WholeOptions): WholeResult {
  return new WholeRun(o).run();
}
