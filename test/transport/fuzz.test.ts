// Fuzz: forged, replayed, truncated, bit-flipped and random datagrams. Each one is dropped and
// counted under a reason; nothing throws; memory held for reassembly stays within its limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fc from 'fast-check';
import {
  clusterIdFromName, deriveClusterKeys, encodeChunk, encodeFrame, Endpoint, MessageType, Receiver, Sender, totalDropped,
} from '../../src/transport/index.js';
import type { ReceiveResult } from '../../src/transport/index.js';

const keys = deriveClusterKeys(Buffer.from('fuzz-cluster-secret-0123456789'));
const wrongKeys = deriveClusterKeys(Buffer.from('an attacker guessing the key'));
const CID = clusterIdFromName('fuzz');

function setup(encrypt: boolean) {
  const sender = new Sender({ self: 'a', clusterId: CID, incarnation: 50, keys, encrypt, maxFrameBytes: 1400 });
  const forger = new Sender({ self: 'a', clusterId: CID, incarnation: 99, keys: wrongKeys, encrypt, maxFrameBytes: 1400 });
  const rx = new Receiver({ self: 'b', clusterId: CID, nodes: ['a', 'b', 'c'], keys, encrypt, maxFrameBytes: 1400,
    reassembly: { maxMessageBytes: 1 << 20, maxPendingBytes: 1 << 21, maxPendingPerSender: 4, timeoutMs: 5000 } });
  // A history of genuine frames, all delivered once, to replay later.
  const genuine: Buffer[] = [];
  for (let i = 0; i < 50; i++) genuine.push(sender.heartbeat(), ...sender.message(undefined, Buffer.from(`m${i}`)));
  for (const f of genuine) assert.ok(rx.receive(f, 0, 0).delivery);
  return { sender, forger, rx, genuine };
}

function mustDrop(rx: Receiver, buf: Buffer, link: number): ReceiveResult {
  const before = totalDropped(rx.counters);
  let r: ReceiveResult;
  try {
    r = rx.receive(buf, link, 1);
  } catch (e) {
    assert.fail(`receive threw on ${buf.toString('hex').slice(0, 80)}: ${String(e)}`);
  }
  assert.ok(r.dropped, `not dropped: ${JSON.stringify({ ...r, delivery: r.delivery ? { ...r.delivery, body: undefined } : undefined })} for ${buf.toString('hex').slice(0, 80)}`);
  assert.equal(r.delivery, undefined);
  assert.equal(r.heard, undefined, 'a dropped frame must not count as a sign of life');
  assert.equal(totalDropped(rx.counters), before + 1);
  return r;
}

for (const encrypt of [false, true]) {
  const mode = encrypt ? 'AES-256-GCM' : 'HMAC-SHA256';

  test(`fuzz (${mode}): random datagrams are dropped and counted`, () => {
    const { rx } = setup(encrypt);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => { mustDrop(rx, Buffer.from(bytes), 0); }), { numRuns: 3000 });
    // Random bytes behind a plausible header get further into the parser.
    const { sender } = setup(encrypt);
    const hdr = sender.heartbeat().subarray(0, 27);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1300 }), (tail) => { mustDrop(rx, Buffer.concat([hdr, tail]), 1); }), { numRuns: 2000 });
  });

  test(`fuzz (${mode}): truncated, bit-flipped and byte-mangled genuine frames are dropped`, () => {
    const { sender, rx } = setup(encrypt);
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 8 }), fc.constantFrom('truncate', 'flip', 'mangle', 'extend'), (len, pos, flips, how) => {
      const f = len % 3 === 0 ? sender.heartbeat() : sender.message(len % 2 ? 'b' : undefined, Buffer.alloc(len % 900, 7))[0];
      const g = Buffer.from(f);
      let bad: Buffer;
      if (how === 'truncate') bad = g.subarray(0, pos % g.length);
      else if (how === 'extend') bad = Buffer.concat([g, Buffer.alloc(1 + (pos % 20), pos & 0xff)]);
      else if (how === 'flip') {
        for (let i = 0; i < flips; i++) g[(pos + i * 7919) % g.length] ^= 1 << ((pos + i) % 8);
        bad = g;
      } else {
        const at = pos % g.length;
        g[at] = (g[at] + 1 + (len % 255)) & 0xff;
        bad = g;
      }
      mustDrop(rx, bad, pos % 3);
    }), { numRuns: 3000 });
  });

  test(`fuzz (${mode}): forged frames (wrong key, wrong cluster, unknown sender) and replays are dropped`, () => {
    const { forger, rx, genuine } = setup(encrypt);
    const reasons = new Map<string, number>();
    const count = (r: ReceiveResult) => reasons.set(r.dropped as string, (reasons.get(r.dropped as string) ?? 0) + 1);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1000 }), fc.constantFrom(undefined, 'b'), (body, to) => {
      for (const f of forger.message(to, body)) count(mustDrop(rx, f, 0));
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.nat({ max: 1 << 30 }), fc.constantFrom('mallory', 'c2', ''), fc.uint8Array({ maxLength: 100 }), (inc, who, body) => {
      const sender = who === '' ? 'a' : who;
      const cid = who === '' ? (CID ^ 0x5a5a) >>> 0 : CID;
      const f = encodeFrame({ clusterId: cid, sender, incarnation: inc, seq: 1 + inc, type: MessageType.Data, to: undefined }, body, { keys, encrypt, maxFrameBytes: 1400 });
      count(mustDrop(rx, f, 1));
    }), { numRuns: 500 });
    // Replays of genuine traffic, on the link it came in on.
    fc.assert(fc.property(fc.nat({ max: genuine.length - 1 }), (i) => { count(mustDrop(rx, genuine[i], 0)); }), { numRuns: 1000 });
    for (const r of ['bad-auth', 'wrong-cluster', 'unknown-sender', 'replayed']) assert.ok((reasons.get(r) ?? 0) > 0, `no ${r} in ${JSON.stringify([...reasons])}`);
  });
}

