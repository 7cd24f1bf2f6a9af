/**
 * fence_vigil_lab: a fence agent for hosts in a namespace lab (bin/fence_vigil_lab runs it).
 * "Power off" is a power loss: every process recorded for the host, everything they started, and
 * (with `netns`) every process inside the host's network namespace is frozen and then killed with
 * SIGKILL; the host loses what a power loss clears — every address in its namespace that is not
 * part of its base configuration (a virtual IP an agent added) and the contents of its volatile
 * directory — and its links go down. "Power on" restores the base addresses, brings the links
 * back up and clears the fenced mark; it does not restart processes (the lab does that). So after
 * a reboot the host holds nothing it held before, as after a real power cycle.
 *
 * Parameters (stdin, fence-agent protocol):
 *   action   off | on | reboot | status | monitor | list | metadata | validate-all
 *   port / plug / nodename   the host
 *   pid_dir  directory with one sub-directory per host holding *.pid files (required); each file
 *            holds "PID" or, better, "PID STARTTIME" (field 22 of /proc/PID/stat) so that a reused
 *            pid is never mistaken for the host's process
 *   netns    the host's network namespace; `{plug}` is replaced by the host name (optional)
 *   link_down  yes|no: take the namespace's links down on off (default yes when netns is set)
 *
 * Files in <pid_dir>/<host>/ besides the pid files (written by the lab, see test/lab/netns.ts):
 *   addresses  the base configuration: one "IFNAME ADDRESS/PREFIX" a line. With netns, off
 *              removes every other address in the namespace and on adds back missing ones.
 *              Without this file addresses are left as they are.
 *   run/       the host's volatile storage (its /run): emptied on off.
 *   fenced     the mark off leaves (status reports off only with it); on removes it.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { processAlive, procPids, readProcStat } from '../executor/process.js';

const run = promisify(execFile);

export interface LabFenceParams {
  action: string;
  host?: string;
  pidDir?: string;
  netns?: string;
  linkDown: boolean;
}

/** Read `name=value` lines; unknown names are kept (the protocol allows extra device parameters). */
export function parseFenceInput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export function labParams(input: Record<string, string>): LabFenceParams {
  const host = input.port ?? input.plug ?? input.nodename;
  const netns = input.netns ? input.netns.replaceAll('{plug}', host ?? '') : undefined;
  const linkDown = input.link_down === undefined ? netns !== undefined : /^(1|yes|true|on)$/i.test(input.link_down);
  return { action: input.action ?? input.option ?? 'reboot', host, pidDir: input.pid_dir, netns, linkDown };
}

const SAFE = /^[A-Za-z0-9_.:-]+$/;

/** Pids recorded for a host: every *.pid file in <pid_dir>/<host>/ ("PID" or "PID STARTTIME"). */
export async function recordedPids(pidDir: string, host: string): Promise<number[]> {
  const dir = join(pidDir, host);
  let names: string[];
  try { names = await readdir(dir); } catch { return []; }
  const pids: number[] = [];
  for (const n of names.filter((x) => x.endsWith('.pid'))) {
    const text = await readFile(join(dir, n), 'utf8').catch(() => '');
    const [pidText, startTime] = text.trim().split(/\s+/);
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    // "PID STARTTIME" (field 22 of /proc/PID/stat) pins the file to one process: a pid reused
    // by somebody else's process since is not ours to kill.
    if (startTime !== undefined && readProcStat(pid)?.startTime !== startTime) continue;
    pids.push(pid);
  }
  return pids;
}

