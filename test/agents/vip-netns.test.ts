/**
 * Virtual IPs for real, inside network namespaces this test creates: Vigil's builtin:vip and
 * Debian's ocf:heartbeat:IPaddr2, each added, seen with `ip addr`, announced with gratuitous ARP
 * (a neighbour namespace learns the MAC from it) and removed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor, announceRequest } from '../../src/executor/index.js';
import { OpStatus } from '../../src/model/index.js';
import { createLab, netnsAvailable, type Lab } from '../lab/netns.js';

const available = netnsAvailable();
let lab: Lab | undefined;
let dir = '';

before(async () => {
  if (!available.ok) return;
  dir = await mkdtemp(join(tmpdir(), 'vigil-vip-'));
  lab = await createLab({ hosts: ['a', 'b'] });
  // The neighbour accepts gratuitous ARP for addresses it has not seen, so we can observe it.
  await lab.exec('b', ['sysctl', '-qw', 'net.ipv4.conf.all.arp_accept=1', 'net.ipv4.conf.eth0.arp_accept=1']);
});

after(async () => {
  await lab?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function addrsOf(host: string): Promise<string> {
  return (await lab!.exec(host, ['ip', '-o', '-4', 'addr', 'show'])).stdout;
}

async function macOf(host: string): Promise<string> {
  const out = (await lab!.exec(host, ['ip', '-o', 'link', 'show', 'eth0'])).stdout;
  return /link\/ether ([0-9a-f:]+)/.exec(out)![1];
}

async function neighbourEntry(host: string, ip: string, tries = 200): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const out = (await lab!.exec(host, ['ip', 'neigh', 'show', ip])).stdout.trim();
    if (out.includes('lladdr')) return out;
    await new Promise((r) => setTimeout(r, 25));
  }
  return '';
}

function executorIn(host: string): Executor {
  return new Executor({ agents: { commandPrefix: lab!.prefixFor(host), stateDir: join(dir, host), rscTmpDir: join(dir, host, 'rsctmp') } });
}

test('builtin:vip in a namespace: add with label, gratuitous ARP reaches the neighbour, monitor, stop removes', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const ex = executorIn('a');
  const vip = lab!.spareAddress(1);
  const base = { resource: 'vip1', agent: { class: 'builtin', type: 'vip' } as const, params: { ip: vip, label: 'svc', arp_count: '2' }, timeoutMs: 10_000 };
  try {
    assert.equal((await ex.probe(base)).state, 'stopped');
    const start = await ex.execute({ ...base, action: 'start' });
    assert.equal(start.rc, 0, start.exitReason);
    const addrs = await addrsOf('a');
    assert.match(addrs, new RegExp(`eth0\\s+inet ${vip.replace(/\./g, '\\.')}/24 .* eth0:svc`), 'nic and netmask found from the subnet; label set');
    assert.doesNotMatch(await addrsOf('b'), new RegExp(vip.replace(/\./g, '\\.')));
    const neigh = await neighbourEntry('b', vip);
    assert.ok(neigh.includes(await macOf('a')), `b learned ${vip} at a's MAC from the gratuitous ARP: "${neigh}"`);
    assert.equal((await ex.probe(base)).state, 'running');
    // a's kernel answers ARP for the VIP over the bridge.
    const who = await lab!.exec('b', ['arping', '-c', '1', '-w', '3', '-I', 'eth0', vip]);
    assert.match(who.stdout, /Received 1 response/);
    assert.equal((await ex.execute({ ...base, action: 'announce' })).rc, 0);
    assert.equal((await ex.execute({ ...base, action: 'start' })).rc, 0, 'start when present is a no-op');
    const stop = await ex.execute({ ...base, action: 'stop' });
    assert.equal(stop.rc, 0, stop.exitReason);
    assert.doesNotMatch(await addrsOf('a'), new RegExp(vip.replace(/\./g, '\\.')));
    assert.equal((await ex.probe(base)).state, 'stopped');
    assert.equal((await ex.execute({ ...base, action: 'stop' })).rc, 0, 'stop is idempotent');

    // Explicit nic/netmask; a wrong nic is a configuration error on start, "stopped" on a probe.
    const explicit = { ...base, params: { ip: lab!.spareAddress(2), nic: 'eth0', cidr_netmask: '32', no_announce: 'true' } };
    assert.equal((await ex.execute({ ...explicit, action: 'start' })).rc, 0);
    assert.match(await addrsOf('a'), new RegExp(`${lab!.spareAddress(2).replace(/\./g, '\\.')}/32`));
    assert.equal((await ex.execute({ ...explicit, action: 'stop' })).rc, 0);
    const wrongNic = { ...base, params: { ip: vip, nic: 'eth9' } };
    assert.equal((await ex.execute({ ...wrongNic, action: 'start' })).rc, 6);
    assert.equal((await ex.probe(wrongNic)).state, 'stopped');
    // An address configured by hand with another prefix is still removed by stop.
    await lab!.exec('a', ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'eth0']);
    assert.equal((await ex.probe(base)).state, 'running');
    assert.equal((await ex.execute({ ...base, action: 'stop' })).rc, 0);
    assert.doesNotMatch(await addrsOf('a'), new RegExp(vip.replace(/\./g, '\\.')));
    // arping that fails at once (the interface is down) fails the start, with its reason.
    await lab!.setLink('a', 0, false);
    try {
      const down = await ex.execute({ ...base, action: 'start', params: { ...base.params, nic: 'eth0', cidr_netmask: '24' } });
      assert.equal(down.rc, 1);
      assert.match(down.exitReason ?? '', /arping -U failed/);
      assert.equal((await ex.execute({ ...base, action: 'stop' })).rc, 0);
    } finally {
      await lab!.setLink('a', 0, true);
    }
    const noSubnet = { ...base, params: { ip: '203.0.113.77' } };
    const r = await ex.execute({ ...noSubnet, action: 'start' });
    assert.equal(r.rc, 6);
    assert.match(r.exitReason ?? '', /no interface has a subnet/);
    assert.equal((await ex.validate({ ...base, params: { ip: 'not-an-ip' } })).rc, 6);
  } finally {
    await ex.shutdown();
  }
});

test('builtin:vip with IPv6: usable at once, announced with unsolicited neighbour advertisements; IPaddr2 for IPv6 is re-announced the same way', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  // Unique local addresses inside the namespaces this test made.
  await lab!.exec('a', ['ip', '-6', 'addr', 'add', 'fd00:7:1::1/64', 'dev', 'eth0', 'nodad']);
  await lab!.exec('b', ['ip', '-6', 'addr', 'add', 'fd00:7:1::2/64', 'dev', 'eth0', 'nodad']);
  const vip = 'fd00:7:1::100';
  const ex = executorIn('a');
  const base = { resource: 'vip6', agent: { class: 'builtin', type: 'vip' } as const, params: { ip: vip, nic: 'eth0', cidr_netmask: '64', arp_count: '2' }, timeoutMs: 10_000 };
  // b still has the address at the previous holder's MAC, as a client has after a failover.
  const stale = async (): Promise<void> => { await lab!.exec('b', ['ip', '-6', 'neigh', 'replace', vip, 'lladdr', '02:00:00:00:00:99', 'dev', 'eth0', 'nud', 'stale']); };
  const learned = async (mac: string): Promise<boolean> => {
    for (let i = 0; i < 200; i++) {
      if ((await lab!.exec('b', ['ip', '-6', 'neigh', 'show', vip])).stdout.includes(mac)) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  };
  try {
    await stale();
    const start = await ex.execute({ ...base, action: 'start' });
    assert.equal(start.rc, 0, start.exitReason);
    const shown = (await lab!.exec('a', ['ip', '-o', '-6', 'addr', 'show', 'dev', 'eth0'])).stdout;
    assert.match(shown, /fd00:7:1::100\/64/);
    assert.doesNotMatch(shown.split('\n').find((l) => l.includes(vip)) ?? '', /tentative/, 'no duplicate address detection to wait for');
    const macA = await macOf('a');
    assert.ok(await learned(macA), `b's entry for ${vip} moved to a's MAC`);
    assert.equal((await ex.probe(base)).state, 'running');
    // After a partition heals the daemon re-announces; an IPaddr2 resource for IPv6 goes through builtin:vip's announce.
    const ipaddr2 = { ...base, agent: { class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' } as const, action: 'monitor' as const };
    const again = announceRequest(ipaddr2)!;
    assert.deepEqual({ agent: again.agent, action: again.action, params: again.params }, { agent: { class: 'builtin', type: 'vip' }, action: 'announce', params: base.params });
    await stale();
    assert.equal((await ex.execute(again)).rc, 0);
    assert.ok(await learned(macA), 'the re-announcement reached b');
    const stop = await ex.execute({ ...base, action: 'stop' });
    assert.equal(stop.rc, 0, stop.exitReason);
    assert.doesNotMatch((await lab!.exec('a', ['ip', '-o', '-6', 'addr', 'show', 'dev', 'eth0'])).stdout, /fd00:7:1::100/);
  } finally {
    await ex.shutdown();
  }
});

test('ocf:heartbeat:IPaddr2 from resource-agents, unchanged, in a namespace', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const ex = executorIn('a');
  const vip = lab!.spareAddress(3);
  const base = { resource: 'ip2', agent: { class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' } as const, params: { ip: vip, cidr_netmask: '24', nic: 'eth0' }, timeoutMs: 20_000 };
  try {
    const md = await ex.metadata(base.agent);
    assert.ok(md.parameters.some((p) => p.name === 'ip' && p.required));
    assert.equal((await ex.validate(base)).rc, 0);
    assert.equal((await ex.probe(base)).state, 'stopped');
    const start = await ex.execute({ ...base, action: 'start' });
    assert.equal(start.rc, 0, `${start.exitReason} ${start.stderrTail}`);
    assert.match(await addrsOf('a'), new RegExp(`inet ${vip.replace(/\./g, '\\.')}/24`));
    const neigh = await neighbourEntry('b', vip);
    assert.ok(neigh.includes(await macOf('a')), `IPaddr2's gratuitous ARP reached b: "${neigh}"`);
    assert.equal((await ex.execute({ ...base, action: 'monitor', intervalMs: 10_000 })).rc, 0);
    // Announced again (as vigild does after a partition heals): IPaddr2's monitor with
    // arp_count_refresh sends unsolicited ARP; b, which forgot the address, learns it again.
    await new Promise((r) => setTimeout(r, 1500)); // start's own announcement (5 × 200 ms) is over
    await lab!.exec('b', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    assert.equal(await neighbourEntry('b', vip, 2), '', 'b forgot the address');
    const again = announceRequest({ ...base, action: 'stop' })!;
    assert.equal(again.action, 'monitor');
    assert.equal(again.params?.arp_count_refresh, '5');
    assert.equal((await ex.execute(again)).rc, 0);
    assert.ok((await neighbourEntry('b', vip)).includes(await macOf('a')), 'the unsolicited ARP of the refresh reached b');
    assert.equal(announceRequest({ ...base, agent: { class: 'ocf', provider: 'heartbeat', type: 'Dummy' }, action: 'stop' }), undefined);
    const stop = await ex.execute({ ...base, action: 'stop' });
    assert.equal(stop.rc, 0, stop.stderrTail);
    assert.doesNotMatch(await addrsOf('a'), new RegExp(vip.replace(/\./g, '\\.')));
    assert.equal((await ex.probe(base)).state, 'stopped');
  } finally {
    await ex.shutdown();
  }
});

test('nsenter works as the command prefix too (it execs, so process groups hold)', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const ex = new Executor({ agents: { commandPrefix: ['nsenter', `--net=/run/netns/${lab!.host('b').ns}`, '--'], stateDir: join(dir, 'b-nsenter') } });
  const vip = lab!.spareAddress(4);
  const base = { resource: 'vip4', agent: { class: 'builtin', type: 'vip' } as const, params: { ip: vip, no_announce: 'true' } };
  try {
    assert.equal((await ex.execute({ ...base, action: 'start' })).rc, 0);
    assert.match(await addrsOf('b'), new RegExp(`inet ${vip.replace(/\./g, '\\.')}/24`));
    assert.doesNotMatch(await addrsOf('a'), new RegExp(vip.replace(/\./g, '\\.')));
    assert.equal((await ex.execute({ ...base, action: 'stop' })).rc, 0);
    assert.doesNotMatch(await addrsOf('b'), new RegExp(vip.replace(/\./g, '\\.')));
  } finally {
    await ex.shutdown();
  }
});

test('Heartbeat IPaddr::ip/bits/nic without the Heartbeat script: run by builtin:vip', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const empty = join(dir, 'no-scripts');
  const ex = new Executor({ agents: { commandPrefix: lab!.prefixFor('a'), stateDir: join(dir, 'hb'), heartbeatDir: empty, lsbDir: empty } });
  const vip = lab!.spareAddress(6);
  const base = { resource: 'IPaddr_1', agent: { class: 'heartbeat', type: `IPaddr::${vip}/24/eth0` } as const, params: {} };
  try {
    assert.equal((await ex.probe(base)).state, 'stopped');
    const start = await ex.execute({ ...base, action: 'start' });
    assert.equal(start.rc, 0, start.exitReason);
    assert.match(await addrsOf('a'), new RegExp(`eth0\\s+inet ${vip.replace(/\./g, '\\.')}/24`));
    assert.equal((await ex.probe(base)).state, 'running');
    // The haresources importer's form: script name plus positional parameters.
    assert.equal((await ex.probe({ resource: 'IPaddr_1', agent: { class: 'heartbeat', type: 'IPaddr2' }, params: { 1: `${vip}/255.255.255.0/eth0` } })).state, 'running');
    assert.equal((await ex.execute({ ...base, action: 'stop' })).rc, 0);
    assert.doesNotMatch(await addrsOf('a'), new RegExp(vip.replace(/\./g, '\\.')));
    assert.equal((await ex.execute({ resource: 'x', agent: { class: 'heartbeat', type: 'Filesystem::/dev/sdb1::/data' }, action: 'start' })).opStatus, OpStatus.NotInstalled);
  } finally {
    await ex.shutdown();
  }
});
