/**
 * A cluster of real `bin/vigil engine` processes for tests and benchmarks. Each node is a child
 * process started by PID (and killed only by that PID); its JSON-line events on stdout are parsed
 * into a per-node view (role, DC, lease, quorum, committed entries) and kept with their CLOCK_MONOTONIC
 * timestamps; commands go to its stdin (the engine's --control channel).
 *
 * Addresses: by default 127.A.B.(10+i) with random A, B and a random port, so that concurrent runs
 * on one machine do not collide. A `launcher` prefix (e.g. `ip netns exec NS`) runs a node
 * elsewhere, with the addresses the caller supplies.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isDeepStrictEqual } from 'node:util';
import { monotonicMs } from '../../src/daemon/clock.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
export const VIGIL = join(ROOT, 'bin/vigil');

export interface EngineEvent {
  t: number;
  node: string;
  ev: string;
  [k: string]: unknown;
}

export interface CommittedEntry { index: number; term: number; type: string; update?: unknown }

export interface ClusterOptions {
  nodes: number;
  /** Add a witness (at address index `nodes`). */
  witness?: boolean;
  /** Addresses per node (default: 127.A.B.(10+i)); with a witness, one more for it. */
  addresses?: string[];
  port?: number;
  /** argv prefix per node name to launch it somewhere else (a namespace). */
  launcher?: (node: string) => string[];
  /** Extra vigil.yaml text under `cluster:` (indented by 2), e.g. timing. */
  extraYaml?: string;
  /** Print engine stderr (logs) of the children here; default: discarded. */
  logLevel?: string;
}

export class EngineProc {
  readonly events: EngineEvent[] = [];
  role = 'follower';
  term = 0;
  dc: string | null = null;
  leaseValid = false;
  quorate = false;
  started = false;
  exited = false;
  exitCode: number | null = null;
  /** Committed entries by index (a restarted node re-applies from its snapshot/log). */
  committed = new Map<number, CommittedEntry>();
  private replies = new Map<string, (r: Record<string, unknown>) => void>();
  private nextId = 0;
  readonly pid: number;
  private listeners = new Set<() => void>();

