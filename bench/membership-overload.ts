// Membership under CPU overload: N endpoint processes on 127.0.x.y with two links each, at the
// default timings (or TIMINGS='{"keepaliveMs":..}'), while SPINNERS processes keep the cores busy.
// Counts false alarms (peer-late, peer-dead) and reports the longest silences seen.
//
//   npm run bench -- membership-overload [seconds=60] [nodes=5] [spinners=2]
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TIMINGS } from '../src/membership/index.js';
import type { MembershipOutput, MembershipTimings } from '../src/membership/index.js';
import { deriveClusterKeys, Endpoint } from '../src/transport/index.js';
import type { LinkSpec } from '../src/transport/index.js';

interface ChildConfig { self: string; nodes: string[]; links: LinkSpec[]; timings: MembershipTimings }

async function runChild(cfg: ChildConfig): Promise<void> {
  const ep = new Endpoint({ self: cfg.self, nodes: cfg.nodes, cluster: 'bench', keys: deriveClusterKeys(Buffer.from('membership-overload-bench-key')), links: cfg.links, timings: cfg.timings });
  ep.on('membership', (ev) => process.stdout.write(`${JSON.stringify(ev)}\n`));
  await ep.start();
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') { await runChild(JSON.parse(process.argv[3]) as ChildConfig); return; }
  const seconds = Number(process.argv[2] ?? 60);
  const n = Number(process.argv[3] ?? 5);
  const spinners = Number(process.argv[4] ?? 2);
  const timings: MembershipTimings = process.env.TIMINGS ? JSON.parse(process.env.TIMINGS) as MembershipTimings : { ...DEFAULT_TIMINGS };
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const port = 46000 + Math.floor(Math.random() * 1000);
  const self = fileURLToPath(import.meta.url);
  const events: Array<{ node: string; ev: MembershipOutput }> = [];
  const procs: ChildProcess[] = [];
  for (const [i, name] of names.entries()) {
    const links: LinkSpec[] = [0, 1].map((k) => ({ kind: 'ucast', id: `link${k}`, bind: `127.0.${k + 8}.${10 + i}`, port: port + k, peers: names.map((_, j) => ({ address: `127.0.${k + 8}.${10 + j}` })) }));
    const p = spawn(process.execPath, [self, 'child', JSON.stringify({ self: name, nodes: names, links, timings })], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: p.stdout! }).on('line', (l) => events.push({ node: name, ev: JSON.parse(l) as MembershipOutput }));
    procs.push(p);
  }
  for (let i = 0; i < spinners; i++) procs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  console.log(`membership-overload: ${n} nodes, ${spinners} spinners, ${seconds} s, timings ${JSON.stringify(timings)}`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const p of procs) p.kill('SIGKILL');

  const of = <K extends MembershipOutput['kind']>(k: K) => events.map((e) => e.ev).filter((e): e is Extract<MembershipOutput, { kind: K }> => e.kind === k);
  const silences = of('peer-recovered').map((e) => e.silentMs);
  const result = {
    bench: 'membership-overload', nodes: n, spinners, seconds, ...timings,
    peerUp: of('peer-up').length, peerLate: of('peer-late').length, peerDead: of('peer-dead').length, linkDown: of('link-down').length,
    lateSilenceMedianMs: Math.round(percentile(silences, 50)), lateSilenceP99Ms: Math.round(percentile(silences, 99)), longestSilenceMs: Math.round(Math.max(0, ...silences, ...of('peer-dead').map((e) => e.silentMs))),
  };
  console.log(`peer-up ${result.peerUp} (expected ${n * (n - 1)}), peer-late ${result.peerLate}, peer-dead ${result.peerDead} (false alarms), link-down ${result.linkDown}`);
  console.log(`silence of late peers: median ${result.lateSilenceMedianMs} ms, p99 ${result.lateSilenceP99Ms} ms, longest ${result.longestSilenceMs} ms (deadtime ${timings.deadtimeMs} ms)`);
  console.log(JSON.stringify(result));
}

await main();
