/**
 * Real vigild processes on loopback addresses for daemon tests: 127.A.B.10.. and a random port,
 * one state, runtime and log directory per node under a temporary directory; started and killed
 * by PID. `rest` is the vigil.yaml after the links (given the directory, when it must name files
 * in it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callApi, socketPath, type DaemonStatus } from '../../src/api/index.js';

export const ROOT = new URL('../../..', import.meta.url).pathname;
const VIGIL = join(ROOT, 'bin/vigil');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** The PIDs of a process's children (vigild's supervisor), from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Two nodes (two_node, wait_for_all), fenced by the lab agent (pid files under `dir/pids`), and one
 * dummy resource `db` that prefers n2. `fencing`: more lines of the fencing block (e.g. a delay).
 */
export function twoNodeLabFencing(dir: string, fencing = ''): string {
  return `  quorum: { two_node: true, wait_for_all: true }
  fencing:
    enabled: true
${fencing}    devices:
      - device: power
        agent: ${join(ROOT, 'bin/fence_vigil_lab')}
        hosts: [n1, n2]
        params: { pid_dir: '${join(dir, 'pids')}', pcmk_host_argument: plug }
resources:
  - primitive: db
    agent: builtin:dummy
    ops: [ { name: monitor, interval: 2s } ]
constraints:
  - { location: db, node: n2, score: 100 }
`;
}

/** vigild processes on loopback for one test; `close` stops them (by PID) and removes the files. */
export function loopbackCluster(nodes: string[], rest: string | ((dir: string) => string)) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-loopback-'));
  const net = `127.${randomInt(1, 250)}.${randomInt(1, 250)}`;
  const port = randomInt(20_000, 60_000);
  const authkey = join(dir, 'authkey');
  writeFileSync(authkey, randomBytes(32), { mode: 0o600 });
  const config = join(dir, 'vigil.yaml');
  writeFileSync(config, `cluster:
  name: confirm
  authkey: ${authkey}
  nodes:
${nodes.map((n, i) => `    - { name: ${n}, addresses: [${net}.${10 + i}] }`).join('\n')}
  links:
    - { transport: unicast, port: ${port} }
${typeof rest === 'string' ? rest : rest(dir)}`);
  const runDir = (n: string) => join(dir, n, 'run');
  const procs = new Map<string, ChildProcess>();
  const all = new Set<ChildProcess>();
  const supervisors: number[] = [];
  const start = (n: string): void => {
    const p = spawn(process.execPath, [VIGIL, 'start', '--foreground', '--config', config, '--node', n,
      '--state-dir', join(dir, n, 'state'), '--runtime-dir', runDir(n), '--log-file', join(dir, n, 'vigild.log'), '--log-level', 'debug'], { stdio: 'ignore' });
    procs.set(n, p);
    all.add(p);
  };
  for (const n of nodes) start(n);
  return {
    dir,
    runDir,
    /** The cluster's key file, name, port, and each node's address (to talk to a vigild directly). */
    authkey,
    clusterName: 'confirm',
    port,
    address: (n: string) => `${net}.${10 + nodes.indexOf(n)}`,
    /** Start a node's vigild again (after it stopped or was killed); the log file is appended to. */
    start,
    /** Whether the node's vigild process (the latest one started) has exited. */
    exited: (n: string) => procs.get(n)!.exitCode !== null || procs.get(n)!.signalCode !== null,
    pid: (n: string) => procs.get(n)!.pid!,
    log: (n: string) => readFileSync(join(dir, n, 'vigild.log'), 'utf8'),
    status: (n: string) => callApi<DaemonStatus>(socketPath(runDir(n)), { op: 'status' }, 5_000),
    /** Once settled: note the supervisors, to kill them too at the end. */
    noteSupervisors: () => { for (const p of procs.values()) if (p.exitCode === null && p.signalCode === null) supervisors.push(...childrenOf(p.pid!)); },
    kill9: (n: string) => procs.get(n)!.kill('SIGKILL'),
    async close(): Promise<void> {
      const running = () => [...all].filter((p) => p.exitCode === null && p.signalCode === null);
      for (const p of running()) p.kill('SIGTERM');
      await sleep(1_500);
      for (const p of running()) p.kill('SIGKILL');
      for (const pid of supervisors) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const cli = (args: string[]) => spawnSync(process.execPath, [VIGIL, ...args], { encoding: 'utf8', timeout: 60_000 });
