import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor } from '../../src/executor/index.js';

const SUPERVISOR = new URL('../../src/daemon/supervisor.js', import.meta.url).pathname;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function scenario(act: (stdin: NodeJS.WritableStream, stopPetting: () => void) => void, expectStopped: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sup-'));
  try {
    const agents = { stateDir: dir, rscTmpDir: dir };
    const ex = new Executor({ agents });
    const agent = { class: 'builtin', type: 'dummy' } as const;
    const state = join(dir, 'd.state');
    assert.equal((await ex.execute({ resource: 'd', agent, action: 'start', params: { state } })).rc, 0);
    // A stand-in for the daemon: the supervisor SIGKILLs it when it acts.
    const daemon = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const sup = spawn(process.execPath, [SUPERVISOR, String(daemon.pid), '600', JSON.stringify(agents), '100'], { stdio: ['pipe', 'ignore', 'ignore'] });
    // The supervisor may exit (it self-fenced) while we still write: that is expected.
    sup.stdin.on('error', () => {});
    sup.stdin.write(`rsc ${JSON.stringify({ resource: 'd', agent, action: 'stop', params: { state }, timeoutMs: 5000 })}\n`);
    const pet = setInterval(() => { if (sup.stdin.writable) sup.stdin.write('pet\n'); }, 100);
    const exited = new Promise<number | null>((r) => sup.once('exit', (code) => r(code)));
    await sleep(300);
    act(sup.stdin, () => clearInterval(pet));
    const code = await Promise.race([exited, sleep(5000).then(() => 'timeout' as const)]);
    clearInterval(pet);
    if (code === 'timeout') sup.kill('SIGKILL');
    // The 'exit' event of a killed child arrives asynchronously: give it a moment.
    const daemonExit = new Promise<boolean>((r) => { if (daemon.exitCode !== null || daemon.signalCode !== null) r(true); else daemon.once('exit', () => r(true)); });
    const daemonGone = await Promise.race([daemonExit, sleep(expectStopped ? 3000 : 200).then(() => false)]);
    if (!daemonGone) daemon.kill('SIGKILL');
    if (expectStopped) {
      assert.equal(code, 3, 'the supervisor self-fenced');
      assert.equal(existsSync(state), false, 'the resource was stopped');
      assert.ok(daemonGone, 'the daemon was killed');
    } else {
      assert.equal(code, 0, 'disarmed cleanly');
      assert.equal(existsSync(state), true, 'the resource was left alone');
    }
    await ex.shutdown();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('supervisor: the daemon going away (end of input) stops the node\'s resources', async () => {
  await scenario((stdin) => stdin.end(), true);
});

test('supervisor: a passed self-fencing deadline stops them too', async () => {
  await scenario((stdin) => stdin.write(`deadline ${Date.now() + 200}\n`), true);
});

test('supervisor: no pet (a hung daemon) for the timeout: it acts', async () => {
  await scenario((_stdin, stopPetting) => stopPetting(), true);
});

test('supervisor: disarm (a clean shutdown) leaves everything running', async () => {
  await scenario((stdin) => stdin.write('disarm\n'), false);
});
