import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const vigil = join(process.cwd(), 'bin', 'vigil');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [vigil, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('vigil agent list/info/run and vigil fence run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-cli-'));
  try {
    const list = await cli(['agent', 'list']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^ocf:heartbeat:IPaddr2$/m);
    assert.match(list.stdout, /^builtin:vip$/m);

    const info = await cli(['agent', 'info', 'ocf:heartbeat:Dummy', '--json']);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout).name, 'Dummy');

    const state = ['--state-dir', dir, '-p', `state=${join(dir, 'd.state')}`];
    assert.equal((await cli(['agent', 'run', 'builtin:dummy', 'monitor', ...state])).code, 7);
    assert.equal((await cli(['agent', 'run', 'builtin:dummy', 'start', ...state])).code, 0);
    const mon = await cli(['agent', 'run', 'builtin:dummy', 'monitor', ...state, '--json']);
    assert.equal(mon.code, 0);
    assert.equal(JSON.parse(mon.stdout).rc, 0);
    const slow = await cli(['agent', 'run', 'builtin:dummy', 'stop', ...state, '-p', 'stop_delay_ms=5000', '-t', '200ms']);
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /Timeout/);

    const bad = await cli(['agent', 'run', 'nonsense', 'start']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not an agent name/);
    assert.equal((await cli(['agent', 'run', 'builtin:dummy', 'start', '-p', 'novalue'])).code, 2);

    await mkdir(join(dir, 'pids', 'h1'), { recursive: true });
    const fence = await cli(['fence', 'run', join(process.cwd(), 'bin', 'fence_vigil_lab'), 'list', '-p', `pid_dir=${join(dir, 'pids')}`]);
    assert.equal(fence.code, 0, fence.stderr);
    assert.match(fence.stdout, /^h1 \(h1\)$/m);
    const off = await cli(['fence', 'run', join(process.cwd(), 'bin', 'fence_vigil_lab'), 'off', '-n', 'h1', '-p', `pid_dir=${join(dir, 'pids')}`]);
    assert.equal(off.code, 0, off.stderr);
    const status = await cli(['fence', 'run', join(process.cwd(), 'bin', 'fence_vigil_lab'), 'status', '-n', 'h1', '-p', `pid_dir=${join(dir, 'pids')}`]);
    assert.equal(status.code, 2);
    assert.match(status.stderr, /power off/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
