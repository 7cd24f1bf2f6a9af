import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive, readProcStat, runProcess } from '../../src/executor/process.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

async function script(dir: string, name: string, body: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, `#!/bin/sh\n${body}\n`);
  await chmod(p, 0o755);
  return p;
}

test('runProcess passes argv and environment as data, not through a shell', async () => {
  const r = await runProcess({ argv: ['printf', '%s|%s', 'a b', '$(echo no); rm -rf /nonexistent'], env: { ...env, X: 'y' } });
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'a b|$(echo no); rm -rf /nonexistent');
  const e = await runProcess({ argv: ['sh', '-c', 'echo "$X"'], env: { ...env, X: 'v 1' } });
  assert.equal(e.stdout, 'v 1\n');
});

test('runProcess feeds stdin and reports exit codes and missing programs', async () => {
  const r = await runProcess({ argv: ['cat'], env, stdin: 'action=off\nplug=a\n' });
  assert.equal(r.stdout, 'action=off\nplug=a\n');
  const f = await runProcess({ argv: ['sh', '-c', 'exit 7'], env });
  assert.equal(f.exitCode, 7);
  assert.equal(f.timedOut, false);
  const missing = await runProcess({ argv: ['/nonexistent/agent'], env });
  assert.equal(missing.exitCode, null);
  assert.equal(missing.spawnError?.code, 'ENOENT');
});

test('a timeout kills the whole process group, grandchildren included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-proc-'));
  try {
    const pidFile = join(dir, 'child.pid');
    // The agent starts a child that ignores SIGTERM, then sleeps past its deadline.
    const agent = await script(dir, 'slow', `trap '' TERM; sh -c 'trap "" TERM; echo $$ > ${pidFile}; exec sleep 60' & sleep 60`);
    const r = await runProcess({ argv: [agent], env, timeoutMs: 300, killGraceMs: 300 });
    assert.equal(r.timedOut, true);
    const child = Number((await readFile(pidFile, 'utf8')).trim());
    assert.ok(child > 0);
    assert.equal(processAlive(child), false, 'the grandchild must be gone after the timeout');
    assert.equal(processAlive(r.pid!), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an agent that leaves a daemon holding its stdout still completes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-proc-'));
  let daemon = 0;
  try {
    const pidFile = join(dir, 'daemon.pid');
    const agent = await script(dir, 'starter', `sleep 30 & echo $! > ${pidFile}; echo started`);
    const t0 = performance.now();
    const r = await runProcess({ argv: [agent], env, timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0);
    assert.equal(r.timedOut, false);
    assert.match(r.stdout, /started/);
    assert.ok(performance.now() - t0 < 5000, 'must not wait for the daemon');
    daemon = Number((await readFile(pidFile, 'utf8')).trim());
    assert.equal(processAlive(daemon), true, 'a successful agent keeps what it started');
  } finally {
    if (daemon > 0) process.kill(daemon, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('output is kept as a bounded tail', async () => {
  const r = await runProcess({ argv: ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done'], env, tailBytes: 100 });
  assert.ok(r.stdout.length <= 100);
  assert.match(r.stdout, /line1999\n$/);
});

test('readProcStat reads state and start time; zombies count as gone', async () => {
  const st = readProcStat(process.pid);
  assert.ok(st);
  assert.equal(st.pid, process.pid);
  assert.match(st.startTime, /^\d+$/);
  assert.equal(processAlive(process.pid), true);
  assert.equal(processAlive(0), false);
  assert.equal(processAlive(2 ** 22 + 1), false);
});

test('a real zombie (an exited child nobody reaps) is treated as gone', async () => {
  // `exec sleep` replaces the shell, so its background child is never waited for: a zombie.
  const { spawn } = await import('node:child_process');
  const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    let state = '';
    for (let i = 0; i < 100 && state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = readProcStat(zombie)?.state ?? '';
    }
    assert.equal(state, 'Z', 'the child should be a zombie');
    assert.doesNotThrow(() => process.kill(zombie, 0), 'kill(pid, 0) still succeeds for a zombie');
    assert.equal(processAlive(zombie), false);
  } finally {
    parent.kill('SIGKILL');
  }
});
