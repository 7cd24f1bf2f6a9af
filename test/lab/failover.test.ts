/**
 * vigild end to end in the lab: three hosts (and a client) in network namespaces, real UDP, a
 * real virtual IP in front of a web service, real fence and resource agents; fencing with the
 * default stonith-action (reboot: the lab agent power-cycles the host). The observer fails a test
 * at any instant where two hosts hold the virtual IP, except while a test has made two holders
 * itself (a node back with the address still on it) and the cluster has not resolved it yet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLabCluster, failoverGap, logTail, monotonicMs, type LabCluster } from './cluster.js';
import { socketPath } from '../../src/api/index.js';
import { netnsAvailable } from './netns.js';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordedPids, withDescendants } from '../../src/fencing/lab-agent.js';

const available = netnsAvailable();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Two holders the test made itself (monotonic ms): the observer's findings inside are expected. */
interface Injected { from: number; to: number }

function noOverlap(c: LabCluster, injected?: Injected): void {
  if (c.observer.straddled.length) process.stderr.write(`observer: ${c.observer.straddled.length} round(s) straddled a move (two holders once, one on the immediate re-checks)\n`);
  const overlaps = c.observer.overlaps.filter((o) => !injected || o.at < injected.from || o.at > injected.to);
  assert.deepEqual(overlaps, [], `two hosts held ${c.vip} at once: ${JSON.stringify(overlaps.slice(0, 5))}`);
  assert.ok(c.observer.rounds > 10, `the observer ran (${c.observer.rounds} rounds)`);
}

async function withCluster(opts: Parameters<typeof createLabCluster>[0], fn: (c: LabCluster) => Promise<void | Injected>): Promise<void> {
  const c = await createLabCluster(opts);
  try {
    await c.startAll();
    const injected = await fn(c);
    await c.observer.stop();
    noOverlap(c, injected ?? undefined);
  } catch (e) {
    for (const h of c.hosts) process.stderr.write(`--- ${h} vigild log (tail)\n${logTail(c, h, 30)}\n`);
    throw e;
  } finally {
    await c.destroy();
  }
}

test('kill -9 of the active node: the service answers from another node, never from two', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({}, async (c) => {
    const holder = await c.waitForHolder();
    const prober = await c.startProber(20);
    await c.waitFor('the client to be served', async () => prober.probes.some((p) => p.ok && p.host === holder));
    const t0 = monotonicMs();
    await c.crash(holder);
    const next = await c.waitForHolder({ among: c.hosts.filter((h) => h !== holder) });
    await c.waitFor('the client to be served by the new node', async () => prober.since(t0).some((p) => p.ok && p.host === next));
    const gap = failoverGap(prober.probes, holder, t0);
    t.diagnostic(`service gap ${Math.round(gap.gapMs)} ms (${holder} → ${next})`);
    assert.ok(Number.isFinite(gap.gapMs));
    assert.ok(!prober.since(t0 + gap.gapMs + 100).some((p) => p.ok && p.host === holder), 'the crashed node no longer answers');
    await c.waitFor('the status to show the failover', async () => {
      const s = await c.status(next);
      return s.nodes.find((n) => n.name === holder)?.state === 'offline' && s.resources.find((r) => r.id === 'vip')?.running.map((x) => x.node).join() === next;
    }, 10_000);
    await prober.stop();
  });
});

test('one of two links down: no failover, the link shows down', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({ links: 2 }, async (c) => {
    const holder = await c.waitForHolder();
    const prober = await c.startProber(50);
    await c.waitFor('the client to be served', async () => prober.probes.some((p) => p.ok));
    const other = c.hosts.find((h) => h !== holder)!;
    await c.lab.setLink(holder, 1, false);
    const t0 = monotonicMs();
    await sleep(4000);
    assert.deepEqual(await c.vipHolders(), [holder], 'the address stayed');
    const during = prober.since(t0);
    assert.ok(during.length > 20 && during.every((p) => p.ok && p.host === holder), 'the client was served by the same node throughout');
    const s = await c.status(other);
    const seen = s.nodes.find((n) => n.name === holder)!;
    assert.equal(seen.state, 'online');
    assert.equal(seen.links.link1, 'dead', `link1 as ${other} sees ${holder}: ${JSON.stringify(seen.links)}`);
    assert.equal(seen.links.link0, 'alive');
    assert.equal(s.resources.find((r) => r.id === 'vip')?.failures.length, 0);
    await c.lab.setLink(holder, 1, true);
    await prober.stop();
  });
});

