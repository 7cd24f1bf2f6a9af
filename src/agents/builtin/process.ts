/**
 * builtin:process — a managed daemon. Start spawns the command (argv as data, never a shell) in a
 * process group of its own and records its pid; monitor checks that exactly that process (pid and
 * start time, so a reused pid does not count) is alive and not a zombie; stop sends SIGTERM to the
 * group and SIGKILL when it has not gone before the grace period ends.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OcfRc } from '../../model/index.js';
import { groupAlive, processAlive, readProcStat, signalGroup } from '../../executor/process.js';
import { builtinDriver, ok, pause, rc, type BuiltinCall } from './define.js';

/** `["a","b c"]` (JSON) or whitespace-separated words. */
export function parseCommand(text: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    const v: unknown = JSON.parse(t);
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error('command must be a JSON array of strings');
    return v as string[];
  }
  return t.split(/\s+/).filter((w) => w !== '');
}

/** `{"K":"V"}` (JSON) or `K=V` pairs separated by newlines or semicolons. */
export function parseEnv(text: string): Record<string, string> {
  const t = text.trim();
  if (t === '') return {};
  if (t.startsWith('{')) {
    const v: unknown = JSON.parse(t);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('env must be a JSON object');
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  }
  const out: Record<string, string> = {};
  for (const part of t.split(/[;\n]/)) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`env entry "${p}" is not NAME=VALUE`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** uid and gid of a local user, from /etc/passwd (no NSS lookups from here). */
export function lookupUser(name: string): { uid: number; gid: number; home: string } | undefined {
  if (/^\d+$/.test(name)) return { uid: Number(name), gid: Number(name), home: '/' };
  let passwd = '';
  try { passwd = readFileSync('/etc/passwd', 'utf8'); } catch { return undefined; }
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7) return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
  }
  return undefined;
}

interface PidRecord { pid: number; startTime: string }

