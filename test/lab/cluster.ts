/**
 * A Vigil cluster in the lab: N hosts and a client in network namespaces (netns.ts), a vigil.yaml
 * written for them, `vigild` started on each host (per-host state and runtime directories passed
 * by option; pids recorded by the lab), a web service on every host and a virtual IP in front
 * of it, an HTTP prober in the client namespace and an observer that polls every namespace and
 * records each instant at which two hosts hold the virtual IP.
 *
 * Used by the lab tests, `npm run demo` and `npm run bench -- failover`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { callApi, socketPath, type ApiRequest, type DaemonStatus } from '../../src/api/index.js';
import { createLab, type Lab } from './netns.js';

/** The repository root (this file is dist/test/lab/cluster.js when it runs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const VIGIL_BIN = join(ROOT, 'bin/vigil');
export const WEB_PORT = 8080;

export interface LabClusterOptions {
  hosts?: string[];
  links?: number;
  /** 'lab': a fence_vigil_lab device; 'watchdog': no device, self-fencing with watchdog_timeout; 'none': fencing disabled. */
  fencing?: 'lab' | 'watchdog' | 'none';
  watchdogTimeout?: string;
  /** cluster.properties stonith-action; default: none set (the cluster's default, reboot). */
  stonithAction?: 'reboot' | 'off';
  /** Replace the resources/constraints part of vigil.yaml (YAML text); default: web clone + VIP. */
  resourcesYaml?: (c: { vip: string; webCommand: string; hosts: string[] }) => string;
  /** Extra lines under `cluster:` (indented by the caller). */
  clusterExtra?: string;
  prefix?: string;
  logLevel?: string;
  /** Run from Heartbeat v1 files instead of vigil.yaml: haresources lines, auto_failback. */
  heartbeat?: { haresources: (c: { vip: string; hosts: string[] }) => string; autoFailback: boolean };
}

export interface Probe { t: number; ok: boolean; host?: string; error?: string }

export interface Overlap { at: number; holders: string[] }