async function partition(c: LabCluster, host: string): Promise<void> {
  // Everything in and out of the host's links dropped; loopback still works.
  const rules = 'table inet vigilpart {\n chain in { type filter hook input priority 0; policy drop; iifname "lo" accept; }\n chain out { type filter hook output priority 0; policy drop; oifname "lo" accept; }\n}\n';
  const file = join(c.dir, `partition-${host}.nft`);
  writeFileSync(file, rules);
  await c.lab.exec(host, ['nft', '-f', file]);
}

async function heal(c: LabCluster, host: string): Promise<void> {
  await c.lab.exec(host, ['nft', 'delete table inet vigilpart']);
}

test('one of three partitioned: the minority stops its resources, the majority recovers them only after watchdog-timeout', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({ fencing: 'watchdog', watchdogTimeout: '3s' }, async (c) => {
    const holder = await c.waitForHolder();
    const others = c.hosts.filter((h) => h !== holder);
    await sleep(500);
    const t0 = monotonicMs();
    await partition(c, holder);
    // The minority gives the address up on its own (no-quorum-policy stop) ...
    await c.waitFor(`${holder} to stop its resources`, async () => !(await c.vipHolders()).includes(holder), 20_000);
    const released = monotonicMs();
    // ... and the majority takes it over only once watchdog-timeout has passed since it lost the node.
    const next = await c.waitForHolder({ among: others, timeoutMs: 30_000 });
    const taken = monotonicMs();
    t.diagnostic(`released by ${holder} after ${Math.round(released - t0)} ms, taken by ${next} after ${Math.round(taken - t0)} ms`);
    assert.ok(taken - t0 >= 3000, `recovered ${Math.round(taken - t0)} ms after the partition: before watchdog-timeout (3 s)`);
    const minority = await c.status(holder);
    assert.equal(minority.quorate, false, 'the minority knows it has no quorum');
    const majority = await c.status(next);
    assert.ok(majority.quorate && majority.dc !== holder, 'the majority has a DC of its own');
    // Heal: the node rejoins; one holder; the client reaches the service (the holder announced it again).
    await heal(c, holder);
    await c.waitFor(`${holder} to rejoin`, async () => (await c.status(next)).nodes.find((n) => n.name === holder)?.state === 'online', 20_000);
    await sleep(1500);
    assert.equal((await c.vipHolders()).length, 1);
    const prober = await c.startProber(50);
    await c.waitFor('the client to be served after the heal', async () => prober.probes.some((p) => p.ok), 10_000);
    await prober.stop();
  });
});

test('a paused (SIGSTOP) node is fenced and its service recovered elsewhere', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({}, async (c) => {
    const holder = await c.waitForHolder();
    const pids = [...withDescendants(await recordedPids(c.lab.pidDir, holder))];
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const next = await c.waitForHolder({ among: c.hosts.filter((h) => h !== holder), timeoutMs: 30_000 });
    const s = await c.status(next);
    assert.equal(s.nodes.find((n) => n.name === holder)?.state, 'offline');
    // Fencing killed the paused processes (the lab's power switch).
    await c.waitFor('the paused processes to be gone', async () => pids.every((p) => { try { process.kill(p, 0); return false; } catch { return true; } }), 10_000);
  });
});