test('fuzz: an insider (right key) sending garbage chunk headers cannot crash the receiver or exceed its memory limits', () => {
  const rx = new Receiver({ self: 'b', clusterId: CID, nodes: ['a', 'b'], keys, encrypt: false, maxFrameBytes: 1400,
    reassembly: { maxMessageBytes: 100_000, maxPendingBytes: 150_000, maxPendingPerSender: 3, timeoutMs: 1000 } });
  let seq = 0;
  let now = 0;
  fc.assert(fc.property(fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 1300 }), fc.boolean(), (id, index, count, total, bytes, raw) => {
    const payload = raw ? Buffer.from(bytes) : encodeChunk({ messageId: id % 5, index: index % 8, count: count % 10, totalBytes: total % 200_000 }, bytes.subarray(0, 1300));
    const f = encodeFrame({ clusterId: CID, sender: 'a', incarnation: 1, seq: ++seq, type: MessageType.Chunk, to: undefined }, payload.subarray(0, 1300), { keys, encrypt: false, maxFrameBytes: 1400 });
    now += 3;
    const r = rx.receive(f, 0, now);
    assert.ok(r.heard, 'an authentic frame is a sign of life whatever it carries');
    assert.ok(r.dropped || r.ignored || r.delivery);
    rx.expire(now);
    assert.ok(rx.reassemblyBytes <= 150_000, `holding ${rx.reassemblyBytes} bytes`);
  }), { numRuns: 3000 });
});

test('fuzz over real UDP: a running endpoint survives thousands of junk datagrams, counts them, and keeps its peer', async () => {
  const port = 40000 + Math.floor(Math.random() * 20000);
  const names = ['n1', 'n2'];
  const links = (i: number) => [{ kind: 'ucast' as const, id: 'l0', bind: `127.0.3.${10 + i}`, port, peers: names.map((_, j) => ({ address: `127.0.3.${10 + j}` })) }];
  const timings = { keepaliveMs: 100, warntimeMs: 1000, deadtimeMs: 2000, initdeadMs: 4000 };
  const a = new Endpoint({ self: 'n1', nodes: names, cluster: 'fuzz', keys, links: links(0), timings });
  const b = new Endpoint({ self: 'n2', nodes: names, cluster: 'fuzz', keys, links: links(1), timings });
  const deaths: string[] = [];
  a.on('membership', (e) => { if (e.kind === 'peer-dead') deaths.push(e.peer); });
  await a.start(); await b.start();
  const junk = dgram.createSocket('udp4');
  await new Promise<void>((r) => junk.bind(0, '127.0.3.99', () => r()));
  try {
    const until = performance.now() + 5000;
    while (a.membership.peers.n2.status !== 'alive' && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.equal(a.membership.peers.n2.status, 'alive');
    const forger = new Sender({ self: 'n2', clusterId: clusterIdFromName('fuzz'), incarnation: Date.now() + 1e6, keys: wrongKeys, encrypt: false, maxFrameBytes: 1400 });
    const N = 3000;
    let sent = 0;
    for (let i = 0; i < N; i++) {
      const buf = i % 3 === 0 ? forger.heartbeat() : Buffer.from(fc.sample(fc.uint8Array({ maxLength: 1500 }), { numRuns: 1, seed: i })[0]);
      junk.send(buf, port, '127.0.3.10', () => { sent++; });
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2));
    }
    const deadline = performance.now() + 5000;
    while (totalDropped(a.counters) < N && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Loopback does not lose datagrams at this rate; allow a little anyway (socket buffer under load).
    assert.ok(totalDropped(a.counters) >= N * 0.95, `only ${totalDropped(a.counters)} of ${N} (${sent} sent) counted: ${JSON.stringify(a.counters.dropped)}`);
    assert.ok(a.counters.dropped['bad-auth'] >= 900);
    assert.equal(a.membership.peers.n2.status, 'alive');
    assert.deepEqual(deaths, []);
  } finally {
    junk.close();
    await a.close(); await b.close();
  }
});