/** The given pids and all their descendants (by walking parent links in /proc). */
export function withDescendants(roots: number[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const pid of procPids()) {
    const st = readProcStat(pid);
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(pid);
    children.set(st.ppid, list);
  }
  const all = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (all.has(pid)) continue;
    all.add(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return all;
}

/** This process and its ancestors: never targets, whatever the pid files say. */
function protectedPids(): Set<number> {
  const out = new Set<number>([1]);
  let pid: number | undefined = process.pid;
  while (pid !== undefined && pid > 1 && !out.has(pid)) {
    out.add(pid);
    pid = readProcStat(pid)?.ppid;
  }
  return out;
}

async function netnsPids(ns: string): Promise<number[]> {
  try {
    const { stdout } = await run('ip', ['netns', 'pids', ns], { timeout: 10_000 });
    return stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  } catch {
    return [];
  }
}

/** A namespace's links (but lo) and addresses, from one `ip -j addr` (every `ip` run is a fork a fence waits for). */
interface HostNetwork { links: string[]; addresses: string[] }

async function hostNetwork(ns: string): Promise<HostNetwork> {
  const { stdout } = await run('ip', ['-j', '-n', ns, 'addr', 'show'], { timeout: 10_000 });
  const ifaces = JSON.parse(stdout) as Array<{ ifname: string; addr_info?: Array<{ local: string; prefixlen: number; scope: string }> }>;
  return {
    links: ifaces.map((i) => i.ifname).filter((n) => n !== 'lo'),
    // "IFNAME ADDRESS/PREFIX"; link-scope (IPv6 link-local) ones are left out: the kernel makes them.
    addresses: ifaces.flatMap((i) => (i.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${i.ifname} ${a.local}/${a.prefixlen}`)),
  };
}

/** Addresses as "IFNAME ADDRESS/PREFIX". */
export async function namespaceAddresses(ns: string): Promise<string[]> {
  return (await hostNetwork(ns)).addresses;
}

const baseFile = (pidDir: string, host: string): string => join(pidDir, host, 'addresses');
/** The host's volatile directory (what tmpfs /run is on a real host). */
export const volatileDir = (pidDir: string, host: string): string => join(pidDir, host, 'run');

/** Record a host's base addresses (what it has at power on): every address its namespace has now. */
export async function recordBaseAddresses(pidDir: string, host: string, ns: string): Promise<string[]> {
  const base = await namespaceAddresses(ns);
  await mkdir(join(pidDir, host), { recursive: true });
  await writeFile(baseFile(pidDir, host), base.map((a) => `${a}\n`).join(''));
  return base;
}

/** The recorded base addresses, or undefined when the lab recorded none. */
export async function baseAddresses(pidDir: string, host: string): Promise<string[] | undefined> {
  const text = await readFile(baseFile(pidDir, host), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  return text.split('\n').map((l) => l.trim().split(/\s+/).join(' ')).filter((l) => /^\S+ \S+$/.test(l));
}

/**
 * What a power loss clears: every address in the namespace that is not a base address (a virtual
 * IP added by an agent survives a kill -9 of its processes, not a power cycle), and the host's
 * volatile directory. Addresses are left alone when no base configuration was recorded.
 */
export async function clearVolatile(pidDir: string, host: string, ns: string | undefined): Promise<string[]> {
  await rm(volatileDir(pidDir, host), { recursive: true, force: true });
  if (ns === undefined) return [];
  const plan = await networkPlan(pidDir, host, ns, { clear: true });
  await ipBatch(ns, plan.commands);
  return plan.removed;
}

/**
 * The `ip` commands that take a host's network through a power change, from one look at it:
 * `clear` removes what is not base configuration, `down` takes links down, `up` brings them up
 * and adds missing base addresses (what the host boots with).
 */
async function networkPlan(pidDir: string, host: string, ns: string, o: { clear?: boolean; down?: boolean; up?: boolean }): Promise<{ commands: string[]; removed: string[] }> {
  const [net, base] = await Promise.all([hostNetwork(ns), baseAddresses(pidDir, host)]);
  const keep = new Set(base ?? []);
  const removed = o.clear && base ? net.addresses.filter((a) => !keep.has(a)) : [];
  const have = new Set(net.addresses.filter((a) => !removed.includes(a)));
  const commands = [
    ...removed.map((a) => { const [dev, addr] = a.split(' '); return `addr del ${addr} dev ${dev}`; }),
    ...(o.down ? net.links.map((l) => `link set ${l} down`) : []),
    ...(o.up ? net.links.map((l) => `link set ${l} up`) : []),
    ...(o.up && base ? base.filter((a) => !have.has(a)).map((a) => { const [dev, addr] = a.split(' '); return `addr add ${addr} dev ${dev}`; }) : []),
  ];
  return { commands, removed };
}

/** Several `ip` commands in one process (`ip -batch`): each fork costs time a fence is waited for. */
async function ipBatch(ns: string, commands: string[]): Promise<void> {
  if (commands.length === 0) return;
  await new Promise<void>((resolve, reject) => {
    const child = execFile('ip', ['-n', ns, '-batch', '-'], { timeout: 10_000 }, (err) => (err ? reject(err) : resolve()));
    child.stdin?.end(commands.map((c) => `${c}\n`).join(''));
  });
}

const fencedMark = (p: LabFenceParams): string => join(p.pidDir!, p.host!, 'fenced');

/**
 * Power a host off: kill its processes (frozen first, so none can fork a replacement between
 * kills), clear what a power loss clears (unless `keepVolatile`: the lab's crash, where the dead
 * host's state stays as it was), take its links down, mark it fenced.
 */
export async function powerOff(p: LabFenceParams, o: { keepVolatile?: boolean; thenOn?: boolean } = {}): Promise<number> {
  const [recorded, inNetns] = await Promise.all([recordedPids(p.pidDir!, p.host!), p.netns ? netnsPids(p.netns) : []]);
  const roots = [...recorded, ...inNetns];
  const keep = protectedPids();
  const victims = [...withDescendants(roots)].filter((pid) => !keep.has(pid));
  for (const pid of victims) { try { process.kill(pid, 'SIGSTOP'); } catch { /* gone */ } }
  // Freezing may have raced with a fork: look once more for children of the frozen set.
  const all = [...withDescendants(victims)].filter((pid) => !keep.has(pid));
  for (const pid of all) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  const until = Date.now() + 5000;
  // A SIGKILLed process is gone within milliseconds; the fence (and the failover) waits for it.
  while (all.some((pid) => processAlive(pid)) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  const left = all.filter((pid) => processAlive(pid)).length;
  // Only once nothing of the host runs: a live agent could add an address back.
  if (!o.keepVolatile) await rm(volatileDir(p.pidDir!, p.host!), { recursive: true, force: true });
  if (p.netns) {
    // A reboot (thenOn) goes down and up in the same batch: the host is back holding only its base.
    const plan = await networkPlan(p.pidDir!, p.host!, p.netns, { clear: !o.keepVolatile, down: p.linkDown, up: o.thenOn && left === 0 });
    await ipBatch(p.netns, plan.commands);
  }
  if (o.thenOn && left === 0) await rm(fencedMark(p), { force: true });
  else {
    await mkdir(join(p.pidDir!, p.host!), { recursive: true });
    await writeFile(fencedMark(p), `${new Date().toISOString()}\n`);
  }
  return left;
}

export async function powerOn(p: LabFenceParams): Promise<void> {
  await rm(fencedMark(p), { force: true });
  if (p.netns) await ipBatch(p.netns, (await networkPlan(p.pidDir!, p.host!, p.netns, { up: true })).commands);
}

/** On while any recorded process lives; off when fenced and nothing lives; a crashed host is "on" (as a real power switch would say). */
export async function powerStatus(p: LabFenceParams): Promise<'on' | 'off'> {
  const live = (await recordedPids(p.pidDir!, p.host!)).some((pid) => processAlive(pid));
  if (live) return 'on';
  const fenced = await stat(fencedMark(p)).then(() => true, () => false);
  return fenced ? 'off' : 'on';
}

/**
 * The agent's meta-data. Loaded only when asked for: the XML library takes about 55 ms to load,
 * and every fence waits for the agent process to start.
 */
export async function labAgentMetadata(): Promise<string> {
  const { renderMetadata } = await import('../agents/metadata.js');
  return renderMetadata({
    name: 'fence_vigil_lab', version: '1.0',
    shortdesc: 'Fence agent for hosts of a Vigil namespace lab',
    longdesc: 'Powers a lab host off by killing every process recorded for it (and everything in its network namespace), removing the addresses that are not part of its base configuration, emptying its volatile directory and taking its links down.',
    parameters: [
      { name: 'port', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'Host to act on' },
      { name: 'plug', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'Host to act on (alias of port)' },
      { name: 'pid_dir', required: true, unique: false, reloadable: false, type: 'string', shortdesc: 'Directory with <host>/*.pid files' },
      { name: 'netns', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'Network namespace of the host ({plug} is replaced)' },
      { name: 'link_down', required: false, unique: false, reloadable: false, type: 'boolean', shortdesc: 'Take the host links down on off' },
    ],
    actions: ['on', 'off', 'reboot', 'status', 'monitor', 'list', 'metadata', 'validate-all'].map((name) => ({ name, timeoutMs: 20_000 })),
  });
}

export interface AgentAnswer { code: number; stdout: string; stderr: string }

/** The whole agent as a function of its input: what it prints and its exit code. */
export async function labAgent(input: Record<string, string>): Promise<AgentAnswer> {
  const p = labParams(input);
  const fail = (msg: string): AgentAnswer => ({ code: 1, stdout: '', stderr: `fence_vigil_lab: ${msg}\n` });
  if (p.action === 'metadata') return { code: 0, stdout: await labAgentMetadata(), stderr: '' };
  if (!p.pidDir) return fail('pid_dir is required');
  if (!(await stat(p.pidDir).then((s) => s.isDirectory(), () => false))) return fail(`pid_dir ${p.pidDir} is not a directory`);
  if (p.action === 'monitor') return { code: 0, stdout: '', stderr: '' };
  if (p.action === 'list' || p.action === 'list-status') {
    const entries = await readdir(p.pidDir, { withFileTypes: true }).catch(() => []);
    const lines: string[] = [];
    for (const e of entries.filter((x) => x.isDirectory() && SAFE.test(x.name)).sort((a, b) => a.name.localeCompare(b.name))) {
      const st = p.action === 'list-status' ? `,${await powerStatus({ ...p, host: e.name })}` : '';
      lines.push(`${e.name},${e.name}${st}`);
    }
    return { code: 0, stdout: lines.map((l) => `${l}\n`).join(''), stderr: '' };
  }
  if (!p.host) return fail('no target: give port, plug or nodename');
  if (!SAFE.test(p.host)) return fail(`invalid host name ${p.host}`);
  if (p.netns !== undefined && !SAFE.test(p.netns)) return fail(`invalid namespace name ${p.netns}`);
  switch (p.action) {
    case 'validate-all':
      return { code: 0, stdout: '', stderr: '' };
    case 'status': {
      const power = await powerStatus(p);
      return { code: power === 'on' ? 0 : 2, stdout: `Status: ${power.toUpperCase()}\n`, stderr: '' };
    }
    case 'off': {
      const left = await powerOff(p);
      return left === 0 ? { code: 0, stdout: 'Success: Powered OFF\n', stderr: '' } : fail(`${left} processes survived SIGKILL`);
    }
    case 'on':
      await powerOn(p);
      return { code: 0, stdout: 'Success: Powered ON\n', stderr: '' };
    case 'reboot': {
      const left = await powerOff(p, { thenOn: true });
      return left === 0 ? { code: 0, stdout: 'Success: Rebooted\n', stderr: '' } : fail(`${left} processes survived SIGKILL`);
    }
    default:
      return fail(`unsupported action ${p.action}`);
  }
}

/** Entry point for bin/fence_vigil_lab: read stdin (and `--name=value` arguments), act, exit. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const chunks: Buffer[] = [];
  if (!process.stdin.isTTY) for await (const c of process.stdin) chunks.push(c as Buffer);
  const input = parseFenceInput(Buffer.concat(chunks).toString('utf8'));
  for (const a of argv) {
    const m = /^--?([A-Za-z_-]+)=(.*)$/.exec(a);
    if (m) input[m[1].replace(/-/g, '_')] = m[2];
  }
  const answer = await labAgent(input).catch((e: unknown) => ({ code: 1, stdout: '', stderr: `fence_vigil_lab: ${(e as Error).message}\n` }));
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  process.exitCode = answer.code;
}
