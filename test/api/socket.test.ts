import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiCallError, ApiInputError, callApi, serveApi, socketPath } from '../../src/api/index.js';

function rawLine(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(line));
    s.on('data', (c: string) => { buf += c; if (buf.includes('\n')) { s.end(); resolve(buf.trim()); } });
    s.on('error', reject);
  });
}

test('local API: socket mode 0600, one answer per request, errors with codes, bad JSON refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
  const path = socketPath(join(dir, 'run'));
  const server = await serveApi(path, async (req) => {
    if (req.op === 'status') return { hello: 'world' };
    if (req.op === 'node') throw new ApiInputError(`no node "${req.node}"`);
    throw new Error('boom');
  });
  try {
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'run')).mode & 0o077, 0, 'runtime dir closed to others');
    assert.deepEqual(await callApi(path, { op: 'status' }), { hello: 'world' });
    await assert.rejects(callApi(path, { op: 'node', action: 'standby', node: 'zz' }), (e: ApiCallError) => e.code === 'input' && /no node "zz"/.test(e.message));
    await assert.rejects(callApi(path, { op: 'shutdown' }), (e: ApiCallError) => e.code === 'failed' && e.message === 'boom');
    const bad = JSON.parse(await rawLine(path, '{not json\n')) as { ok: boolean; code: string };
    assert.deepEqual([bad.ok, bad.code], [false, 'input']);
    const noOp = JSON.parse(await rawLine(path, '[1,2]\n')) as { ok: boolean; code: string };
    assert.deepEqual([noOp.ok, noOp.code], [false, 'input']);
    // A second daemon on the same socket is refused while the first answers.
    await assert.rejects(serveApi(path, async () => null), /already serving/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  // A stale socket file (the daemon died) is replaced.
  writeFileSync(path, '');
  const again = await serveApi(path, async () => 'ok');
  assert.equal(await callApi(path, { op: 'status' }), 'ok');
  await new Promise<void>((r) => again.close(() => r()));
  await assert.rejects(callApi(path, { op: 'status' }), (e: ApiCallError) => e.code === 'unavailable' && /not running/.test(e.message));
  rmSync(dir, { recursive: true, force: true });
});