export interface LabCluster {
  lab: Lab;
  hosts: string[];
  vip: string;
  configFile: string;
  dir: string;
  hostDir(host: string): string;
  /** The host's runtime directory (vigild's socket, agent state): the lab host's volatile directory, emptied by a power cycle. */
  runDir(host: string): string;
  /** Start vigild on a host (recorded in the lab's pid dir). */
  start(host: string): Promise<ChildProcess>;
  startAll(): Promise<void>;
  /** Wait until every node is online as the DC sees it and its last transition completed. */
  settled(): Promise<void>;
  /** The crash of DESIGN.md: kill -9 of everything on the host and its links down. */
  crash(host: string): Promise<void>;
  /** Ready a crashed host for a restart, as a power cycle would: VIP removed, runtime directory emptied, links up. */
  revive(host: string): Promise<void>;
  api<T = unknown>(host: string, req: ApiRequest, timeoutMs?: number): Promise<T>;
  status(host: string): Promise<DaemonStatus>;
  /** Hosts where the VIP is configured on an interface that is up. */
  vipHolders(): Promise<string[]>;
  /** Wait until exactly one host holds the VIP (and, if given, that it is one of `among`). */
  waitForHolder(opts?: { among?: string[]; timeoutMs?: number }): Promise<string>;
  waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  /** Observer: polls every host; overlaps are recorded (never two holders at one instant). */
  observer: {
    overlaps: Overlap[];
    /** Rounds that saw two holders once, but not on the immediate second and third look (a move straddling a round). */
    straddled: Overlap[];
    rounds: number;
    stop(): Promise<void>;
  };
  /** HTTP prober in the client namespace. */
  startProber(intervalMs?: number): Promise<Prober>;
  vigil(host: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  destroy(): Promise<void>;
}

export interface Prober {
  probes: Probe[];
  /** Probes from `since` on. */
  since(t: number): Probe[];
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

function defaultResources(c: { vip: string; webCommand: string }): string {
  return `resources:
  - clone: web
    resource:
      primitive: web-server
      agent: builtin:process
      params: { command: '${c.webCommand}' }
      ops:
        - { name: monitor, interval: 2s, timeout: 10s }
  - primitive: vip
    agent: builtin:vip
    params: { ip: ${c.vip}, cidr_netmask: 24, nic: eth0, arp_count: 2 }
    ops:
      - { name: monitor, interval: 1s, timeout: 10s }
constraints:
  - colocation: vip
    with: web
    score: INFINITY
defaults:
  resources: { resource-stickiness: 100 }
`;
}

export async function createLabCluster(o: LabClusterOptions = {}): Promise<LabCluster> {
  const hosts = o.hosts ?? ['n1', 'n2', 'n3'];
  const links = o.links ?? 1;
  const lab = await createLab({ hosts: [...hosts, 'client'], links, ...(o.prefix ? { prefix: o.prefix } : {}) });
  const dir = join(lab.pidDir, 'cluster');
  const stopFns: Array<() => Promise<void>> = [];
  try {
    mkdirSync(dir, { recursive: true });
    const vip = lab.spareAddress(0);
    const authkey = join(dir, 'authkey');
    writeFileSync(authkey, randomBytes(32), { mode: 0o600 });
    const names = hosts.map((h) => `${lab.address(h)}=${h}`).join(',');
    const webCommand = JSON.stringify([process.execPath, join(ROOT, 'dist/test/lab/web-service.js'), '--port', String(WEB_PORT), '--names', names]);
    const fencing = o.fencing ?? 'lab';
    const fp = lab.fenceParams();
    const fencingYaml = fencing === 'none'
      ? '  fencing: { enabled: false }\n'
      : fencing === 'watchdog'
        ? `  fencing:\n    watchdog_timeout: ${o.watchdogTimeout ?? '3s'}\n`
        : `${o.stonithAction ? `  properties: { stonith-action: '${o.stonithAction}' }\n` : ''}  fencing:\n    devices:\n      - device: lab-fence\n        agent: ${join(ROOT, 'bin/fence_vigil_lab')}\n        hosts: [${hosts.join(', ')}]\n        params: { pid_dir: '${fp.pid_dir}', netns: '${fp.netns}', pcmk_host_argument: plug }\n`;
    const yaml = `cluster:
  name: lab
  authkey: ${authkey}
  nodes:
${hosts.map((h) => `    - { name: ${h}, addresses: [${Array.from({ length: links }, (_, l) => lab.address(h, l)).join(', ')}] }`).join('\n')}
  links:
${Array.from({ length: links }, () => '    - { transport: unicast, port: 694 }').join('\n')}
${fencingYaml}${o.clusterExtra ?? ''}
${(o.resourcesYaml ?? defaultResources)({ vip, webCommand, hosts })}`;
    let configFile = join(dir, 'vigil.yaml');
    writeFileSync(configFile, yaml);
    if (o.heartbeat) {
      // An /etc/ha.d as Heartbeat v1 had it: the same three files on every node.
      configFile = join(dir, 'ha.d');
      mkdirSync(configFile, { recursive: true });
      writeFileSync(join(configFile, 'ha.cf'), [
        'keepalive 250ms', 'warntime 750ms', 'deadtime 1', 'initdead 10', 'udpport 694',
        ...hosts.map((h) => `ucast eth0 ${lab.address(h)}`),
        `node ${hosts.join(' ')}`, `auto_failback ${o.heartbeat.autoFailback ? 'on' : 'off'}`, '',
      ].join('\n'));
      writeFileSync(join(configFile, 'authkeys'), `auth 1\n1 sha1 ${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
      writeFileSync(join(configFile, 'haresources'), o.heartbeat.haresources({ vip, hosts }));
    }
    const hostDir = (h: string): string => join(dir, h);
    const runDir = (h: string): string => lab.runDir(h);
    for (const h of hosts) mkdirSync(hostDir(h), { recursive: true });

    const vipHolders = async (): Promise<string[]> => {
      const res = await Promise.all(hosts.map(async (h) => {
        const r = await lab.exec(h, ['ip', '-o', '-4', 'addr', 'show', 'up'], { allowFailure: true, timeoutMs: 5000 });
        return r.stdout.includes(` ${vip}/`) ? h : undefined;
      }));
      return res.filter((h): h is string => h !== undefined);
    };

    // The observer: one round = one `ip` per host, started at the same time.
    const observer = { overlaps: [] as Overlap[], straddled: [] as Overlap[], rounds: 0, running: true, loop: Promise.resolve(), stop: async () => undefined as void };
    observer.loop = (async () => {
      while (observer.running) {
        const at = monotonicMs();
        try {
          const holders = await vipHolders();
          observer.rounds++;
          if (holders.length > 1) {
            // The hosts of one round are read by separate `ip` processes at slightly different
            // instants, so a move (stop on one host, then start on another) can straddle a
            // round. Look again at once: two holders that are real are still there.
            const again = [await vipHolders(), await vipHolders()];
            if (again.some((h) => h.length > 1)) observer.overlaps.push({ at, holders });
            else observer.straddled.push({ at, holders });
          }
        } catch { /* a namespace being torn down */ }
        await sleep(40);
      }
    })();
    observer.stop = async () => { observer.running = false; await observer.loop; };
    stopFns.push(() => observer.stop());

    const cluster: LabCluster = {
      lab, hosts, vip, configFile, dir, hostDir, runDir,
      async start(h) {
        const hd = hostDir(h);
        return lab.spawn(h, 'vigild', [process.execPath, VIGIL_BIN, 'start', '--foreground', o.heartbeat ? '--ha-dir' : '--config', configFile, '--node', h,
          '--state-dir', join(hd, 'state'), '--runtime-dir', runDir(h), '--log-file', join(hd, 'vigild.log'), '--log-level', o.logLevel ?? 'info']);
      },
      async settled() {
        // Every node online in the DC's view, and its last transition complete (an aborted one
        // whose replan found nothing to do is reported complete: superseded).
        return cluster.waitFor('the cluster to settle', async () => {
          const any = await cluster.status(hosts.find((h) => existsSync(socketPath(runDir(h))))!);
          if (!any.dc) return false;
          const s = await cluster.status(any.dc);
          const t = s.transition;
          return s.isDc && s.nodes.every((n) => n.state === 'online') && t !== undefined && t.pending === 0 && t.complete;
        }, 60_000).then(() => undefined);
      },
      async startAll() {
        for (const h of hosts) await cluster.start(h);
      },
      async crash(h) { await lab.crash(h); },
      async revive(h) {
        await lab.revive(h);
      },
      api(h, req, timeoutMs = 10_000) { return callApi(socketPath(runDir(h)), req, timeoutMs); },
      status(h) { return callApi<DaemonStatus>(socketPath(runDir(h)), { op: 'status' }, 5000); },
      vipHolders,
      async waitFor(what, fn, timeoutMs = 30_000) {
        const until = Date.now() + timeoutMs;
        let last: unknown;
        while (Date.now() < until) {
          try {
            const v = await fn();
            if (v !== undefined && v !== false) return v as never;
          } catch (e) { last = e; }
          await sleep(100);
        }
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
      },
      async waitForHolder(w = {}) {
        return cluster.waitFor(`one host holding ${vip}${w.among ? ` among ${w.among.join(',')}` : ''}`, async () => {
          const hs = await vipHolders();
          return hs.length === 1 && (!w.among || w.among.includes(hs[0])) ? hs[0] : undefined;
        }, w.timeoutMs ?? 40_000);
      },
      observer,
      async startProber(intervalMs = 20) {
        const child = spawn('ip', ['netns', 'exec', lab.host('client').ns, process.execPath, join(ROOT, 'dist/test/lab/prober.js'), vip, String(WEB_PORT), String(intervalMs), '250'], { stdio: ['ignore', 'pipe', 'ignore'] });
        const probes: Probe[] = [];
        createInterface({ input: child.stdout! }).on('line', (l) => { try { probes.push(JSON.parse(l) as Probe); } catch { /* partial */ } });
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        const stop = async (): Promise<void> => { if (child.exitCode === null) { try { child.kill('SIGKILL'); } catch { /* gone */ } await exited; } };
        stopFns.push(stop);
        return { probes, since: (t) => probes.filter((p) => p.t >= t), stop };
      },
      async vigil(h, args) {
        return new Promise((res) => {
          const c = spawn(process.execPath, [VIGIL_BIN, ...args, '--runtime-dir', runDir(h)], { stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = ''; let stderr = '';
          c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
          c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
          c.on('exit', (code) => res({ code: code ?? -1, stdout, stderr }));
        });
      },
      async destroy() {
        for (const f of stopFns.splice(0)) await f().catch(() => undefined);
        await lab.destroy();
      },
    };
    return cluster;
  } catch (e) {
    for (const f of stopFns) await f().catch(() => undefined);
    await lab.destroy();
    throw e;
  }
}

/** Read a host's vigild log (for failure messages). */
export function logTail(c: LabCluster, host: string, lines = 40): string {
  const f = join(c.hostDir(host), 'vigild.log');
  if (!existsSync(f)) return '(no log)';
  return readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n');
}

/**
 * The service gap a client saw around `from`: from the last successful probe at or before the
 * first failure after `from` to the first success after it (ms). 0 when nothing failed.
 */
export function serviceGap(unordered: Probe[], from: number): { gapMs: number; firstOkAfter?: Probe; lastOkBefore?: Probe } {
  // Results arrive in completion order (a timed-out probe reports late): order by send time.
  const probes = [...unordered].sort((a, b) => a.t - b.t);
  const after = probes.filter((p) => p.t >= from);
  const firstFail = after.find((p) => !p.ok);
  if (!firstFail) return { gapMs: 0 };
  const before = probes.filter((p) => p.t < firstFail.t && p.ok).pop();
  const recovered = probes.find((p) => p.t > firstFail.t && p.ok);
  if (!recovered) return { gapMs: Number.POSITIVE_INFINITY, ...(before ? { lastOkBefore: before } : {}) };
  return { gapMs: recovered.t - (before?.t ?? from), firstOkAfter: recovered, ...(before ? { lastOkBefore: before } : {}) };
}


/**
 * The outage a client saw when `crashed` went down at `from`: from the last answer `crashed` gave
 * to the first answer from any other host after `from` (ms); Infinity if none came.
 */
export function failoverGap(probes: Probe[], crashed: string, from: number): { gapMs: number; to?: string } {
  const sorted = [...probes].sort((a, b) => a.t - b.t);
  const lastOk = sorted.filter((p) => p.ok && p.host === crashed).pop();
  const next = sorted.find((p) => p.t >= from && p.ok && p.host !== crashed);
  if (!next) return { gapMs: Number.POSITIVE_INFINITY };
  return { gapMs: next.t - (lastOk?.t ?? from), ...(next.host ? { to: next.host } : {}) };
}
