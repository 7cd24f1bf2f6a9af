// Multicast and broadcast links for real: three hosts in network namespaces joined by two
// bridges (link 0: multicast 239.192.0.1 on 192.0.2.0/24, link 1: broadcast on 198.51.100.0/24),
// one endpoint process per host. A host's link taken down is a link-down, not a death; a kill -9
// is a death on every link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLab, netnsAvailable } from '../lab/netns.js';
import type { Lab } from '../lab/netns.js';
import type { LinkSpec } from '../../src/transport/index.js';
import type { MembershipOutput } from '../../src/membership/index.js';

const TIMINGS = { keepaliveMs: 100, warntimeMs: 1000, deadtimeMs: 2000, initdeadMs: 4000 };
const HOSTS = ['a', 'b', 'c'];
const child = fileURLToPath(new URL('./fixtures/endpoint-node.js', import.meta.url));
const avail = netnsAvailable();

interface Proc { p: ChildProcess; lines: Array<{ t: number; type: string; ev?: MembershipOutput; [k: string]: unknown }> }
let lab: Lab | undefined;
const procs = new Map<string, Proc>();

function links(): LinkSpec[] {
  return [
    { kind: 'mcast', id: 'mcast0', interface: 'eth0', group: '239.192.0.1', port: 694, ttl: 1, loop: false },
    { kind: 'bcast', id: 'bcast1', interface: 'eth1', port: 694 },
  ];
}

function startNode(name: string): Proc {
  if (!lab) throw new Error('no lab');
  const cfg = { self: name, nodes: HOSTS, secret: 'netns-lab-secret-0123456789', links: links(), timings: TIMINGS };
  const p = spawn('ip', ['netns', 'exec', lab.host(name).ns, process.execPath, child, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const proc: Proc = { p, lines: [] };
  createInterface({ input: p.stdout! }).on('line', (l) => { try { proc.lines.push(JSON.parse(l)); } catch { /* partial line at kill */ } });
  procs.set(name, proc);
  return proc;
}

async function waitFor<T>(what: string, f: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const events = (n: string) => (procs.get(n)?.lines ?? []).filter((l) => l.type === 'membership').map((l) => ({ t: l.t, ev: l.ev as MembershipOutput }));
const has = (n: string, pred: (e: MembershipOutput) => boolean) => events(n).find((e) => pred(e.ev));

before(async () => {
  if (!avail.ok) return;
  lab = await createLab({ hosts: HOSTS, links: 2 });
  for (const h of HOSTS) startNode(h);
});

after(async () => {
  for (const p of procs.values()) if (p.p.exitCode === null && p.p.pid) { try { p.p.kill('SIGKILL'); } catch { /* gone */ } }
  await lab?.destroy();
});

test('multicast and broadcast links: every host sees every other on both links', { skip: avail.ok ? false : avail.reason }, async () => {
  for (const h of HOSTS) {
    for (const peer of HOSTS.filter((x) => x !== h)) {
      for (const link of ['mcast0', 'bcast1']) {
        await waitFor(`${h} sees ${peer} on ${link}`, () => has(h, (e) => e.kind === 'link-up' && e.peer === peer && e.link === link));
      }
    }
  }
});

test('a chunked message over multicast and broadcast arrives once, intact', { skip: avail.ok ? false : avail.reason }, async () => {
  const size = 200_000;
  const expectSum = (() => { let s = 0; for (let i = 0; i < size; i++) s = (s + ((i * 7 + 3) & 0xff)) % 65521; return s; })();
  procs.get('a')!.p.stdin!.write(`${JSON.stringify({ cmd: 'send', size })}\n`);
  for (const h of ['b', 'c']) {
    const m = await waitFor(`${h} gets it`, () => procs.get(h)!.lines.find((l) => l.type === 'message' && l.size === size));
    assert.equal(m.sum, expectSum);
    assert.equal(m.from, 'a');
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const h of ['b', 'c']) assert.equal(procs.get(h)!.lines.filter((l) => l.type === 'message' && l.size === size).length, 1);
});

test('a host whose multicast link goes down: link-down, and it stays a member', { skip: avail.ok ? false : avail.reason }, async () => {
  const t0 = Date.now();
  await lab!.setLink('c', 0, false);
  await waitFor('a sees link mcast0 of c down', () => events('a').find((e) => e.t >= t0 && e.ev.kind === 'link-down' && e.ev.peer === 'c' && e.ev.link === 'mcast0'));
  await new Promise((r) => setTimeout(r, TIMINGS.deadtimeMs));
  assert.equal(events('a').some((e) => e.ev.kind === 'peer-dead' && e.ev.peer === 'c'), false);
  assert.equal(events('c').some((e) => e.ev.kind === 'peer-dead'), false, 'c still hears a and b over broadcast');
  await lab!.setLink('c', 0, true);
  await waitFor('link back', () => events('a').find((e) => e.t >= t0 && e.ev.kind === 'link-up' && e.ev.peer === 'c' && e.ev.link === 'mcast0'));
});

test('kill -9 of a host process: the others declare it dead on both links after deadtime', { skip: avail.ok ? false : avail.reason }, async () => {
  const victim = procs.get('b')!;
  const killedAt = Date.now();
  victim.p.kill('SIGKILL');
  for (const h of ['a', 'c']) {
    const d = await waitFor(`${h} sees b dead`, () => events(h).find((e) => e.t >= killedAt && e.ev.kind === 'peer-dead' && e.ev.peer === 'b'));
    const after = d.t - killedAt;
    // Its last heartbeat left about a keepalive before the kill (slack for a loaded machine).
    assert.ok(after >= TIMINGS.deadtimeMs - TIMINGS.keepaliveMs - 400, `dead after ${after.toFixed(0)} ms: too early`);
    if (d.ev.kind === 'peer-dead') assert.ok(d.ev.silentMs >= TIMINGS.deadtimeMs);
    assert.ok(after <= TIMINGS.deadtimeMs + 3000, `dead after ${after.toFixed(0)} ms: too late`);
    for (const link of ['mcast0', 'bcast1']) assert.ok(events(h).some((e) => e.ev.kind === 'link-down' && e.ev.peer === 'b' && e.ev.link === link));
  }
  assert.equal(events('a').some((e) => e.ev.kind === 'peer-dead' && e.ev.peer === 'c'), false);
});
