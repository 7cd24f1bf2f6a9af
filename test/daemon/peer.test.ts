import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import pino from 'pino';
import { PeerChannel, PeerError } from '../../src/daemon/peer.js';
import { deriveClusterKeys } from '../../src/transport/index.js';

const log = pino({ level: 'silent' });
const keys = deriveClusterKeys(Buffer.from('a secret of at least sixteen bytes'));
const other = deriveClusterKeys(Buffer.from('another secret, sixteen bytes or more'));
const PORT = 47000 + (process.pid % 1000);

function post(headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: PORT, method: 'POST', path: '/execute', headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    r.on('error', reject);
    r.end(body);
  });
}

test('peer channel: authenticated calls between nodes; forged, replayed, misaddressed and foreign-key requests refused', async () => {
  const seen: Array<[string, string, unknown]> = [];
  const a = new PeerChannel('a', 'lab', keys, [{ node: 'b', addresses: ['127.0.0.1'], port: PORT }], log);
  const b = new PeerChannel('b', 'lab', keys, [{ node: 'a', addresses: ['127.0.0.1'], port: PORT }], log);
  const mallory = new PeerChannel('a', 'lab', other, [{ node: 'b', addresses: ['127.0.0.1'], port: PORT }], log);
  const confused = new PeerChannel('a', 'lab', keys, [{ node: 'c', addresses: ['127.0.0.1'], port: PORT }], log);
  await b.listen(['127.0.0.1'], PORT, async (from, method, body) => {
    seen.push([from, method, body]);
    if (method === 'fail') throw Object.assign(new Error('no such resource'), { code: 'input' });
    return { echo: body };
  });
  try {
    assert.deepEqual(await a.call('b', 'execute', { rsc: 'vip' }), { echo: { rsc: 'vip' } });
    assert.deepEqual(seen, [['a', 'execute', { rsc: 'vip' }]]);
    await assert.rejects(a.call('b', 'fail', {}), (e: PeerError) => e.remoteCode === 'input' && e.code === 'input' && /no such resource/.test(e.message));
    await assert.rejects(mallory.call('b', 'execute', {}), PeerError);
    assert.equal(b.counters.forged, 1);
    await assert.rejects(confused.call('c', 'execute', {}), (e: PeerError) => e.remoteCode === 'wrong-node');
    // Unsigned, malformed and replayed requests.
    assert.equal(await post({ 'x-vigil-node': 'a' }, '{}'), 403);
    assert.equal(b.counters.forged, 2);
    assert.equal(seen.length, 2, 'nothing forged reached the handler');
    await assert.rejects(a.call('zz', 'execute', {}), /unknown peer/);
    // Replay: a relay records a genuine request on its way to b and sends it again.
    let captured: { headers: Record<string, string>; body: string } | undefined;
    const relay = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-vigil') || k === 'content-type').map(([k, v]) => [k, String(v)]));
        captured = { headers, body: Buffer.concat(chunks).toString() };
        const fwd = request({ host: '127.0.0.1', port: PORT, method: 'POST', path: req.url, headers }, (r2) => { res.writeHead(r2.statusCode ?? 500, r2.headers); r2.pipe(res); });
        fwd.end(captured.body);
      });
    });
    await new Promise<void>((r) => relay.listen(PORT + 1, '127.0.0.1', () => r()));
    try {
      const viaRelay = new PeerChannel('a', 'lab', keys, [{ node: 'b', addresses: ['127.0.0.1'], port: PORT + 1 }], log);
      assert.deepEqual(await viaRelay.call('b', 'execute', { n: 1 }), { echo: { n: 1 } });
      assert.ok(captured);
      assert.equal(await post(captured.headers, captured.body), 400);
      assert.equal(b.counters.replayed, 1);
      assert.equal(seen.length, 3, 'the replay did not reach the handler');
    } finally {
      await new Promise<void>((r) => relay.close(() => r()));
    }
  } finally {
    await b.close();
  }
  // Nobody listening: an error, not a hang.
  await assert.rejects(a.call('b', 'execute', {}, 2000), PeerError);
});

test('peer channel: a refusal says nothing was done; a failure while acting or a broken connection leaves it open', async () => {
  const a = new PeerChannel('a', 'lab', keys, [{ node: 'b', addresses: ['127.0.0.1'], port: PORT + 2 }], log);
  const b = new PeerChannel('b', 'lab', keys, [{ node: 'a', addresses: ['127.0.0.1'], port: PORT + 2 }], log);
  await b.listen(['127.0.0.1'], PORT + 2, async (_from, method) => {
    if (method === 'refuse') throw Object.assign(new Error('not my DC'), { code: 'unavailable' });
    if (method === 'crash') throw new Error('the executor failed');
    await new Promise((r) => setTimeout(r, 2000));
    return null;
  });
  try {
    await assert.rejects(a.call('b', 'refuse', {}), (e: PeerError) => e.refused);
    await assert.rejects(a.call('b', 'crash', {}), (e: PeerError) => !e.refused);
    await assert.rejects(a.call('b', 'slow', {}, 200), (e: PeerError) => !e.refused && /no answer/.test(e.message));
    // Tried on another address first, without an answer there: the refusal no longer proves anything.
    const twoWays = new PeerChannel('a', 'lab', keys, [{ node: 'b', addresses: ['127.0.0.2', '127.0.0.1'], port: PORT + 2 }], log);
    await assert.rejects(twoWays.call('b', 'refuse', {}), (e: PeerError) => !e.refused && e.remoteCode === 'unavailable');
  } finally {
    await b.close();
  }
  await assert.rejects(a.call('b', 'refuse', {}), (e: PeerError) => !e.refused, 'nothing listening: no answer either');
});
