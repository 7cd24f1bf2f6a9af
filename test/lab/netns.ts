/**
 * Network namespaces for tests and the lab: hosts joined by veth pairs to bridges that live in a
 * namespace of their own. Every name carries a prefix unique to the run; there is no default route;
 * addresses come only from the documentation ranges (link 0: 192.0.2.0/24, link 1: 198.51.100.0/24,
 * link 2: 203.0.113.0/24). `destroy()` removes everything (and kills whatever still runs inside
 * the namespaces, which by construction only this run started); it is safe to call more than once,
 * and `installExitCleanup` makes an interrupted run clean up too.
 *
 *   const lab = await createLab({ hosts: ['a', 'b'], links: 1 });
 *   try { await lab.exec('a', ['ping', '-c1', lab.address('b')]); } finally { await lab.destroy(); }
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readProcStat } from '../../src/executor/process.js';
import { clearVolatile, powerOff, powerOn, recordBaseAddresses, volatileDir } from '../../src/fencing/lab-agent.js';

const run = promisify(execFile);

/** The subnet (first three octets, /24) of each link. */
export const LINK_SUBNETS = ['192.0.2', '198.51.100', '203.0.113'] as const;

export interface LabHost {
  /** Short name given by the test ("a", "client"). */
  name: string;
  /** The namespace's name (prefix + name). */
  ns: string;
  /** Index, from 0; the host's addresses end in 10 + index. */
  index: number;
  /** Interface names inside the host namespace, one per link: eth0, eth1, ... */
  ifnames: string[];
  /** The host's address on each link. */
  addresses: string[];
}

export interface LabOptions {
  /** Host names, in order. */
  hosts: string[];
  /** Number of links (bridges), 1..3. Default 1. */
  links?: number;
  /** Name prefix; default `vg` + 6 random hex chars. Keep it short: names become interface names. */
  prefix?: string;
}

export interface ExecResult { stdout: string; stderr: string; code: number }

export interface Lab {
  prefix: string;
  /** Namespace holding the bridges (br0, br1, ...). */
  bridgeNs: string;
  hosts: Map<string, LabHost>;
  host(name: string): LabHost;
  /** The host's address on a link (default link 0). */
  address(name: string, link?: number): string;
  /** A free address on a link, for virtual IPs: .200 + n. */
  spareAddress(n?: number, link?: number): string;
  /** Run a program inside a host's namespace (`ip netns exec`), never through a shell. */
  exec(host: string, argv: string[], opts?: { timeoutMs?: number; allowFailure?: boolean }): Promise<ExecResult>;
  /** argv prefix that runs a command inside the host namespace. */
  prefixFor(host: string): string[];
  /** Take a host's link down or up (its end of the veth; the bridge side stays). */
  setLink(host: string, link: number, up: boolean): Promise<void>;
  /**
   * Directory of pid files, `<pidDir>/<host>/<name>.pid` holding "PID STARTTIME": what
   * fence_vigil_lab reads (see fenceParams) and what `crash` kills.
   */
  pidDir: string;
  /**
   * Start a program inside a host (the real binary, backgrounded; never a shell function) and
   * record it as one of the host's processes. Output goes to `<pidDir>/<host>/<name>.log`.
   */
  spawn(host: string, name: string, argv: string[], opts?: { env?: Record<string, string>; cwd?: string }): Promise<ChildProcess>;
  /**
   * A crash, as DESIGN.md defines it: SIGKILL of every process of the host and its links down.
   * The dead host's state stays as it was (a virtual IP stays configured) until it is powered
   * off by fence_vigil_lab or revived.
   */
  crash(host: string): Promise<void>;
  /**
   * Ready a crashed host for a restart, as a power cycle would: addresses that are not its base
   * configuration (a VIP) removed, its volatile directory emptied, links up.
   */
  revive(host: string): Promise<void>;
  /** The host's volatile directory (its /run: emptied at power off and by revive); give it to daemons as their runtime directory. */
  runDir(host: string): string;
  /** Device parameters for fence_vigil_lab in this lab (pid_dir, netns with {plug}). */
  fenceParams(): Record<string, string>;
  /** Delete everything this lab created. Idempotent. */
  destroy(): Promise<void>;
}

async function ip(args: string[]): Promise<void> {
  await run('ip', args, { timeout: 15_000 });
}

/** Names of the namespaces that start with `prefix`. */
export function namespacesWithPrefix(prefix: string): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n !== '' && n.startsWith(prefix));
}

/** Kill what runs in a namespace (only ours: the namespace was made by this run) and delete it. */
export function deleteNamespaceSync(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter((p) => /^\d+$/.test(p)).map(Number);
    for (const pid of pids) {
      if (pid === process.pid) continue;
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  } catch { /* namespace already gone */ }
  try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
}

/** Whether this machine can run namespace tests (root, ip, netns support). */
export function netnsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespace tests need root' };
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'ip netns is not available' };
  }
  return existsSync('/proc/self/ns/net') ? { ok: true } : { ok: false, reason: 'no network namespace support' };
}

const liveLabs = new Set<Lab>();
let exitHookInstalled = false;

/** Delete every lab still alive when the process exits or is interrupted. */
export function installExitCleanup(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const sweep = (): void => {
    for (const lab of liveLabs) {
      for (const ns of [...[...lab.hosts.values()].map((h) => h.ns), lab.bridgeNs]) deleteNamespaceSync(ns);
      rmSync(lab.pidDir, { recursive: true, force: true });
    }
    liveLabs.clear();
  };
  process.once('exit', sweep);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { sweep(); process.exit(130); });
  }
}

export function uniquePrefix(): string {
  return `vg${randomBytes(3).toString('hex')}`;
}

