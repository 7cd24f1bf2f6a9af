import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FenceRequestError, FenceRunner, fenceStdin, parseOutlets } from '../../src/fencing/index.js';
import { processAlive } from '../../src/executor/process.js';
import { TEST_AGENT } from './test-agent.js';

test('the fence-agent protocol against a small real agent: off, status, on, reboot, list, monitor', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-fence-'));
  try {
    const agent = join(dir, 'fence_test');
    await writeFile(agent, TEST_AGENT);
    await chmod(agent, 0o755);
    await writeFile(join(dir, 'node1'), 'on\n');
    await writeFile(join(dir, 'node2'), 'on\n');
    const runner = new FenceRunner({ agentDirs: [dir] });
    const params = { state_dir: dir };

    assert.equal((await runner.run({ agent: 'fence_test', action: 'monitor', params })).ok, true);
    const st = await runner.run({ agent: 'fence_test', action: 'status', target: 'node1', params });
    assert.deepEqual([st.ok, st.power, st.rc], [true, 'on', 0]);
    const off = await runner.fenceOff({ agent: 'fence_test', target: 'node1', params });
    assert.equal(off.ok, true, off.error);
    assert.equal(off.power, 'off');
    assert.equal((await readFile(join(dir, 'node1'), 'utf8')).trim(), 'off');
    const st2 = await runner.run({ agent: 'fence_test', action: 'status', target: 'node1', params });
    assert.deepEqual([st2.ok, st2.power, st2.rc], [true, 'off', 2]);
    assert.equal((await runner.run({ agent: 'fence_test', action: 'on', target: 'node1', params })).ok, true);
    assert.equal((await runner.run({ agent: 'fence_test', action: 'reboot', target: 'node2', params })).ok, true);
    const list = await runner.run({ agent: 'fence_test', action: 'list', params });
    assert.deepEqual(list.outlets, [{ plug: 'node1', alias: 'alias-node1', status: undefined }, { plug: 'node2', alias: 'alias-node2', status: undefined }]);
    const err = await runner.run({ agent: 'fence_test', action: 'status', target: 'node9', params });
    assert.equal(err.ok, false);
    assert.equal(err.rc, 1);
    assert.match(err.error ?? '', /no such plug node9/);
    const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
    assert.deepEqual(calls, ['monitor ', 'status node1', 'off node1', 'status node1', 'status node1', 'on node1', 'reboot node2', 'list ', 'status node9']);

    const missing = await runner.run({ agent: 'fence_nonexistent', action: 'status', target: 'x' });
    assert.equal(missing.ok, false);
    assert.match(missing.error ?? '', /not found/);
    assert.equal((await runner.run({ agent: '../fence_test', action: 'status' })).ok, false, 'names are not paths');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a hung fence agent times out and its whole process group is killed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-fence-'));
  try {
    const agent = join(dir, 'fence_test');
    await writeFile(agent, TEST_AGENT);
    await chmod(agent, 0o755);
    const runner = new FenceRunner({ agentDirs: [dir], killGraceMs: 200 });
    const r = await runner.run({ agent: agent, action: 'off', target: 'node1', params: { state_dir: dir, hang: '1' }, timeoutMs: 300 });
    assert.equal(r.ok, false);
    assert.equal(r.timedOut, true);
    assert.match(r.error ?? '', /timed out/);
    const child = Number((await readFile(join(dir, 'child.pid'), 'utf8')).trim());
    assert.equal(processAlive(child), false);
    await assert.rejects(access(join(dir, 'node1')), 'the off never happened');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('stdin lines: action first, target as nodename and the host argument; no line breaks smuggled in', () => {
  assert.equal(fenceStdin({ agent: 'fence_x', action: 'off', target: 'n1', params: { ipaddr: '192.0.2.1', action: 'on' } }), 'action=off\nnodename=n1\nport=n1\nipaddr=192.0.2.1\n');
  assert.equal(fenceStdin({ agent: 'fence_x', action: 'off', target: 'n1', hostArgument: 'plug' }), 'action=off\nnodename=n1\nplug=n1\n');
  assert.equal(fenceStdin({ agent: 'fence_x', action: 'status', target: 'n1', hostArgument: 'none' }), 'action=status\nnodename=n1\n');
  assert.throws(() => fenceStdin({ agent: 'fence_x', action: 'off', target: 'n1\naction=on' }), FenceRequestError);
  assert.throws(() => fenceStdin({ agent: 'fence_x', action: 'off', params: { 'a b': 'x' } }), FenceRequestError);
  assert.deepEqual(parseOutlets('1,web1\n\n2,,on\n'), [{ plug: '1', alias: 'web1', status: undefined }, { plug: '2', alias: undefined, status: 'on' }]);
});

test("Debian's fence_dummy: off, status, on through the protocol, and its meta-data", async (t) => {
  const runner = new FenceRunner();
  try {
    await access('/usr/sbin/fence_dummy');
  } catch {
    t.skip('fence_dummy is not installed (Debian package fence-agents)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'vigil-fence-'));
  try {
    const params = { type: 'file', status_file: join(dir, 'status') };
    await writeFile(params.status_file, 'on'); // fence_dummy compares the whole file text
    // fence_dummy has no port parameter: send the target only as nodename.
    const common = { agent: 'fence_dummy', target: 'node1', params, hostArgument: 'none', timeoutMs: 30_000 } as const;
    const st = await runner.run({ ...common, action: 'status' });
    assert.equal(st.power, 'on', st.error ?? st.stderr);
    const off = await runner.fenceOff(common);
    assert.equal(off.ok, true, off.error);
    assert.equal((await runner.run({ ...common, action: 'status' })).power, 'off');
    assert.equal((await runner.run({ ...common, action: 'on' })).ok, true);
    assert.equal((await runner.run({ ...common, action: 'status' })).power, 'on');
    assert.equal((await runner.run({ ...common, action: 'monitor' })).ok, true);
    const md = await runner.metadata('fence_dummy');
    assert.equal(md.name, 'fence_dummy');
    assert.ok(md.parameters.some((p) => p.name === 'status_file'));
    const fail = await runner.run({ ...common, action: 'off', params: { type: 'fail', power_timeout: '1' } });
    assert.equal(fail.ok, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
