/**
 * `vigil fence confirm NODE` end to end: three real vigild processes on loopback addresses
 * (127.A.B.10-12, a random port; started and killed by PID), fencing enabled with no device for n3
 * (where db runs) and no watchdog-timeout, so when n3 is lost only the operator can fence it. The
 * requests go to a node that is not DC, which forwards them to the DC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callApi, socketPath, type DaemonStatus } from '../../src/api/index.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const VIGIL = join(ROOT, 'bin/vigil');
const NODES = ['n1', 'n2', 'n3'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
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
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** vigild processes on loopback for one test; `close` stops them (by PID) and removes the files. */
function loopbackCluster(nodes: string[], rest: string) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fence-confirm-'));
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
${rest}`);
  const runDir = (n: string) => join(dir, n, 'run');
  const procs = new Map<string, ChildProcess>();
  const supervisors: number[] = [];
  for (const n of nodes) {
    procs.set(n, spawn(process.execPath, [VIGIL, 'start', '--foreground', '--config', config, '--node', n,
      '--state-dir', join(dir, n, 'state'), '--runtime-dir', runDir(n), '--log-file', join(dir, n, 'vigild.log'), '--log-level', 'debug'], { stdio: 'ignore' }));
  }
  return {
    runDir,
    log: (n: string) => readFileSync(join(dir, n, 'vigild.log'), 'utf8'),
    status: (n: string) => callApi<DaemonStatus>(socketPath(runDir(n)), { op: 'status' }, 5_000),
    /** Once settled: note the supervisors, to kill them too at the end. */
    noteSupervisors: () => { for (const p of procs.values()) supervisors.push(...childrenOf(p.pid!)); },
    kill9: (n: string) => procs.get(n)!.kill('SIGKILL'),
    async close(): Promise<void> {
      const running = () => [...procs.values()].filter((p) => p.exitCode === null && p.signalCode === null);
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

const cli = (args: string[]) => spawnSync(process.execPath, [VIGIL, ...args], { encoding: 'utf8', timeout: 60_000 });

test('vigil fence confirm: refused for an unknown node and a live member (exit 2); a lost node with no fence device is recovered once confirmed', { timeout: 120_000 }, async () => {
  const c = loopbackCluster(NODES, `  fencing:
    enabled: true
    # A device for n1 and n2 only (with no device at all nothing would start, as in Pacemaker).
    devices:
      - { device: fence-n1-n2, agent: fence_none_here, hosts: [n1, n2] }
resources:
  - primitive: db
    agent: builtin:dummy
    ops: [ { name: monitor, interval: 2s } ]
constraints:
  - { location: db, node: n3, score: 100 }
`);
  const { runDir, status } = c;
  try {
    // Settled: a DC, all three online, db started somewhere.
    const home = await until('db started on a node', async () => {
      const s = await status('n1');
      if (!s.dc || !s.quorate || s.nodes.some((x) => x.state !== 'online')) return undefined;
      return s.resources.find((r) => r.id === 'db')?.running[0]?.node;
    });
    c.noteSupervisors();
    const dc = (await status('n1')).dc!;
    const asker = NODES.find((n) => n !== dc && n !== home) ?? NODES.find((n) => n !== dc)!;
    const via = ['--runtime-dir', runDir(asker)];

    // Refusals, through a node that is not DC (forwarded; the DC's input error stays one).
    const unknown = cli(['fence', 'confirm', 'n9', ...via]);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /no node "n9" \(nodes: n1, n2, n3\)/);
    const live = cli(['fence', 'confirm', home, ...via]);
    assert.equal(live.status, 2, live.stderr);
    assert.match(live.stderr, new RegExp(`${home} is (the DC|a member of the cluster) and up: .*split brain`));
    assert.deepEqual((await status(asker)).resources.find((r) => r.id === 'db')?.running.map((r) => r.node), [home], 'nothing changed');

    // The node running db dies. Nothing can fence it: db waits.
    const victim = home;
    c.kill9(victim);
    const survivor = NODES.find((n) => n !== victim)!;
    const unclean = await until(`${victim} shown unclean`, async () => {
      const s = await status(survivor);
      return s.dc && s.dc !== victim && s.quorate && s.nodes.find((x) => x.name === victim)?.state === 'unclean' ? s : undefined;
    });
    await sleep(3_000);
    const waiting = await status(survivor);
    assert.ok(!waiting.resources.find((r) => r.id === 'db')?.running.some((r) => r.node !== victim), 'db not started elsewhere before the confirmation');
    assert.equal(waiting.nodes.find((x) => x.name === victim)?.state, 'unclean');
    const newDc = unclean.dc!;
    const asker2 = NODES.find((n) => n !== victim && n !== newDc)!;

    const ok = cli(['fence', 'confirm', victim, '--runtime-dir', runDir(asker2)]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`^${victim}: fencing confirmed by operator; its resources are recovered elsewhere`));
    const after = await until('db recovered on a survivor', async () => {
      const s = await status(asker2);
      const on = s.resources.find((r) => r.id === 'db')?.running.map((r) => r.node) ?? [];
      return on.length === 1 && on[0] !== victim ? s : undefined;
    });
    assert.equal(after.nodes.find((x) => x.name === victim)?.state, 'offline', 'fenced: no longer unclean');
    assert.ok(after.nodes.find((x) => x.name === victim)?.downSince, 'down since the confirmation');
    assert.match(c.log(newDc), new RegExp(`${victim} confirmed by operator: its resources can be recovered`));
    // The DC of a survivor is a member and up: refused.
    const self = cli(['fence', 'confirm', newDc, '--runtime-dir', runDir(asker2)]);
    assert.equal(self.status, 2);
    assert.match(self.stderr, new RegExp(`${newDc} is the DC and up`));
  } finally {
    await c.close();
  }
});

test('vigil fence confirm in two_node mode: the survivor, without quorum and so without a DC, holds the peer\'s vote, becomes DC and recovers', { timeout: 120_000 }, async () => {
  const c = loopbackCluster(['n1', 'n2'], `  quorum: { two_node: true }
  fencing:
    enabled: true
    devices:
      - { device: fence-n1, agent: fence_none_here, hosts: [n1] }
resources:
  - primitive: db
    agent: builtin:dummy
    ops: [ { name: monitor, interval: 2s } ]
constraints:
  - { location: db, node: n2, score: 100 }
`);
  try {
    await until('db started on n2', async () => {
      const s = await c.status('n1');
      return s.dc && s.quorate && s.resources.find((r) => r.id === 'db')?.running[0]?.node === 'n2' ? true : undefined;
    });
    c.noteSupervisors();
    c.kill9('n2');
    await until('n1 alone without quorum', async () => {
      const s = await c.status('n1');
      return !s.quorate && s.dc === null && s.nodes.find((x) => x.name === 'n2')?.state !== 'online' ? true : undefined;
    });
    const ok = cli(['fence', 'confirm', 'n2', '--runtime-dir', c.runDir('n1')]);
    assert.equal(ok.status, 0, ok.stderr);
    const after = await until('db recovered on n1', async () => {
      const s = await c.status('n1');
      return s.resources.find((r) => r.id === 'db')?.running.map((r) => r.node).join() === 'n1' ? s : undefined;
    });
    assert.equal(after.dc, 'n1');
    assert.ok(after.quorate);
    assert.match(c.log('n1'), /two-node: fencing confirmed by operator; holding its vote/);
  } finally {
    await c.close();
  }
});
