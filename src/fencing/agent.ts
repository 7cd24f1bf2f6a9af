/**
 * The fence-agent protocol, as the ClusterLabs fence agents speak it: the agent reads
 * `name=value` lines on stdin (action=off|on|reboot|status|monitor|list|metadata, the target as
 * port=/plug= and nodename=, then the device's own parameters) and answers with its exit code:
 * 0 success; for `status` 0 means on, 2 off, anything else an error. `list` prints one outlet per
 * line, `plug,alias`. Like resource agents, a fence agent runs in a process group of its own and a
 * timed-out one has the whole group killed.
 */
import { access, constants } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { runProcess, type ProcessOutcome } from '../executor/process.js';
import { parseMetadata, type AgentMetadata } from '../agents/metadata.js';

export type FenceAction = 'off' | 'on' | 'reboot' | 'status' | 'monitor' | 'list' | 'list-status' | 'metadata' | 'validate-all';

export type PowerState = 'on' | 'off';

export interface FenceOutlet {
  plug: string;
  alias?: string;
  /** From `list-status`. */
  status?: string;
}

export interface FenceRequest {
  /** `fence_xxx` (looked up in the agent directories) or an absolute path. */
  agent: string;
  action: FenceAction;
  /** The node or outlet to act on (sent as `nodename=` and as the host argument). */
  target?: string;
  /** Device parameters (ipaddr, login, status_file, pid_dir, ...). */
  params?: Record<string, string>;
  /**
   * Name under which the target is passed (Pacemaker's pcmk_host_argument): `port` (default),
   * `plug`, another parameter name, or `none`.
   */
  hostArgument?: string;
  timeoutMs?: number;
}

export interface FenceResult {
  ok: boolean;
  action: FenceAction;
  /** Exit code, null when the agent did not exit normally (timeout, signal, not found). */
  rc: number | null;
  /** For `status`: what the device reports. */
  power?: PowerState;
  /** For `list` / `list-status`. */
  outlets?: FenceOutlet[];
  /** Why it failed, when it did. */
  error?: string;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface FenceRunnerOptions {
  /** Where `fence_xxx` names are looked up (default /usr/sbin, /usr/local/sbin, /sbin). */
  agentDirs?: string[];
  /** Prepended to the agent's argv (e.g. ['ip', 'netns', 'exec', NS]). */
  commandPrefix?: string[];
  env?: Record<string, string>;
  killGraceMs?: number;
  defaultTimeoutMs?: number;
}

/** Thrown for requests that cannot be sent at all (bad names, values that would break the lines). */
export class FenceRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FenceRequestError';
  }
}

const NAME = /^[A-Za-z0-9_-]+$/;

/** The stdin an agent gets: `action` first, then the target, then the device parameters. */
export function fenceStdin(req: FenceRequest): string {
  const lines: string[] = [];
  const add = (k: string, v: string): void => {
    if (!NAME.test(k)) throw new FenceRequestError(`fence parameter name "${k}" is not a plain name`);
    if (/[\n\r\0]/.test(v)) throw new FenceRequestError(`fence parameter ${k} contains a line break`);
    lines.push(`${k}=${v}`);
  };
  add('action', req.action);
  const params = { ...(req.params ?? {}) };
  // Parameters that select the action or target are ours to set.
  for (const k of ['action', 'option', 'nodename']) delete params[k];
  if (req.target !== undefined) {
    add('nodename', req.target);
    const arg = req.hostArgument ?? 'port';
    if (arg !== 'none') {
      delete params[arg];
      add(arg, req.target);
    }
  }
  for (const [k, v] of Object.entries(params)) add(k, v);
  return `${lines.join('\n')}\n`;
}

/** `plug,alias` lines (and `plug,alias,status` for list-status); blank lines ignored. */
export function parseOutlets(stdout: string): FenceOutlet[] {
  const out: FenceOutlet[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [plug, alias, status] = line.split(',').map((s) => s.trim());
    if (!plug) continue;
    out.push({ plug, alias: alias || undefined, status: status || undefined });
  }
  return out;
}

