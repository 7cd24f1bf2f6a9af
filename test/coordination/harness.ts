/**
 * A small synchronous cluster for unit tests: one shared clock, messages delivered in FIFO order
 * after every tick, writes made durable at once. Links can be cut per direction.
 */
import { applyPersistOp, emptyPersisted } from '../../src/coordination/persist.js';
import { createNode, DEFAULT_TIMING, isDc, step, type NodeState } from '../../src/coordination/node.js';
import type { CoordinationOptions, Input, LogEntry, MembershipConfig, Message, Output, PersistedState, Snapshot } from '../../src/coordination/types.js';

/** An input without its clock: the cluster supplies `now`. */
export type TestInput = Input extends unknown ? (Input extends infer I ? (I extends Input ? Omit<I, 'now'> : never) : never) : never;

export class TestCluster {
  now = 0;
  readonly nodes = new Map<string, NodeState>();
  readonly disks = new Map<string, PersistedState>();
  readonly applied = new Map<string, LogEntry[]>();
  readonly restored = new Map<string, Snapshot[]>();
  readonly down = new Set<string>();
  readonly cut = new Set<string>();
  /** When set, writes are not acknowledged (the leader cannot count its own entries). */
  holdAcks = false;
  inflight: Message[] = [];
  readonly sent: Message[] = [];
  private seed = 1;

  constructor(readonly config: MembershipConfig, readonly opts: CoordinationOptions = { timing: { ...DEFAULT_TIMING }, quorum: {} }) {
    for (const m of config.members) this.start(m.id);
  }

  start(id: string): void {
    const disk = this.disks.get(id) ?? emptyPersisted();
    this.disks.set(id, disk);
    this.down.delete(id);
    this.nodes.set(id, createNode({ id, bootstrap: this.config, opts: this.opts, persisted: { ...disk, entries: disk.entries.slice() }, now: this.now, seed: this.seed++ * 7919 }));
    if (!this.applied.has(id)) this.applied.set(id, []);
  }

  crash(id: string): void {
    this.down.add(id);
    this.nodes.delete(id);
  }

  node(id: string): NodeState {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`${id} is down`);
    return n;
  }

  /** Block a -> b (and b -> a unless oneWay). */
  block(a: string, b: string, oneWay = false): void {
    this.cut.add(`${a}>${b}`);
    if (!oneWay) this.cut.add(`${b}>${a}`);
  }

  isolate(id: string): void {
    for (const other of this.config.members) if (other.id !== id) this.block(id, other.id);
  }

  heal(): void {
    this.cut.clear();
  }

  input(id: string, input: TestInput): Output {
    const n = this.node(id);
    const { output } = step(n, { ...input, now: this.now } as Input);
    this.handle(n, output);
    return output;
  }

  private handle(n: NodeState, output: Output): void {
    const disk = this.disks.get(n.id) as PersistedState;
    for (const op of output.persist) applyPersistOp(disk, op);
    if (output.restore) this.restored.set(n.id, [...(this.restored.get(n.id) ?? []), output.restore]);
    (this.applied.get(n.id) as LogEntry[]).push(...output.apply);
    for (const m of output.send) { this.sent.push(m); this.inflight.push(m); }
    if (output.persist.length && !this.holdAcks) this.handle(n, step(n, { type: 'persisted', now: this.now, seq: output.persistSeq }).output);
  }

  deliver(): void {
    for (let guard = 0; this.inflight.length && guard < 100_000; guard++) {
      const m = this.inflight.shift() as Message;
      if (this.down.has(m.to) || this.cut.has(`${m.from}>${m.to}`)) continue;
      this.input(m.to, { type: 'message', message: m });
    }
  }

  /** Advance the clock by ms in steps of 10 ms, ticking every live node and delivering messages. */
  run(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + 10);
      for (const id of [...this.nodes.keys()]) this.input(id, { type: 'tick' });
      this.deliver();
    }
  }

  leaders(): string[] {
    return [...this.nodes.values()].filter((n) => n.role === 'leader').map((n) => n.id);
  }

  dcs(): string[] {
    return [...this.nodes.values()].filter((n) => isDc(n, this.now)).map((n) => n.id);
  }

  /** Run until exactly one DC exists (or fail after ms). */
  untilDc(ms = 5000): string {
    const end = this.now + ms;
    while (this.now < end) {
      this.run(10);
      const d = this.dcs();
      if (d.length === 1) return d[0];
    }
    throw new Error(`no DC within ${ms} ms; roles: ${[...this.nodes.values()].map((n) => `${n.id}=${n.role}/t${n.term}`).join(' ')}`);
  }
}

export function members(...ids: string[]): MembershipConfig {
  return { members: ids.map((id) => ({ id, votes: 1 })) };
}
