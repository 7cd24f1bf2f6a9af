/**
 * fence_vigil_lab, run as a real fence agent (bin/fence_vigil_lab through the protocol): it must
 * kill every process of a host, including ones they started and, with netns, everything inside
 * the host's namespace, clear what a power loss clears (addresses outside the base configuration,
 * the volatile directory), take the host's links down, and report power state.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FenceRunner } from '../../src/fencing/index.js';
import { processAlive } from '../../src/executor/process.js';
import { createLab, netnsAvailable, type Lab } from '../lab/netns.js';
import { recordBaseAddresses } from '../../src/fencing/lab-agent.js';

const labAgent = join(process.cwd(), 'bin', 'fence_vigil_lab');
const runner = new FenceRunner({ defaultTimeoutMs: 30_000 });
const started: number[] = [];

/** Start a process (optionally inside a namespace) and record it as one of `host`'s. */
async function startFor(pidDir: string, host: string, name: string, argv: string[], record = true): Promise<number> {
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  child.unref();
  started.push(child.pid!);
  if (record) {
    await mkdir(join(pidDir, host), { recursive: true });
    await writeFile(join(pidDir, host, `${name}.pid`), `${child.pid}\n`);
  }
  return child.pid!;
}

after(() => {
  for (const pid of started) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
});