export async function resolveFenceAgent(agent: string, dirs: string[]): Promise<string | undefined> {
  if (isAbsolute(agent)) {
    try { await access(agent, constants.X_OK); return agent; } catch { return undefined; }
  }
  if (!/^fence_[A-Za-z0-9_]+$/.test(agent)) return undefined;
  for (const dir of dirs) {
    const p = join(dir, agent);
    try { await access(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

function interpret(req: FenceRequest, p: ProcessOutcome): FenceResult {
  const base = { action: req.action, rc: p.exitCode, timedOut: p.timedOut, stdout: p.stdout, stderr: p.stderr, durationMs: p.durationMs };
  const said = (p.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '').slice(0, 500);
  if (p.timedOut) return { ...base, ok: false, error: `${req.agent} ${req.action} timed out` };
  if (p.spawnError) return { ...base, ok: false, error: `${req.agent}: ${p.spawnError.message}` };
  if (p.exitCode === null) return { ...base, ok: false, error: `${req.agent} ${req.action} killed by ${p.signal}` };
  if (req.action === 'status') {
    if (p.exitCode === 0) return { ...base, ok: true, power: 'on' };
    if (p.exitCode === 2) return { ...base, ok: true, power: 'off' };
    return { ...base, ok: false, error: `${req.agent} status failed (exit ${p.exitCode})${said ? `: ${said}` : ''}` };
  }
  if (p.exitCode !== 0) return { ...base, ok: false, error: `${req.agent} ${req.action} failed (exit ${p.exitCode})${said ? `: ${said}` : ''}` };
  if (req.action === 'list' || req.action === 'list-status') return { ...base, ok: true, outlets: parseOutlets(p.stdout) };
  return { ...base, ok: true };
}

/** Runs fence agents. Never rejects for agent failures (they are results); rejects for malformed requests. */
export class FenceRunner {
  private readonly dirs: string[];
  private readonly prefix: string[];
  private readonly env: Record<string, string>;
  private readonly killGraceMs: number;
  private readonly defaultTimeoutMs: number;

  constructor(opts: FenceRunnerOptions = {}) {
    this.dirs = opts.agentDirs ?? ['/usr/sbin', '/usr/local/sbin', '/sbin'];
    this.prefix = opts.commandPrefix ?? [];
    const path = [process.env.PATH ?? '/usr/bin:/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'].join(':');
    this.env = opts.env ?? { PATH: path, LC_ALL: 'C', LANG: 'C' };
    this.killGraceMs = opts.killGraceMs ?? 2000;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 60_000;
  }

  async run(req: FenceRequest): Promise<FenceResult> {
    const stdin = fenceStdin(req);
    const path = await resolveFenceAgent(req.agent, this.dirs);
    if (!path) {
      return { ok: false, action: req.action, rc: null, error: `fence agent ${req.agent} not found (looked in ${isAbsolute(req.agent) ? req.agent : this.dirs.join(', ')})`, timedOut: false, stdout: '', stderr: '', durationMs: 0 };
    }
    const p = await runProcess({
      argv: [...this.prefix, path], env: this.env, stdin,
      timeoutMs: req.timeoutMs ?? this.defaultTimeoutMs, killGraceMs: this.killGraceMs,
    });
    return interpret(req, p);
  }

  /** Power a target off and confirm it with `status`, as a fencing action must. */
  async fenceOff(req: Omit<FenceRequest, 'action'>): Promise<FenceResult> {
    const off = await this.run({ ...req, action: 'off' });
    if (!off.ok) return off;
    const status = await this.run({ ...req, action: 'status' });
    if (!status.ok) return { ...status, action: 'off', ok: false, error: `off succeeded but status could not confirm it: ${status.error}` };
    if (status.power !== 'off') return { ...status, action: 'off', ok: false, error: `off succeeded but the device reports ${req.target ?? 'the target'} on` };
    return { ...off, power: 'off' };
  }

  /** The agent's meta-data (parameters and actions). */
  async metadata(agent: string): Promise<AgentMetadata> {
    const r = await this.run({ agent, action: 'metadata', timeoutMs: 20_000 });
    if (!r.ok) throw new Error(r.error);
    return parseMetadata(r.stdout);
  }
}