/** The pidfile holds the pid (as daemons write it); a sidecar keeps the start time that proves identity. */
async function readPid(pidfile: string): Promise<PidRecord | undefined> {
  let pidText: string;
  try { pidText = await readFile(pidfile, 'utf8'); } catch { return undefined; }
  const pid = Number(pidText.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let startTime = '';
  try { startTime = (await readFile(`${pidfile}.start`, 'utf8')).trim(); } catch { /* written by someone else */ }
  return { pid, startTime };
}

/** The recorded process is alive, not a zombie, and the same process we started. */
function running(rec: PidRecord | undefined): boolean {
  if (!rec || !processAlive(rec.pid)) return false;
  if (rec.startTime === '') return true;
  return readProcStat(rec.pid)?.startTime === rec.startTime;
}

async function status(call: BuiltinCall): Promise<{ rec?: PidRecord; up: boolean }> {
  const rec = await readPid(call.params.pidfile);
  return { rec, up: running(rec) };
}

async function start(call: BuiltinCall) {
  const { params, ctx } = call;
  if ((await status(call)).up) return ok();
  let argv: string[];
  let env: Record<string, string>;
  try {
    argv = parseCommand(params.command);
    env = { ...ctx.settings.baseEnv, ...parseEnv(params.env ?? '') };
  } catch (e) {
    return rc(OcfRc.NotConfigured, (e as Error).message);
  }
  if (argv.length === 0) return rc(OcfRc.NotConfigured, 'command is empty');
  let ids: { uid: number; gid: number } | undefined;
  if (params.user) {
    const user = lookupUser(params.user);
    if (!user) return rc(OcfRc.NotConfigured, `no such user ${params.user}`);
    ids = user;
    // What a login would set; the configured env still wins. (Supplementary groups are dropped.)
    env = { HOME: user.home, USER: params.user, LOGNAME: params.user, ...env };
  }
  await mkdir(dirname(params.pidfile), { recursive: true });
  const full = [...ctx.settings.commandPrefix, ...argv];
  if (params.log) await mkdir(dirname(params.log), { recursive: true }).catch(() => undefined);
  const log = params.log ? openSync(params.log, 'a') : 'ignore';
  const child = spawn(full[0], full.slice(1), {
    env, cwd: params.cwd || undefined, detached: true,
    stdio: ['ignore', log, log], uid: ids?.uid, gid: ids?.gid,
  });
  if (typeof log === 'number') closeSync(log);
  const spawned = await new Promise<{ pid?: number; error?: Error }>((resolve) => {
    child.once('spawn', () => resolve({ pid: child.pid }));
    child.once('error', (error) => resolve({ error }));
  });
  if (spawned.error || spawned.pid === undefined) {
    const code = (spawned.error as NodeJS.ErrnoException | undefined)?.code;
    return rc(code === 'ENOENT' ? OcfRc.NotInstalled : OcfRc.Error, `cannot start ${argv[0]}: ${spawned.error?.message ?? 'no pid'}`);
  }
  // The daemon must outlive this operation (and the executor's event loop does not wait for it).
  child.unref();
  const pid = spawned.pid;
  const startTime = readProcStat(pid)?.startTime ?? '';
  await writeFile(params.pidfile, `${pid}\n`);
  await writeFile(`${params.pidfile}.start`, `${startTime}\n`);
  // A daemon that dies at once (bad arguments, port in use) is a failed start, not a running one.
  const settle = Number(params.start_check_ms);
  if (settle > 0) await pause(settle, ctx.signal).catch(() => undefined);
  if (!running({ pid, startTime })) return rc(OcfRc.Error, `${argv[0]} exited right after starting`);
  return ok(`${pid}\n`);
}

async function stop(call: BuiltinCall) {
  const { rec, up } = await status(call);
  if (up && rec) {
    const grace = Number(call.params.stop_grace_ms) > 0 ? Number(call.params.stop_grace_ms) : Math.max(500, call.req.timeoutMs - 2000);
    // The daemon leads its own process group (it was spawned detached): signal the group, so
    // helpers it started go too. Fall back to the pid if it changed group itself.
    const group = readProcStat(rec.pid)?.pgrp === rec.pid;
    const signal = (sig: NodeJS.Signals): void => {
      if (!group || !signalGroup(rec.pid, sig)) { try { process.kill(rec.pid, sig); } catch { /* gone */ } }
    };
    const gone = (): boolean => !running(rec) && (!group || !groupAlive(rec.pid));
    signal('SIGTERM');
    const until = performance.now() + grace;
    while (!gone() && performance.now() < until) await new Promise((r) => setTimeout(r, 25));
    if (!gone()) {
      signal('SIGKILL');
      const hard = performance.now() + 2000;
      while (!gone() && performance.now() < hard) await new Promise((r) => setTimeout(r, 25));
      if (!gone()) return rc(OcfRc.Error, `process ${rec.pid} survived SIGKILL`);
    }
  }
  await rm(call.params.pidfile, { force: true });
  await rm(`${call.params.pidfile}.start`, { force: true });
  return ok();
}

async function monitor(call: BuiltinCall) {
  const { rec, up } = await status(call);
  if (up) return ok();
  // A pidfile whose process is gone means the daemon died: still "not running" to OCF, with a reason.
  return rc(OcfRc.NotRunning, rec ? `process ${rec.pid} is gone` : undefined);
}

export const processAgent = builtinDriver({
  metadata: (settings) => ({
    name: 'process', version: '1.0',
    shortdesc: 'A managed daemon: started, watched by pid and stopped by Vigil',
    longdesc: 'Runs command (a JSON array of strings, or words separated by spaces; never through a shell) in its own process group, records its pid, and treats a zombie as a dead process.',
    parameters: [
      { name: 'command', required: true, unique: false, reloadable: false, type: 'string', shortdesc: 'Program and arguments' },
      { name: 'pidfile', required: false, unique: true, reloadable: false, type: 'string', default: join(settings.stateDir, 'process-$resource.pid'), shortdesc: 'Where the pid is recorded' },
      { name: 'env', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'Extra environment: JSON object or NAME=VALUE;NAME=VALUE' },
      { name: 'cwd', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'Working directory' },
      { name: 'user', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'Run as this user' },
      { name: 'log', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'File for stdout and stderr (default: discarded)' },
      { name: 'start_check_ms', required: false, unique: false, reloadable: true, type: 'integer', default: '100', shortdesc: 'How long start waits to see the process stay up' },
      { name: 'stop_grace_ms', required: false, unique: false, reloadable: true, type: 'integer', shortdesc: 'SIGTERM to SIGKILL delay (default: stop timeout less 2 s)' },
    ],
    actions: [
      { name: 'start', timeoutMs: 20_000 }, { name: 'stop', timeoutMs: 20_000 },
      { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000 }, { name: 'validate-all', timeoutMs: 5_000 }, { name: 'meta-data', timeoutMs: 5_000 },
    ],
  }),
  async validate(call) {
    const problems: string[] = [];
    try { if (parseCommand(call.params.command ?? '').length === 0) problems.push('command is empty'); } catch (e) { problems.push((e as Error).message); }
    try { parseEnv(call.params.env ?? ''); } catch (e) { problems.push((e as Error).message); }
    if (call.params.user && !lookupUser(call.params.user)) problems.push(`no such user ${call.params.user}`);
    return problems;
  },
  actions: { start, stop, monitor },
});