  constructor(readonly name: string, readonly child: ChildProcess) {
    this.pid = child.pid as number;
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (line) => this.onLine(line));
    child.on('exit', (code) => { this.exited = true; this.exitCode = code; this.leaseValid = false; this.notify(); });
    child.stdin?.on('error', () => undefined);
  }

  /** Called on every event (for waiters). */
  onChange(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private notify(): void {
    for (const f of [...this.listeners]) f();
  }

  private onLine(line: string): void {
    let e: EngineEvent;
    try { e = JSON.parse(line) as EngineEvent; } catch { return; }
    this.events.push(e);
    switch (e.ev) {
      case 'started': this.started = true; break;
      case 'role': this.role = e.role as string; this.term = e.term as number; break;
      case 'dc': this.dc = e.dc as string | null; this.term = e.term as number; break;
      case 'lease': this.leaseValid = e.valid as boolean; this.term = Math.max(this.term, e.term as number); break;
      case 'quorum': this.quorate = e.quorate as boolean; this.term = Math.max(this.term, e.term as number); break;
      case 'committed': this.committed.set(e.index as number, { index: e.index as number, term: e.term as number, type: e.type as string, ...(e.update !== undefined ? { update: e.update } : {}) }); break;
      case 'reply': {
        const f = this.replies.get(String(e.id));
        if (f) { this.replies.delete(String(e.id)); f(e); }
        break;
      }
    }
    this.notify();
  }

  /** Send a control command and wait for its reply. */
  command(cmd: Record<string, unknown>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const id = `c${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.replies.delete(id); reject(new Error(`${this.name}: no reply to ${JSON.stringify(cmd)} within ${timeoutMs} ms`)); }, timeoutMs);
      this.replies.set(id, (r) => { clearTimeout(timer); resolve(r); });
      this.child.stdin?.write(`${JSON.stringify({ ...cmd, id })}\n`);
    });
  }

  /** The committed CIB updates in index order (noop entries left out). */
  cibUpdates(): unknown[] {
    return [...this.committed.values()].sort((a, b) => a.index - b.index).filter((e) => e.type === 'cib').map((e) => e.update);
  }

  get alive(): boolean {
    return !this.exited;
  }
}

export class EngineCluster {
  readonly dir: string;
  readonly configPath: string;
  readonly names: string[];
  readonly addresses: string[];
  readonly port: number;
  readonly procs = new Map<string, EngineProc>();
  /** Every process ever started, for cleanup. */
  private all: EngineProc[] = [];

  constructor(readonly opts: ClusterOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'vigil-engine-'));
    this.names = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    const a = randomInt(1, 255);
    const b = randomInt(1, 255);
    const count = opts.nodes + (opts.witness ? 1 : 0);
    this.addresses = opts.addresses ?? Array.from({ length: count }, (_, i) => `127.${a}.${b}.${10 + i}`);
    this.port = opts.port ?? randomInt(20_000, 60_000);
    const key = join(this.dir, 'authkey');
    writeFileSync(key, randomBytes(32).toString('base64'), { mode: 0o600 });
    chmodSync(key, 0o600);
    const nodes = this.names.map((n, i) => `    - { name: ${n}, addresses: [${this.addresses[i]}] }`).join('\n');
    const witness = opts.witness ? `  quorum: { witness: "${this.addresses[opts.nodes]}:${this.port}" }\n` : '';
    const yaml = `cluster:\n  name: engine-test\n  authkey: ${key}\n  links: [{ transport: unicast, port: ${this.port} }]\n  nodes:\n${nodes}\n${witness}` +
      `  paths: { state_dir: ${join(this.dir, 'state')}, runtime_dir: ${join(this.dir, 'run')} }\n${opts.extraYaml ?? ''}`;
    this.configPath = join(this.dir, 'vigil.yaml');
    writeFileSync(this.configPath, yaml);
  }

  logFile(name: string): string {
    return join(this.dir, `${name}.log`);
  }

  stateDir(name: string): string {
    return join(this.dir, 'state', name);
  }

  /** Start (or restart, keeping its state directory) one node, or the witness (`witness`). */
  start(name: string): EngineProc {
    const old = this.procs.get(name);
    if (old && old.alive) throw new Error(`${name} is still running (pid ${old.pid})`);
    mkdirSync(this.stateDir(name), { recursive: true });
    const sub = name === 'witness' ? 'witness' : 'engine';
    const args = [VIGIL, sub, '--config', this.configPath, '--node', name, '--state-dir', this.stateDir(name), '--control', '--log-level', this.opts.logLevel ?? 'warn'];
    const pre = this.opts.launcher?.(name) ?? [];
    const argv = [...pre, process.execPath, ...args];
    // The engine's log (stderr) goes to a file per node, shown when a wait times out.
    const log = openSync(this.logFile(name), 'a');
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', this.opts.logLevel ? 'inherit' : log] });
    closeSync(log);
    const p = new EngineProc(name, child);
    this.procs.set(name, p);
    this.all.push(p);
    return p;
  }

  startAll(): void {
    for (const n of this.names) this.start(n);
    if (this.opts.witness) this.start('witness');
  }

  proc(name: string): EngineProc {
    const p = this.procs.get(name);
    if (!p) throw new Error(`no process for ${name}`);
    return p;
  }

  live(): EngineProc[] {
    return [...this.procs.values()].filter((p) => p.alive);
  }

  /** kill -9 of the node's process (by the PID we started) and wait until it is gone. */
  async kill(name: string): Promise<number> {
    const p = this.proc(name);
    const at = monotonicMs();
    if (p.alive) {
      const gone = new Promise<void>((res) => { if (p.exited) res(); else p.child.once('exit', () => res()); });
      process.kill(p.pid, 'SIGKILL');
      await gone;
    }
    return at;
  }

  /** The nodes that currently say they hold a valid DC lease. */
  leaseHolders(): EngineProc[] {
    return this.live().filter((p) => p.leaseValid);
  }

  /**
   * Wait until `cond` returns a truthy value (re-checked on every event of any node and every
   * 50 ms); rejects after timeoutMs with `what` and a summary of every node.
   */
  waitFor<T>(cond: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const unsubs: Array<() => void> = [];
      let done = false;
      const finish = (ok: boolean, v?: T): void => {
        if (done) return;
        done = true;
        for (const u of unsubs) u();
        clearInterval(iv);
        clearTimeout(to);
        if (ok) resolve(v as T); else reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`));
      };
      const check = (): void => {
        if (done) return;
        let v: T | undefined | null | false;
        try { v = cond(); } catch { v = undefined; }
        if (v) finish(true, v);
      };
      for (const p of this.all) unsubs.push(p.onChange(check));
      const iv = setInterval(check, 50);
      const to = setTimeout(() => finish(false), timeoutMs);
      check();
    });
  }

  /** Exactly one live node holds a valid lease and every live node follows it: its name. */
  stableDc(among: EngineProc[] = this.live()): string | undefined {
    const holders = among.filter((p) => p.leaseValid);
    if (holders.length !== 1) return undefined;
    const dc = holders[0].name;
    return among.every((p) => p.dc === dc && p.quorate) ? dc : undefined;
  }

  describe(): string {
    return [...this.procs.values()].map((p) => {
      const line = `  ${p.name} pid ${p.pid}${p.alive ? '' : ` exited(${p.exitCode})`} role ${p.role} term ${p.term} dc ${p.dc} lease ${p.leaseValid} quorate ${p.quorate} committed ${p.committed.size}`;
      const f = this.logFile(p.name);
      const tail = existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').slice(-4).filter((l) => l !== '') : [];
      return [line, ...tail.map((l) => `      ${l.slice(0, 400)}`)].join('\n');
    }).join('\n');
  }

  /** Kill every process this cluster started (by PID) and remove its directory. */
  async destroy(): Promise<void> {
    await Promise.all(this.all.filter((p) => p.alive).map((p) => new Promise<void>((res) => {
      p.child.once('exit', () => res());
      try { process.kill(p.pid, 'SIGKILL'); } catch { res(); }
    })));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Propose through whichever node is DC now; resolves with the committed index. When a DC loses
 * leadership mid-way the outcome is unknown, so before every retry it looks for the update in
 * the log of the (new) stable DC: a DC holding a valid lease has committed every entry of earlier
 * terms that will ever be committed, and reported them before its lease event. So an update is
 * never committed twice, and never reported committed when it was lost.
 */
export async function proposeViaDc(c: EngineCluster, update: Record<string, unknown>, among?: EngineProc[], timeoutMs = 30_000): Promise<number> {
  const deadline = monotonicMs() + timeoutMs;
  let last = '';
  while (monotonicMs() < deadline) {
    const dcName = c.stableDc(among?.filter((p) => p.alive));
    if (dcName) {
      const dc = c.proc(dcName);
      const already = [...dc.committed.values()].find((e) => e.type === 'cib' && isDeepStrictEqual(e.update, update));
      if (already) return already.index;
      const r: Record<string, unknown> = await dc.command({ cmd: 'propose', update }, 10_000).catch((e: Error) => ({ ok: false, error: e.message }));
      if (r.ok) return r.index as number;
      last = String(r.error);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`could not propose within ${timeoutMs} ms: ${last}\n${c.describe()}`);
}