export async function createLab(opts: LabOptions): Promise<Lab> {
  const links = opts.links ?? 1;
  if (links < 1 || links > LINK_SUBNETS.length) throw new RangeError(`links must be 1..${LINK_SUBNETS.length}`);
  if (opts.hosts.length === 0 || opts.hosts.length > 100) throw new RangeError('between 1 and 100 hosts');
  const prefix = opts.prefix ?? uniquePrefix();
  const bridgeNs = `${prefix}-br`;
  const hosts = new Map<string, LabHost>();
  opts.hosts.forEach((name, index) => {
    if (!/^[a-z0-9]+$/i.test(name)) throw new RangeError(`host name "${name}" must be letters and digits`);
    hosts.set(name, {
      name, ns: `${prefix}-${name}`, index,
      ifnames: Array.from({ length: links }, (_, l) => `eth${l}`),
      addresses: Array.from({ length: links }, (_, l) => `${LINK_SUBNETS[l]}.${10 + index}`),
    });
  });

  let destroyed = false;
  const pidDir = mkdtempSync(join(tmpdir(), `${prefix}-pids-`));
  const lab: Lab = {
    prefix, bridgeNs, hosts, pidDir,
    host(name) {
      const h = hosts.get(name);
      if (!h) throw new Error(`no lab host ${name}`);
      return h;
    },
    address(name, link = 0) {
      return lab.host(name).addresses[link];
    },
    spareAddress(n = 0, link = 0) {
      return `${LINK_SUBNETS[link]}.${200 + n}`;
    },
    prefixFor(name) {
      return ['ip', 'netns', 'exec', lab.host(name).ns];
    },
    async exec(name, argv, o = {}) {
      try {
        const r = await run('ip', ['netns', 'exec', lab.host(name).ns, ...argv], { timeout: o.timeoutMs ?? 15_000, encoding: 'utf8' });
        return { stdout: r.stdout, stderr: r.stderr, code: 0 };
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; code?: number | string };
        const res = { stdout: err.stdout ?? '', stderr: err.stderr ?? String(e), code: typeof err.code === 'number' ? err.code : -1 };
        if (o.allowFailure) return res;
        throw new Error(`${argv.join(' ')} in ${name} failed (${res.code}): ${res.stderr.trim()}`);
      }
    },
    async setLink(name, link, up) {
      const h = lab.host(name);
      await ip(['-n', h.ns, 'link', 'set', h.ifnames[link], up ? 'up' : 'down']);
    },
    async spawn(name, procName, argv, o = {}) {
      const h = lab.host(name);
      if (!/^[A-Za-z0-9_.-]+$/.test(procName)) throw new RangeError(`process name "${procName}" must be a plain file name`);
      const dir = join(pidDir, name);
      mkdirSync(dir, { recursive: true });
      const log = openSync(join(dir, `${procName}.log`), 'a');
      const child = spawn('ip', ['netns', 'exec', h.ns, ...argv], {
        detached: true, stdio: ['ignore', log, log], env: o.env ?? process.env, cwd: o.cwd,
      });
      closeSync(log);
      await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
      // `ip netns exec` execs the program: this pid is the program's own.
      const start = readProcStat(child.pid!)?.startTime ?? '';
      writeFileSync(join(dir, `${procName}.pid`), `${child.pid} ${start}\n`);
      return child;
    },
    async crash(name) {
      const h = lab.host(name);
      await powerOff({ action: 'off', host: name, pidDir, netns: h.ns, linkDown: true }, { keepVolatile: true });
    },
    async revive(name) {
      const h = lab.host(name);
      await clearVolatile(pidDir, name, h.ns);
      await powerOn({ action: 'on', host: name, pidDir, netns: h.ns, linkDown: true });
    },
    runDir(name) {
      lab.host(name);
      return volatileDir(pidDir, name);
    },
    fenceParams() {
      return { pid_dir: pidDir, netns: `${prefix}-{plug}` };
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const h of hosts.values()) deleteNamespaceSync(h.ns);
      deleteNamespaceSync(bridgeNs);
      rmSync(pidDir, { recursive: true, force: true });
      liveLabs.delete(lab);
    },
  };
  liveLabs.add(lab);
  installExitCleanup();

  try {
    await ip(['netns', 'add', bridgeNs]);
    await ip(['-n', bridgeNs, 'link', 'set', 'lo', 'up']);
    for (let l = 0; l < links; l++) {
      await ip(['-n', bridgeNs, 'link', 'add', `br${l}`, 'type', 'bridge']);
      await ip(['-n', bridgeNs, 'link', 'set', `br${l}`, 'up']);
    }
    for (const h of hosts.values()) {
      await ip(['netns', 'add', h.ns]);
      await ip(['-n', h.ns, 'link', 'set', 'lo', 'up']);
      for (let l = 0; l < links; l++) {
        // Created inside the namespaces directly: nothing ever appears in the root namespace.
        const peer = `h${h.index}l${l}`;
        await ip(['-n', h.ns, 'link', 'add', h.ifnames[l], 'type', 'veth', 'peer', 'name', peer, 'netns', bridgeNs]);
        await ip(['-n', bridgeNs, 'link', 'set', peer, 'master', `br${l}`]);
        await ip(['-n', bridgeNs, 'link', 'set', peer, 'up']);
        await ip(['-n', h.ns, 'addr', 'add', `${h.addresses[l]}/24`, 'dev', h.ifnames[l]]);
        await ip(['-n', h.ns, 'link', 'set', h.ifnames[l], 'up']);
      }
      // What the host has at power on: fence_vigil_lab's off removes every other address.
      await recordBaseAddresses(pidDir, h.name, h.ns);
    }
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

/** Create a lab, run `fn`, and always destroy the lab afterwards. */
export async function withLab<T>(opts: LabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab(opts);
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}
