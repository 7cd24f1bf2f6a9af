/**
 * Failover as a client sees it, in the 3-node lab (network namespaces, real UDP, a real virtual
 * IP, the web service on every host, the client in its own namespace probing every 20 ms):
 *
 *   kill      kill -9 of every process of the node holding the VIP, and its link down; the
 *             service gap is from the last answer before the crash to the first answer after it.
 *             The node is then brought back (address removed, vigild restarted) before the next trial.
 *   move      `vigil resource move vip NODE`: time from the command to the first answer from
 *             NODE, and the gap the client saw.
 *   keepalived the same kill test through keepalived (VRRP, advert_int 1) when it is installed.
 *
 *   npm run bench -- failover [--trials 20] [--moves 5]
 * Prints median and p99 and ends with one line of JSON.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLabCluster, failoverGap, logTail, monotonicMs, serviceGap, ROOT, WEB_PORT, type LabCluster, type Probe } from '../test/lab/cluster.js';
import { createLab, netnsAvailable } from '../test/lab/netns.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const TRIALS = opt('trials', 20);
const MOVES = opt('moves', 5);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

const round = (x: number): number => Math.round(x);

interface Trial { from: string; to: string; wasDc: boolean; gapMs: number }

async function vigilKillTrials(c: LabCluster, trials: number): Promise<Trial[]> {
  const out: Trial[] = [];
  const prober = await c.startProber(20);
  for (let i = 0; i < trials; i++) {
    // Everyone online, nothing in flight, and the client served by the holder before the crash.
    await c.settled();
    const holder = await c.waitForHolder({ timeoutMs: 60_000 });
    await c.waitFor('the client to be served', async () => prober.since(monotonicMs() - 300).some((p) => p.ok && p.host === holder), 30_000);
    const dc = (await c.status(holder)).dc;
    await sleep(300);
    const t0 = monotonicMs();
    await c.crash(holder);
    const next = await c.waitForHolder({ among: c.hosts.filter((h) => h !== holder), timeoutMs: 60_000 });
    await c.waitFor('an answer from another node', async () => prober.since(t0).some((p) => p.ok && p.host !== holder), 30_000);
    await sleep(100);
    const { gapMs } = failoverGap(prober.probes, holder, t0);
    out.push({ from: holder, to: next, wasDc: dc === holder, gapMs });
    console.log(`kill ${String(i + 1).padStart(2)}/${trials}: ${holder}${dc === holder ? ' (DC)' : ''} → ${next}: gap ${round(gapMs)} ms`);
    // Bring it back only once the cluster has fenced it (a power switch would not let it up before).
    await c.waitFor(`${holder} fenced`, async () => (await c.status(next)).nodes.find((n) => n.name === holder)?.state === 'offline', 30_000);
    await c.revive(holder);
    await c.start(holder);
    await c.waitFor(`${holder} to rejoin`, async () => (await c.status(next)).nodes.find((n) => n.name === holder)?.state === 'online', 60_000);
    prober.probes.splice(0, prober.probes.length - 200);
  }
  await prober.stop();
  return out;
}

async function moveTrials(c: LabCluster, moves: number): Promise<Array<{ switchMs: number; gapMs: number }>> {
  const out: Array<{ switchMs: number; gapMs: number }> = [];
  const prober = await c.startProber(20);
  for (let i = 0; i < moves; i++) {
    await c.settled();
    const holder = await c.waitForHolder({ timeoutMs: 60_000 });
    await c.waitFor('the client to be served', async () => prober.since(monotonicMs() - 300).some((p) => p.ok && p.host === holder), 30_000);
    const target = c.hosts.filter((h) => h !== holder)[i % (c.hosts.length - 1)];
    const t0 = monotonicMs();
    const r = await c.vigil(holder, ['resource', 'move', 'vip', target]);
    if (r.code !== 0) throw new Error(`vigil resource move failed: ${r.stderr}`);
    await c.waitFor(`answers from ${target}`, async () => prober.since(t0).some((p) => p.ok && p.host === target), 30_000);
    const first = prober.since(t0).filter((p: Probe) => p.ok && p.host === target).sort((a, b) => a.t - b.t)[0];
    const { gapMs } = serviceGap(prober.probes, t0);
    out.push({ switchMs: first.t - t0, gapMs });
    console.log(`move ${i + 1}/${moves}: ${holder} → ${target}: first answer from ${target} after ${round(first.t - t0)} ms, client gap ${round(gapMs)} ms`);
    await c.vigil(holder, ['resource', 'clear', 'vip']);
    await sleep(1000);
    prober.probes.splice(0, prober.probes.length - 200);
  }
  await prober.stop();
  return out;
}

function hasKeepalived(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v keepalived'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The same kill test through keepalived: VRRP on eth0, the same web service and client. */
async function keepalivedTrials(bin: string, trials: number): Promise<number[]> {
  const hosts = ['n1', 'n2', 'n3'];
  const lab = await createLab({ hosts: [...hosts, 'client'] });
  const gaps: number[] = [];
  try {
    const vip = lab.spareAddress(0);
    const names = hosts.map((h) => `${lab.address(h)}=${h}`).join(',');
    const start = async (h: string, i: number): Promise<void> => {
      const dir = join(lab.pidDir, `ka-${h}`);
      execFileSync('mkdir', ['-p', dir]);
      const conf = join(dir, 'keepalived.conf');
      writeFileSync(conf, `global_defs { router_id ${h} }
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${150 - i * 10}
  advert_int 1
  unicast_src_ip ${lab.address(h)}
  unicast_peer { ${hosts.filter((x) => x !== h).map((x) => lab.address(x)).join(' ')} }
  virtual_ipaddress { ${vip}/24 dev eth0 }
}
`);
      await lab.spawn(h, 'keepalived', [bin, '-n', '-l', '-D', '-f', conf, '-p', join(dir, 'ka.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'chk.pid')]);
      await lab.spawn(h, 'web', [process.execPath, join(ROOT, 'dist/test/lab/web-service.js'), '--port', String(WEB_PORT), '--names', names]);
    };
    for (const [i, h] of hosts.entries()) await start(h, i);
    const holders = async (): Promise<string[]> => (await Promise.all(hosts.map(async (h) => ((await lab.exec(h, ['ip', '-o', '-4', 'addr', 'show', 'up'], { allowFailure: true })).stdout.includes(` ${vip}/`) ? h : '')))).filter(Boolean);
    const { spawn } = await import('node:child_process');
    const { createInterface } = await import('node:readline');
    const child = spawn('ip', ['netns', 'exec', lab.host('client').ns, process.execPath, join(ROOT, 'dist/test/lab/prober.js'), vip, String(WEB_PORT), '20', '250'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const probes: Probe[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => { try { probes.push(JSON.parse(l) as Probe); } catch { /* partial */ } });
    try {
      for (let i = 0; i < trials; i++) {
        let hs: string[] = [];
        const until = Date.now() + 30_000;
        while ((hs = await holders()).length !== 1 && Date.now() < until) await sleep(100);
        if (hs.length !== 1) throw new Error(`keepalived: ${hs.length} holders`);
        const holder = hs[0];
        await sleep(1500);
        const t0 = monotonicMs();
        await lab.crash(holder);
        const until2 = Date.now() + 30_000;
        while (!probes.some((p) => p.t >= t0 && p.ok && p.host !== holder) && Date.now() < until2) await sleep(50);
        await sleep(100);
        const { gapMs } = failoverGap(probes, holder, t0);
        gaps.push(gapMs);
        console.log(`keepalived kill ${i + 1}/${trials}: ${holder}: gap ${round(gapMs)} ms`);
        await lab.revive(holder);
        await start(holder, hosts.indexOf(holder));
        await sleep(3000);
      }
    } finally {
      child.kill('SIGKILL');
    }
  } finally {
    await lab.destroy();
  }
  return gaps;
}

const avail = netnsAvailable();
if (!avail.ok) {
  console.log(`failover bench needs network namespaces: ${avail.reason}`);
  console.log(JSON.stringify({ bench: 'failover', skipped: avail.reason }));
  process.exit(0);
}

const c = await createLabCluster({ logLevel: 'warn' });
let kills: Trial[] = [];
let moves: Array<{ switchMs: number; gapMs: number }> = [];
try {
  await c.startAll();
  kills = await vigilKillTrials(c, TRIALS);
  moves = await moveTrials(c, MOVES);
  await c.observer.stop();
} catch (e) {
  for (const h of c.hosts) console.error(`--- ${h} (log tail)\n${logTail(c, h, 80)}`);
  if (c.observer.overlaps.length) console.error(`overlaps: ${JSON.stringify(c.observer.overlaps.slice(0, 10))}`);
  throw e;
} finally {
  await c.destroy();
}
const overlaps = c.observer.overlaps.length;
const gaps = kills.map((k) => k.gapMs);
const dcGaps = kills.filter((k) => k.wasDc).map((k) => k.gapMs);
const otherGaps = kills.filter((k) => !k.wasDc).map((k) => k.gapMs);
const ka = hasKeepalived();
let kaGaps: number[] | undefined;
if (ka) kaGaps = await keepalivedTrials(ka, TRIALS);

console.log('');
console.log(`kill -9 of the active node, ${gaps.length} trials (default timings: keepalive 250 ms, deadtime 1 s; fencing with the lab fence agent):`);
console.log(`  vigil       median ${round(quantile(gaps, 0.5))} ms   p99 ${round(quantile(gaps, 0.99))} ms   (active node was DC: ${dcGaps.length} trials, median ${round(quantile(dcGaps, 0.5))} ms; not DC: median ${round(quantile(otherGaps, 0.5))} ms)`);
if (kaGaps) console.log(`  keepalived  median ${round(quantile(kaGaps, 0.5))} ms   p99 ${round(quantile(kaGaps, 0.99))} ms   (advert_int 1 s)`);
else console.log('  keepalived  not installed: no comparison');
console.log(`vigil resource move: switchover median ${round(quantile(moves.map((m) => m.switchMs), 0.5))} ms, client gap median ${round(quantile(moves.map((m) => m.gapMs), 0.5))} ms (${moves.length} moves)`);
console.log(`observer: ${c.observer.rounds} rounds, ${overlaps} instants with two holders of the VIP (${c.observer.straddled.length} rounds straddled a move and were not confirmed on re-check)`);
console.log(JSON.stringify({
  bench: 'failover', trials: gaps.length,
  kill: { medianMs: round(quantile(gaps, 0.5)), p99Ms: round(quantile(gaps, 0.99)), maxMs: round(Math.max(...gaps)), dcMedianMs: round(quantile(dcGaps, 0.5)), nonDcMedianMs: round(quantile(otherGaps, 0.5)), gapsMs: gaps.map(round) },
  move: { switchoverMedianMs: round(quantile(moves.map((m) => m.switchMs), 0.5)), gapMedianMs: round(quantile(moves.map((m) => m.gapMs), 0.5)), moves: moves.length },
  keepalived: kaGaps ? { medianMs: round(quantile(kaGaps, 0.5)), p99Ms: round(quantile(kaGaps, 0.99)) } : 'absent',
  overlaps, straddled: c.observer.straddled.length, targets: { medianMs: 1500, p99Ms: 2500 },
}));