test('off kills the recorded processes and their descendants; status, list, on, reboot', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-labfence-'));
  try {
    const grandchildFile = join(dir, 'grandchild');
    const daemon = await startFor(dir, 'h1', 'vigild', ['sleep', '300']);
    // A "resource" that started its own child, which is not recorded anywhere.
    const supervisor = await startFor(dir, 'h1', 'svc', ['sh', '-c', `sleep 300 & echo $! > ${grandchildFile}; wait`]);
    const other = await startFor(dir, 'h2', 'vigild', ['sleep', '300']);
    // A stale record whose pid now belongs to another process: the start time does not match.
    const bystander = await startFor(dir, 'none', 'x', ['sleep', '300'], false);
    await writeFile(join(dir, 'h1', 'stale.pid'), `${bystander} 1\n`);
    let grandchild = 0;
    for (let i = 0; i < 100 && !grandchild; i++) {
      grandchild = Number(await readFile(grandchildFile, 'utf8').catch(() => '0'));
      if (!grandchild) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(grandchild > 0);
    const params = { pid_dir: dir };
    const common = { agent: labAgent, params } as const;

    assert.equal((await runner.run({ ...common, action: 'monitor' })).ok, true);
    const list = await runner.run({ ...common, action: 'list' });
    assert.deepEqual(list.outlets?.map((o) => o.plug), ['h1', 'h2']);
    assert.equal((await runner.run({ ...common, action: 'status', target: 'h1' })).power, 'on');

    const off = await runner.fenceOff({ ...common, target: 'h1' });
    assert.equal(off.ok, true, off.error);
    for (const pid of [daemon, supervisor, grandchild]) assert.equal(processAlive(pid), false, `pid ${pid} of h1 must be dead`);
    assert.equal(processAlive(other), true, 'the other host is untouched');
    assert.equal(processAlive(bystander), true, 'a reused pid (start time differs) is spared');
    assert.equal((await runner.run({ ...common, action: 'status', target: 'h1' })).power, 'off');

    assert.equal((await runner.run({ ...common, action: 'on', target: 'h1' })).ok, true);
    assert.equal((await runner.run({ ...common, action: 'status', target: 'h1' })).power, 'on');
    assert.equal((await runner.run({ ...common, action: 'reboot', target: 'h2', hostArgument: 'plug' })).ok, true);
    assert.equal(processAlive(other), false);

    const bad = await runner.run({ ...common, action: 'off', target: '../etc' });
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? '', /invalid host name/);
    const noDir = await runner.run({ agent: labAgent, action: 'status', target: 'h1', params: { pid_dir: join(dir, 'nope') } });
    assert.equal(noDir.ok, false);
    const md = await runner.metadata(labAgent);
    assert.ok(md.parameters.some((p) => p.name === 'pid_dir' && p.required));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const ns = netnsAvailable();
let lab: Lab | undefined;
before(async () => { if (ns.ok) lab = await createLab({ hosts: ['n1', 'n2'] }); });
after(async () => { await lab?.destroy(); });

test('with netns: everything inside the host namespace dies, what a power loss clears is gone, its link goes down', async (t) => {
  if (!ns.ok) { t.skip(ns.reason); return; }
  const dir = await mkdtemp(join(tmpdir(), 'vigil-labfence-'));
  try {
    const host = lab!.host('n1');
    const recorded = await startFor(dir, 'n1', 'vigild', [...lab!.prefixFor('n1'), 'sleep', '300']);
    const unrecorded = await startFor(dir, 'n1', 'x', [...lab!.prefixFor('n1'), 'sleep', '301'], false);
    const neighbour = await startFor(dir, 'n2', 'vigild', [...lab!.prefixFor('n2'), 'sleep', '302']);
    // The base configuration (as the lab records it at creation), then runtime state: a virtual
    // IP on eth0, one on lo, a file in the volatile directory.
    const base = await recordBaseAddresses(dir, 'n1', host.ns);
    assert.ok(base.includes(`eth0 ${lab!.address('n1')}/24`), base.join());
    await lab!.exec('n1', ['ip', 'addr', 'add', lab!.spareAddress(5) + '/24', 'dev', 'eth0']);
    await lab!.exec('n1', ['ip', 'addr', 'add', '203.0.113.77/32', 'dev', 'lo']);
    await lab!.exec('n2', ['ip', 'addr', 'add', lab!.spareAddress(6) + '/24', 'dev', 'eth0']);
    await mkdir(join(dir, 'n1', 'run', 'agents'), { recursive: true });
    await writeFile(join(dir, 'n1', 'run', 'agents', 'dummy-x.state'), '');
    const params = { pid_dir: dir, netns: `${lab!.prefix}-{plug}` };
    const off = await runner.fenceOff({ agent: labAgent, target: 'n1', params });
    assert.equal(off.ok, true, off.error);
    assert.equal(processAlive(recorded), false);
    assert.equal(processAlive(unrecorded), false, 'a process in the namespace dies even if nobody recorded it');
    assert.equal(processAlive(neighbour), true);
    const link = (await lab!.exec('n1', ['ip', '-o', 'link', 'show', 'eth0'])).stdout;
    assert.match(link, /state DOWN/);
    assert.match((await lab!.exec('n2', ['ip', '-o', 'link', 'show', 'eth0'])).stdout, /state UP/);
    const addrs = async (h: string): Promise<string> => (await lab!.exec(h, ['ip', '-o', 'addr', 'show'])).stdout;
    assert.doesNotMatch(await addrs('n1'), new RegExp(`${lab!.spareAddress(5)}/|203\\.0\\.113\\.77`), 'the addresses an agent added are gone with the power');
    assert.match(await addrs('n2'), new RegExp(`${lab!.spareAddress(6)}/`), 'the neighbour keeps its own');
    assert.equal(existsSync(join(dir, 'n1', 'run')), false, 'the volatile directory is emptied');
    assert.equal((await runner.run({ agent: labAgent, action: 'on', target: 'n1', params })).ok, true);
    assert.doesNotMatch((await lab!.exec('n1', ['ip', '-o', 'link', 'show', 'eth0'])).stdout, /state DOWN/);
    // Power on: the base configuration and nothing else.
    const after = (await addrs('n1')).split('\n').filter((l) => !/scope link/.test(l) && l.trim() !== '');
    assert.equal(after.length, base.length, after.join('\n'));
    assert.match(await addrs('n1'), new RegExp(`${lab!.address('n1')}/24`));
    // A reboot of a host whose base address was removed meanwhile: power on brings it back.
    await lab!.exec('n1', ['ip', 'addr', 'add', lab!.spareAddress(5) + '/24', 'dev', 'eth0']);
    await lab!.exec('n1', ['ip', 'addr', 'del', lab!.address('n1') + '/24', 'dev', 'eth0']);
    assert.equal((await runner.run({ agent: labAgent, action: 'reboot', target: 'n1', params })).ok, true);
    assert.match(await addrs('n1'), new RegExp(`${lab!.address('n1')}/24`));
    assert.doesNotMatch(await addrs('n1'), new RegExp(`${lab!.spareAddress(5)}/`));
    assert.doesNotMatch((await lab!.exec('n1', ['ip', '-o', 'link', 'show', 'eth0'])).stdout, /state DOWN/, 'a reboot brings the link back up');
    await lab!.exec('n2', ['ip', 'addr', 'del', lab!.spareAddress(6) + '/24', 'dev', 'eth0']);
    assert.equal(host.ns, `${lab!.prefix}-n1`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
