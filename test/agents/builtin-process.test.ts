import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor } from '../../src/executor/index.js';
import { processAlive } from '../../src/executor/process.js';
import { parseCommand, parseEnv } from '../../src/agents/index.js';
import { OpStatus } from '../../src/model/index.js';

const agent = { class: 'builtin', type: 'process' } as const;

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

test('builtin:process manages a real sleep: start records the pid, monitor, stop; a killed daemon is not running', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-proc-'));
  const ex = new Executor({ agents: { stateDir: dir } });
  const pidfile = join(dir, 'sleep.pid');
  const base = { resource: 'sleeper', agent, params: { command: 'sleep 300', pidfile }, timeoutMs: 5000 };
  let pid = 0;
  try {
    assert.equal((await ex.validate(base)).rc, 0);
    assert.equal((await ex.probe(base)).state, 'stopped');
    const start = await ex.execute({ ...base, action: 'start' });
    assert.equal(start.rc, 0, start.exitReason);
    pid = Number((await readFile(pidfile, 'utf8')).trim());
    assert.ok(processAlive(pid));
    assert.equal((await ex.probe(base)).state, 'running');
    assert.equal((await ex.execute({ ...base, action: 'start' })).rc, 0, 'start while running is a no-op');
    assert.equal(Number((await readFile(pidfile, 'utf8')).trim()), pid, 'and keeps the same process');

    // Somebody kills it: once reaped it is gone; meanwhile, as a zombie, it already counts as gone.
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 40 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
    const mon = await ex.execute({ ...base, action: 'monitor', intervalMs: 1000 });
    assert.equal(mon.rc, 7);
    assert.match(mon.exitReason ?? '', /is gone/);

    // A stale pidfile whose pid now belongs to another process does not count as running.
    await writeFile(pidfile, `${process.pid}\n`);
    assert.equal((await ex.probe(base)).state, 'stopped');

    assert.equal((await ex.execute({ ...base, action: 'start' })).rc, 0);
    pid = Number((await readFile(pidfile, 'utf8')).trim());
    const stop = await ex.execute({ ...base, action: 'stop' });
    assert.equal(stop.rc, 0);
    assert.equal(processAlive(pid), false);
    assert.equal((await ex.execute({ ...base, action: 'stop' })).rc, 0, 'stop is idempotent');
  } finally {
    if (pid && processAlive(pid)) process.kill(pid, 'SIGKILL');
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('builtin:process runs an HTTP server with env and cwd; SIGKILL after the grace when SIGTERM is ignored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-proc-'));
  const ex = new Executor({ agents: { stateDir: dir } });
  const server = join(dir, 'server.mjs');
  const portFile = join(dir, 'port');
  await writeFile(server, `import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
process.on('SIGTERM', () => { /* stubborn: ignores SIGTERM */ });
const s = createServer((req, res) => res.end(process.env.GREETING + ' from ' + process.cwd()));
s.listen(0, '127.0.0.1', () => writeFileSync('${portFile}', String(s.address().port)));
`);
  const base = {
    resource: 'web', agent, timeoutMs: 10_000,
    params: { command: JSON.stringify([process.execPath, server]), env: 'GREETING=hello there', cwd: dir, stop_grace_ms: '300', log: join(dir, 'web.log') },
  };
  let pid = 0;
  try {
    const start = await ex.execute({ ...base, action: 'start' });
    assert.equal(start.rc, 0, start.exitReason);
    pid = Number(start.stdoutTail.trim());
    let port = 0;
    for (let i = 0; i < 200 && !port; i++) {
      port = Number(await readFile(portFile, 'utf8').catch(() => '0'));
      if (!port) await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(await get(port), `hello there from ${dir}`);
    const stop = await ex.execute({ ...base, action: 'stop' });
    assert.equal(stop.rc, 0);
    assert.equal(processAlive(pid), false);
    await assert.rejects(get(port));
  } finally {
    if (pid && processAlive(pid)) process.kill(pid, 'SIGKILL');
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('builtin:process runs the daemon as the configured user', async (t) => {
  if (process.getuid?.() !== 0) { t.skip('changing user needs root'); return; }
  const dir = await mkdtemp(join(tmpdir(), 'vigil-proc-'));
  const ex = new Executor({ agents: { stateDir: dir } });
  const base = { resource: 'asnobody', agent, params: { command: 'sleep 300', user: 'nobody', pidfile: join(dir, 'n.pid') } };
  let pid = 0;
  try {
    const start = await ex.execute({ ...base, action: 'start' });
    assert.equal(start.rc, 0, start.exitReason);
    pid = Number(start.stdoutTail.trim());
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /^Uid:\s+65534\s/m);
    assert.match(status, /^Gid:\s+65534\s/m);
    assert.match(status, /^Groups:\s*$/m, "root's supplementary groups are dropped");
    assert.equal((await ex.execute({ ...base, action: 'stop' })).rc, 0);
    assert.equal(processAlive(pid), false);
  } finally {
    if (pid && processAlive(pid)) process.kill(pid, 'SIGKILL');
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('builtin:process reports bad configuration and programs that die at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-proc-'));
  const ex = new Executor({ agents: { stateDir: dir } });
  try {
    const noCmd = await ex.execute({ resource: 'x', agent, action: 'start', params: {} });
    assert.equal(noCmd.rc, 6);
    assert.match(noCmd.exitReason ?? '', /command is required/);
    const badJson = await ex.validate({ resource: 'x', agent, params: { command: '["a", 1]' } });
    assert.equal(badJson.rc, 6);
    const missing = await ex.execute({ resource: 'x', agent, action: 'start', params: { command: '/nonexistent/daemon' } });
    assert.equal(missing.rc, 5);
    const dies = await ex.execute({ resource: 'y', agent, action: 'start', params: { command: 'false', start_check_ms: '1000' } });
    assert.equal(dies.rc, 1);
    assert.match(dies.exitReason ?? '', /exited right after starting/);
    assert.equal((await ex.execute({ resource: 'z', agent, action: 'start', params: { command: 'sleep 1', user: 'no-such-user-vigil' } })).rc, 6);
    assert.equal((await ex.execute({ resource: 'z', agent, action: 'monitor', params: {} })).opStatus, OpStatus.Done);
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('command and env parameter forms', () => {
  assert.deepEqual(parseCommand('  sleep   10 '), ['sleep', '10']);
  assert.deepEqual(parseCommand('["a b", "c"]'), ['a b', 'c']);
  assert.throws(() => parseCommand('["a", 2]'));
  assert.deepEqual(parseEnv('A=1; B=x=y\nC='), { A: '1', B: 'x=y', C: '' });
  assert.deepEqual(parseEnv('{"A": 1}'), { A: '1' });
  assert.throws(() => parseEnv('novalue'), /NAME=VALUE/);
});
