/**
 * Running one external program the way an agent must be run: argv and environment as data (never a
 * shell), in a process group of its own, with a deadline after which the WHOLE group gets SIGTERM
 * and, after a grace period, SIGKILL. Output is kept as a bounded tail so a chatty agent cannot
 * exhaust memory.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessRequest {
  argv: readonly string[];
  /** The complete environment of the child (nothing is inherited implicitly). */
  env: Record<string, string>;
  cwd?: string;
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  stdin?: string;
  /** Deadline for the whole run; 0 or undefined means none. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL of the process group after the deadline (default 2000 ms). */
  killGraceMs?: number;
  /** Aborting acts like reaching the deadline (the process group is terminated). */
  signal?: AbortSignal;
  /** Bytes of stdout/stderr kept (the last ones); default 64 KiB each. */
  tailBytes?: number;
  uid?: number;
  gid?: number;
}

export interface ProcessOutcome {
  /** Exit code, or null when the process died from a signal or could not be started. */
  exitCode: number | null;
  /** The signal that ended the process, if any. */
  signal: NodeJS.Signals | null;
  /** The deadline passed (the group was killed). */
  timedOut: boolean;
  /** The run was aborted by the caller's signal (the group was killed). */
  aborted: boolean;
  /** The program could not be started (ENOENT, EACCES, ...). */
  spawnError?: NodeJS.ErrnoException;
  stdout: string;
  stderr: string;
  pid?: number;
  durationMs: number;
}

/** Keeps only the last `limit` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/** Send a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a process exists and is not a zombie. A killed child that nobody reaped yet still has a
 * /proc entry in state Z; for every purpose of ours it is gone.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: exists but belongs to someone else; still alive.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  if (stat === undefined) return true; // no /proc (unusual); kill(0) said it exists
  return stat.state !== 'Z' && stat.state !== 'X';
}

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks after boot: with the pid it identifies a process across pid reuse. */
  startTime: string;
}

/** Parse /proc/PID/stat (the command name may contain spaces and parentheses). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // fields after the name: state(3) ppid(4) pgrp(5) ... starttime(22)
  return { pid, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), startTime: f[19] };
}

/** Whether any process of group `pgid` is still running (zombies do not count). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // The group exists; it may consist only of zombies. Scan /proc for a live member.
  try {
    for (const name of readdirProc()) {
      const st = readProcStat(name);
      if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') return true;
    }
    return false;
  } catch {
    return true;
  }
}

function readdirProc(): number[] {
  return procPids();
}

/** Every pid listed in /proc (of this pid namespace). */
export function procPids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Run a program to completion (or to its deadline). Never rejects: every failure is described in
 * the outcome, because the caller maps it to an operation status.
 */
export function runProcess(req: ProcessRequest): Promise<ProcessOutcome> {
  const started = performance.now();
  const tailBytes = req.tailBytes ?? 64 * 1024;
  const out = new Tail(tailBytes);
  const err = new Tail(tailBytes);
  const grace = req.killGraceMs ?? 2000;

  return new Promise<ProcessOutcome>((resolve) => {
    if (req.argv.length === 0) {
      const e = Object.assign(new Error('empty argv'), { code: 'EINVAL' }) as NodeJS.ErrnoException;
      resolve({ exitCode: null, signal: null, timedOut: false, aborted: false, spawnError: e, stdout: '', stderr: '', durationMs: 0 });
      return;
    }
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let killer: Promise<void> | undefined;

    const child = spawn(req.argv[0], req.argv.slice(1), {
      env: req.env,
      cwd: req.cwd,
      detached: true, // own process group: the deadline kills the agent and everything it started
      stdio: [req.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      uid: req.uid,
      gid: req.gid,
    });
    const pgid = child.pid;

    const terminate = (): void => {
      if (killer || pgid === undefined) return;
      killer = (async () => {
        signalGroup(pgid, 'SIGTERM');
        const until = performance.now() + grace;
        while (performance.now() < until) {
          await sleep(25);
          if (!groupAlive(pgid)) return;
        }
        signalGroup(pgid, 'SIGKILL');
        // SIGKILL is delivered asynchronously: report only once the group is really gone.
        const hard = performance.now() + 2000;
        while (groupAlive(pgid) && performance.now() < hard) await sleep(10);
      })();
    };

    const onAbort = (): void => {
      aborted = true;
      terminate();
    };

    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      const done = (): void =>
        resolve({
          exitCode, signal, timedOut, aborted, spawnError,
          stdout: out.text(), stderr: err.text(), pid: pgid,
          durationMs: Math.round(performance.now() - started),
        });
      // After a timeout, also wait for the rest of the group to be gone (grandchildren that
      // ignored SIGTERM get SIGKILL) before reporting, so "timed out" means "nothing left".
      if (killer) void killer.then(done);
      else done();
    };

    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => finish(null, null, e));
    // 'exit', not 'close': an agent that starts a daemon which keeps our stdout open must not
    // hold the operation until that daemon ends. Give the pipes a moment to drain, then let go.
    child.on('exit', (code, sig) => {
      // The agent is done: from here on the deadline must not kill what it legitimately left
      // running (a daemon it started), only a deadline that passed before the exit counts.
      if (timer) clearTimeout(timer);
      let drained = false;
      const release = (): void => {
        if (drained) return;
        drained = true;
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, sig);
      };
      child.once('close', release);
      setTimeout(release, 100).unref();
    });

    if (req.stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => { /* the agent may exit without reading stdin */ });
      child.stdin.end(req.stdin);
    }
    if (req.timeoutMs && req.timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, req.timeoutMs);
    }
    if (req.signal) {
      if (req.signal.aborted) onAbort();
      else req.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