test('a failing monitor: restarted in place, moved once migration-threshold is reached', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({
    resourcesYaml: () => `resources:
  - primitive: dm
    agent: builtin:dummy
    meta: { migration-threshold: 2 }
    ops:
      - { name: monitor, interval: 1s, timeout: 10s }
`,
  }, async (c) => {
    const where = async (): Promise<{ node?: string; count: number }> => {
      const s = await c.status(c.hosts[0]);
      const r = s.resources.find((x) => x.id === 'dm')!;
      return { node: r.running[0]?.node, count: r.failures.reduce((a, f) => a + f.count, 0) };
    };
    // The dummy is its state file (in the host's own runtime directory): removing it is a crash
    // of the resource that the next monitor sees once; the recovery's start writes it again.
    const crashResource = (host: string): void => {
      const dir = join(c.runDir(host), 'agents');
      const files = readdirSync(dir).filter((f) => f.startsWith('dummy-dm'));
      assert.ok(files.length > 0, `no dummy state file in ${dir}`);
      for (const f of files) rmSync(join(dir, f));
    };
    const first = await c.waitFor('dm to run', async () => (await where()).node);
    await sleep(500);
    crashResource(first);
    const again = await c.waitFor('dm running again after one failure', async () => { const w = await where(); return w.node && w.count === 1 ? w.node : undefined; }, 20_000);
    assert.equal(again, first, 'recovered on the same node (fail-count 1 < migration-threshold 2)');
    await sleep(1500);
    crashResource(first);
    const moved = await c.waitFor('dm running elsewhere', async () => { const w = await where(); return w.node && w.node !== first && w.count >= 2 ? w.node : undefined; }, 20_000);
    assert.notEqual(moved, first);
    const s = await c.status(c.hosts[0]);
    assert.ok(s.resources.find((x) => x.id === 'dm')!.failures.some((f) => f.node === first && f.count >= 2));
    // cleanup forgets the failures; restart stops it and starts it again; stop keeps it stopped.
    let r = await c.vigil(c.hosts[0], ['resource', 'cleanup', 'dm']);
    assert.equal(r.code, 0, r.stderr);
    await c.waitFor('the failures to be forgotten', async () => (await where()).count === 0, 20_000);
    await c.waitFor('dm to run after the cleanup', async () => (await where()).node, 20_000);
    r = await c.vigil(c.hosts[0], ['resource', 'restart', 'dm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /restarted/);
    await c.waitFor('dm to run after the restart', async () => (await where()).node, 20_000);
    r = await c.vigil(c.hosts[0], ['resource', 'stop', 'dm']);
    assert.equal(r.code, 0, r.stderr);
    await c.waitFor('dm to stop', async () => (await where()).node === undefined, 20_000);
  });
});

test('standby drains a node; move, ban and clear through the CLI; an impossible move changes nothing; vigil stop leaves cleanly', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({}, async (c) => {
    const holder = await c.waitForHolder();
    // Commands from a node that is not DC: they are forwarded to the DC (errors keep their kind).
    const dc = (await c.status(holder)).dc;
    const cli = c.hosts.find((h) => h !== holder && h !== dc) ?? c.hosts.find((h) => h !== holder)!;
    let r = await c.vigil(cli, ['node', 'standby', holder]);
    assert.equal(r.code, 0, r.stderr);
    const next = await c.waitForHolder({ among: c.hosts.filter((h) => h !== holder) });
    await c.waitFor(`${holder} to be empty`, async () => {
      const s = await c.status(cli);
      return s.nodes.find((n) => n.name === holder)?.standby && s.resources.every((x) => !x.running.some((p) => p.node === holder));
    });
    r = await c.vigil(cli, ['node', 'online', holder]);
    assert.equal(r.code, 0, r.stderr);

    const target = c.hosts.find((h) => h !== next)!;
    r = await c.vigil(cli, ['resource', 'move', 'vip', target]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cli-prefer-vip/);
    await c.waitForHolder({ among: [target] });
    r = await c.vigil(cli, ['resource', 'clear', 'vip']);
    assert.equal(r.code, 0, r.stderr);

    const banned = c.hosts.find((h) => h !== target)!;
    r = await c.vigil(cli, ['resource', 'ban', 'vip', banned]);
    assert.equal(r.code, 0, r.stderr);
    r = await c.vigil(cli, ['resource', 'move', 'vip', banned]);
    assert.equal(r.code, 2, 'moving onto a banned node is refused as wrong input');
    assert.match(r.stderr, /cannot move vip to/);
    const shown = await c.vigil(cli, ['config', 'show']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.doesNotMatch(shown.stdout, /cli-prefer-vip/, 'no stray constraint after a refused move');
    assert.match(shown.stdout, /cli-ban-vip-on-/);
    r = await c.vigil(cli, ['resource', 'clear', 'vip']);
    assert.equal(r.code, 0, r.stderr);
    const status = await c.vigil(cli, ['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /DC: n\d/);
    assert.match(status.stdout, /vip/);

    // vigil config apply: validated, shown as a plan, applied through the DC.
    const extra = join(c.dir, 'with-extra.yaml');
    writeFileSync(extra, readFileSync(c.configFile, 'utf8').replace('resources:\n', 'resources:\n  - primitive: extra\n    agent: builtin:dummy\n'));
    r = await c.vigil(cli, ['config', 'apply', extra, '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+ resource extra/);
    assert.match(r.stdout, /then the cluster would:\n {2}start extra → n\d/);
    assert.doesNotMatch((await c.vigil(cli, ['config', 'show'])).stdout, /extra/, 'a dry run changes nothing');
    r = await c.vigil(cli, ['config', 'apply', extra]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied/);
    await c.waitFor('extra to run', async () => ((await c.status(cli)).resources.find((x) => x.id === 'extra')?.running.length ?? 0) > 0);
    writeFileSync(join(c.dir, 'broken.yaml'), 'cluster:\n  name: lab\n  nodez: []\n');
    r = await c.vigil(cli, ['config', 'apply', join(c.dir, 'broken.yaml')]);
    assert.equal(r.code, 2, 'an invalid file is refused before anything is sent');
    assert.match(r.stderr, /nodez/);

    // vigil stop: a clean leave — resources moved off, the node recorded as left, not fenced.
    const leaver = (await c.vipHolders())[0];
    const stayer = c.hosts.find((h) => h !== leaver)!;
    r = await c.vigil(leaver, ['stop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped/);
    await c.waitForHolder({ among: c.hosts.filter((h) => h !== leaver) });
    await c.waitFor(`${leaver} offline`, async () => (await c.status(stayer)).nodes.find((n) => n.name === leaver)?.state === 'offline', 10_000);
    await sleep(1500);
    assert.equal(existsSync(join(c.lab.pidDir, leaver, 'fenced')), false, 'a node that left cleanly is not fenced');

    // A new address for the virtual IP: restarted in place, stopped with the address it was
    // started with, so the old one is gone everywhere and the new one is on the same host.
    const holderNow = await c.waitForHolder();
    const renumbered = join(c.dir, 'renumbered.yaml');
    const newAddress = c.lab.spareAddress(1);
    writeFileSync(renumbered, readFileSync(extra, 'utf8').replace(`ip: ${c.vip}`, `ip: ${newAddress}`));
    r = await c.vigil(stayer, ['config', 'apply', renumbered, '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`then the cluster would:\\n  restart vip on ${holderNow}`), 'the plan shows the restart');
    r = await c.vigil(stayer, ['config', 'apply', renumbered]);
    assert.equal(r.code, 0, r.stderr);
    const holdersOf = async (ip: string): Promise<string[]> => {
      const out: string[] = [];
      for (const h of c.hosts) if ((await c.lab.exec(h, ['ip', '-o', '-4', 'addr', 'show', 'up'], { allowFailure: true })).stdout.includes(` ${ip}/`)) out.push(h);
      return out;
    };
    await c.waitFor('the new address to be up', async () => (await holdersOf(newAddress)).length === 1, 20_000);
    assert.deepEqual(await holdersOf(newAddress), [holderNow], 'restarted in place');
    assert.deepEqual(await c.vipHolders(), [], 'the old address is gone everywhere');
  });
});

test("Debian's ocf:heartbeat:IPaddr2 and ocf:heartbeat:Dummy run unchanged and fail over", async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({
    resourcesYaml: ({ vip }) => `resources:
  - group: svc
    members:
      - primitive: vip
        agent: ocf:heartbeat:IPaddr2
        params: { ip: ${vip}, cidr_netmask: 24, nic: eth0 }
        ops:
          - { name: monitor, interval: 2s, timeout: 20s }
      - primitive: marker
        agent: ocf:heartbeat:Dummy
        ops:
          - { name: monitor, interval: 2s, timeout: 20s }
`,
  }, async (c) => {
    const holder = await c.waitForHolder();
    await c.waitFor('Dummy to run with the address', async () => {
      const s = await c.status(holder);
      return s.resources.find((r) => r.id === 'marker')?.running[0]?.node === holder;
    });
    await c.crash(holder);
    const next = await c.waitForHolder({ among: c.hosts.filter((h) => h !== holder) });
    await c.waitFor('Dummy to follow the address', async () => (await c.status(next)).resources.find((r) => r.id === 'marker')?.running[0]?.node === next);
    // Fenced with reboot (the default stonith-action): the host is back on the network with
    // nothing it held. Restarted, its vigild rejoins and is probed; nothing moves or doubles.
    await c.waitFor(`${holder} to be rebooted`, async () => !existsSync(join(c.lab.pidDir, holder, 'fenced')) && (await c.lab.exec(holder, ['ip', '-o', 'link', 'show', 'eth0'])).stdout.includes('state UP'), 20_000);
    assert.doesNotMatch((await c.lab.exec(holder, ['ip', '-o', 'addr', 'show'])).stdout, new RegExp(`${c.vip.replace(/\./g, '\\.')}/`), 'the rebooted host holds no address');
    assert.equal(existsSync(c.runDir(holder)), false, 'its runtime directory (Dummy state file) went with the power');
    await c.start(holder);
    await c.waitFor(`${holder} to rejoin`, async () => (await c.status(next)).nodes.find((n) => n.name === holder)?.state === 'online', 40_000);
    await c.settled();
    const s = await c.status(next);
    for (const id of ['vip', 'marker']) {
      const r = s.resources.find((x) => x.id === id)!;
      assert.deepEqual(r.running.map((x) => x.node), [next], `${id} stays on ${next}`);
      assert.equal(r.failures.length, 0, `${id}: no failure`);
    }
    assert.deepEqual(await c.vipHolders(), [next]);
    assert.doesNotMatch(readFileSync(join(c.hostDir(s.dc!), 'vigild.log'), 'utf8'), new RegExp(`probe of (vip|marker) on ${holder}: active`), 'the rejoined host was found holding nothing');
  });
});

test('a start held up in the network while its node was fenced and rebooted is refused by the node\'s new daemon', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({}, async (c) => {
    const holder = await c.waitForHolder();
    await c.settled();
    const dc = (await c.status(holder)).dc!;
    const target = c.hosts.find((h) => h !== holder && h !== dc)!;
    // The DC's TCP to the target's peer port is dropped (a network fault outside the target):
    // after the DC's idle connections have closed (keep-alive 5 s), the next request waits in SYN
    // retransmission.
    const file = join(c.dir, 'hold.nft');
    writeFileSync(file, `table inet vigilhold {\n chain out { type filter hook output priority 0; ip daddr ${c.lab.address(target)} tcp dport 694 drop; }\n}\n`);
    await sleep(6000);
    await c.lab.exec(dc, ['nft', '-f', file]);
    const r = await c.vigil(holder, ['resource', 'move', 'vip', target]);
    assert.equal(r.code, 0, r.stderr);
    // Stopped on the holder: the start on the target is sent now, and held up.
    await c.waitFor('vip to stop on the holder', async () => (await c.vipHolders()).length === 0, 20_000);
    await sleep(200);
    await c.crash(target);
    const rescuer = await c.waitForHolder({ among: c.hosts.filter((h) => h !== target), timeoutMs: 30_000 });
    // Fenced with reboot; the lab restarts its daemon; then the network lets the old start through.
    await c.waitFor(`${target} to be rebooted`, async () => !existsSync(join(c.lab.pidDir, target, 'fenced')), 20_000);
    await c.start(target);
    await c.waitFor(`${target}'s daemon to listen`, async () => existsSync(socketPath(c.runDir(target))), 20_000);
    await c.lab.exec(dc, ['nft', 'delete table inet vigilhold']);
    await c.waitFor('the held start to arrive and be refused', async () => /execute request for an earlier incarnation of this node refused/.test(readFileSync(join(c.hostDir(target), 'vigild.log'), 'utf8')), 30_000);
    // The DC probes the rejoined node, then moves the address as asked (stop, then start).
    await c.waitForHolder({ among: [target], timeoutMs: 30_000 });
    t.diagnostic(`vip: ${holder} → (held start refused) → ${rescuer} → ${target}`);
  });
});

test('a node that comes back still holding the address (no fencing to clear it) is found by its probe: stopped everywhere, started once', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withCluster({ fencing: 'none' }, async (c) => {
    const holder = await c.waitForHolder();
    await sleep(500);
    // A crash leaves the address configured on the dead host's interface (link down).
    await c.crash(holder);
    const next = await c.waitForHolder({ among: c.hosts.filter((h) => h !== holder) });
    // The host comes back as it was, without a power cycle: the link up with the address still on it.
    const from = monotonicMs();
    await c.lab.setLink(holder, 0, true);
    const both = await c.vipHolders();
    assert.deepEqual([...both].sort(), [holder, next].sort(), 'two holders now (made by the test)');
    await c.start(holder);
    // Multiple-active recovery stops every copy, then starts one: the stops finish at different
    // instants, so the first lone holder seen may be about to stop too. The end of the overlap is
    // the safety figure; which host keeps the address is read once the cluster has settled.
    await c.waitFor('the second holder to go', async () => (await c.vipHolders()).length < 2, 40_000);
    const to = monotonicMs();
    await c.settled();
    const one = await c.waitForHolder({ timeoutMs: 20_000 });
    t.diagnostic(`two holders for ${Math.round(to - from)} ms, then ${one} alone`);
    const s = await c.status(one);
    assert.deepEqual(s.resources.find((r) => r.id === 'vip')!.running.map((x) => x.node), [one]);
    assert.match(readFileSync(join(c.hostDir(s.dc!), 'vigild.log'), 'utf8'), new RegExp(`probe of vip on ${holder}: active`), 'the DC learnt it from the probe of the rejoined node');
    await sleep(2000);
    assert.deepEqual(await c.vipHolders(), [one], 'still one holder');
    return { from, to };
  });
});
