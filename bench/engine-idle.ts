/**
 * What an idle cluster costs, from real `vigil engine` processes on loopback:
 *
 * - a 5-node cluster over --duration seconds (default 30): CPU per process (utime + stime from
 *   /proc/PID/stat), RSS, heartbeat traffic (frames and bytes sent per second, from the transport
 *   counters), elections;
 * - a 32-node cluster over --duration32 seconds (default 20): the same figures (skip: --no32).
 *
 * `--busy` keeps every core busy with spawned busy-loop processes (killed by PID afterwards) and
 * counts elections and term changes of the 5-node cluster: with `--duration 600 --busy --no32` it
 * is the "no spurious election in 10 minutes under load" check.
 *
 * Ends with one line of JSON.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { EngineCluster } from '../test/engine/cluster.js';
import type { EngineProc } from '../test/engine/cluster.js';

const CLK_TCK = 100; // USER_HZ on Linux (getconf CLK_TCK); /proc reports ticks of it.

function num(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

interface Sample { cpu: number; frames: number; bytes: number; elections: number; term: number }

async function sample(p: EngineProc): Promise<Sample> {
  const r = await p.command({ cmd: 'status' }, 30_000);
  const s = r.status as { links: Record<string, { framesSent: number; bytesSent: number }>; electionsStarted: number; term: number };
  const links = Object.values(s.links);
  return {
    cpu: cpuTicks(p.pid),
    frames: links.reduce((a, l) => a + l.framesSent, 0),
    bytes: links.reduce((a, l) => a + l.bytesSent, 0),
    elections: s.electionsStarted,
    term: s.term,
  };
}

interface Figures {
  nodes: number;
  seconds: number;
  cpuPercentPerNode: { mean: number; max: number };
  cpuPercentTotal: number;
  rssMiB: { mean: number; max: number };
  framesPerSecondPerNode: { mean: number; max: number };
  bytesPerSecondPerNode: { mean: number; max: number };
  elections: number;
  termChanges: number;
  /** Pre-vote rounds started (a follower missed the DC for an election timeout; no term change unless a quorum agreed). */
  preVotes: number;
  dcChanges: number;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function measure(nodes: number, seconds: number, progress: boolean): Promise<Figures> {
  const c = new EngineCluster({ nodes });
  try {
    c.startAll();
    await c.waitFor(() => c.stableDc(), 120_000, `a DC among ${nodes} nodes`);
    // Let start-up (initdead, first catch-up) pass before measuring.
    await new Promise((r) => setTimeout(r, 3000));
    await c.waitFor(() => c.stableDc(), 60_000, 'a settled DC');
    const procs = c.live();
    const count = (pred: (e: EngineProc['events'][number]) => boolean): number => procs.reduce((a, p) => a + p.events.filter(pred).length, 0);
    const isDcEv = (e: EngineProc['events'][number]): boolean => e.ev === 'dc';
    const isPreVote = (e: EngineProc['events'][number]): boolean => e.ev === 'role' && e.role === 'pre-candidate';
    const dcChangesBefore = count(isDcEv);
    const preVotesBefore = count(isPreVote);
    const t0 = performance.now();
    const before = await Promise.all(procs.map(sample));
    const end = t0 + seconds * 1000;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(10_000, end - performance.now())));
      if (progress) {
        const terms = new Set(procs.map((p) => p.term));
        console.log(`  ${Math.round((performance.now() - t0) / 1000)} s: DC ${c.stableDc() ?? 'none'}, terms ${[...terms].join(',')}`);
      }
    }
    const after = await Promise.all(procs.map(sample));
    const secs = (performance.now() - t0) / 1000;
    const cpu = procs.map((_, i) => (100 * (after[i].cpu - before[i].cpu)) / CLK_TCK / secs);
    const rss = procs.map((p) => rssKiB(p.pid) / 1024);
    const fps = procs.map((_, i) => (after[i].frames - before[i].frames) / secs);
    const bps = procs.map((_, i) => (after[i].bytes - before[i].bytes) / secs);
    const dcChanges = count(isDcEv) - dcChangesBefore;
    const preVotes = count(isPreVote) - preVotesBefore;
    return {
      nodes, seconds: round(secs, 1),
      cpuPercentPerNode: { mean: round(mean(cpu)), max: round(Math.max(...cpu)) },
      cpuPercentTotal: round(cpu.reduce((a, b) => a + b, 0)),
      rssMiB: { mean: round(mean(rss), 1), max: round(Math.max(...rss), 1) },
      framesPerSecondPerNode: { mean: round(mean(fps), 1), max: round(Math.max(...fps), 1) },
      bytesPerSecondPerNode: { mean: Math.round(mean(bps)), max: Math.round(Math.max(...bps)) },
      elections: after.reduce((a, s, i) => a + s.elections - before[i].elections, 0),
      termChanges: Math.max(...after.map((s) => s.term)) - Math.max(...before.map((s) => s.term)),
      preVotes,
      dcChanges,
    };
  } finally {
    await c.destroy();
  }
}

function print(label: string, f: Figures): void {
  console.log(`${label}: ${f.nodes} nodes over ${f.seconds} s`);
  console.log(`  CPU per node   mean ${f.cpuPercentPerNode.mean} %  max ${f.cpuPercentPerNode.max} %  (all nodes: ${f.cpuPercentTotal} % of one core)`);
  console.log(`  RSS per node   mean ${f.rssMiB.mean} MiB  max ${f.rssMiB.max} MiB`);
  console.log(`  sent per node  mean ${f.framesPerSecondPerNode.mean} frames/s, ${f.bytesPerSecondPerNode.mean} B/s  (max ${f.framesPerSecondPerNode.max} frames/s, ${f.bytesPerSecondPerNode.max} B/s)`);
  console.log(`  elections ${f.elections}, term changes ${f.termChanges}, pre-vote rounds ${f.preVotes}, DC-changed events ${f.dcChanges}`);
}

const busy = flag('busy');
const duration = num('duration', 30);
const duration32 = num('duration32', 20);
const hogs: ChildProcess[] = [];
const result: Record<string, unknown> = { bench: 'engine-idle', busy };
try {
  if (busy) {
    const n = availableParallelism();
    for (let i = 0; i < n; i++) hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    console.log(`busy: ${n} busy-loop processes (pids ${hogs.map((h) => h.pid).join(', ')})`);
  }
  const five = await measure(5, duration, duration >= 60);
  print(busy ? 'idle cluster, all cores busy' : 'idle cluster', five);
  result.five = five;
  result.spuriousElections = five.elections;
  if (!flag('no32')) {
    const big = await measure(32, duration32, false);
    print('idle cluster', big);
    result.thirtyTwo = big;
  }
} finally {
  for (const h of hogs) if (h.pid !== undefined && h.exitCode === null) process.kill(h.pid, 'SIGKILL');
}
console.log(JSON.stringify(result));
