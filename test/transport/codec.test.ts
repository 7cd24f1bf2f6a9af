// Properties of the frame codec and the receiver's replay window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeFrame, deriveClusterKeys, encodeFrame, frameOverhead, MessageType, Receiver, Sender, ReplayGuard, clusterIdFromName,
} from '../../src/transport/index.js';
import type { CodecOptions, FrameHeader } from '../../src/transport/index.js';

const keys = deriveClusterKeys(Buffer.from('property-test-secret-material'));
const CID = clusterIdFromName('props');
const plain: CodecOptions = { keys, encrypt: false, maxFrameBytes: 1400 };
const sealed: CodecOptions = { keys, encrypt: true, maxFrameBytes: 1400 };
const known = new Set(['a', 'b', 'node-3', 'ünï']);
const expect = { clusterId: CID, isKnownSender: (id: string) => known.has(id) };

const arbHeader = fc.record({
  clusterId: fc.constant(CID),
  sender: fc.constantFrom('a', 'b', 'node-3', 'ünï'),
  incarnation: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  type: fc.constantFrom(MessageType.Heartbeat, MessageType.Data, MessageType.Chunk),
  to: fc.option(fc.constantFrom('a', 'b', 'node-3'), { nil: undefined }),
}) as fc.Arbitrary<FrameHeader>;
const arbPayload = fc.uint8Array({ maxLength: 1200 });

function fits(h: FrameHeader, p: Uint8Array, o: CodecOptions): boolean {
  return frameOverhead(h.sender, h.to, o.encrypt) + p.length <= o.maxFrameBytes;
}

for (const o of [plain, sealed]) {
  const mode = o.encrypt ? 'AES-256-GCM' : 'HMAC-SHA256';

  test(`${mode}: encode then decode gives back header and payload`, () => {
    fc.assert(fc.property(arbHeader, arbPayload, (h, p) => {
      fc.pre(fits(h, p, o));
      const r = decodeFrame(encodeFrame(h, p, o), o, expect);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual({ ...r.frame, payload: undefined, encrypted: undefined }, { ...h, payload: undefined, encrypted: undefined });
      assert.equal(r.frame.encrypted, o.encrypt);
      assert.ok(Buffer.from(p).equals(r.frame.payload));
    }), { numRuns: 300 });
  });

  test(`${mode}: flipping any single bit makes the frame undeliverable`, () => {
    fc.assert(fc.property(arbHeader, fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (h, p, pos, bit) => {
      const f = encodeFrame(h, p, o);
      const g = Buffer.from(f);
      g[pos % g.length] ^= 1 << bit;
      const r = decodeFrame(g, o, expect);
      assert.equal(r.ok, false, `bit ${bit} of byte ${pos % g.length} flipped, still accepted`);
    }), { numRuns: 1000 });
  });

  test(`${mode}: a frame under another key is bad-auth`, () => {
    const other = { ...o, keys: deriveClusterKeys(Buffer.from('some other cluster secret')) };
    fc.assert(fc.property(arbHeader, fc.uint8Array({ maxLength: 200 }), (h, p) => {
      const r = decodeFrame(encodeFrame(h, p, other), o, expect);
      assert.deepEqual(r, { ok: false, reason: 'bad-auth' });
    }), { numRuns: 100 });
  });
}

test('header checks: wrong cluster, unknown sender, encryption mismatch, size', () => {
  const h: FrameHeader = { clusterId: CID, sender: 'a', incarnation: 1, seq: 1, type: MessageType.Data, to: undefined };
  const f = encodeFrame(h, Buffer.from('x'), plain);
  assert.deepEqual(decodeFrame(encodeFrame({ ...h, clusterId: CID ^ 1 }, Buffer.from('x'), plain), plain, expect), { ok: false, reason: 'wrong-cluster' });
  assert.deepEqual(decodeFrame(encodeFrame({ ...h, sender: 'mallory' }, Buffer.from('x'), plain), plain, expect), { ok: false, reason: 'unknown-sender' });
  assert.deepEqual(decodeFrame(f, sealed, expect), { ok: false, reason: 'security-mismatch' });
  assert.deepEqual(decodeFrame(Buffer.alloc(1401), plain, expect), { ok: false, reason: 'too-large' });
  assert.deepEqual(decodeFrame(f.subarray(0, 10), plain, expect), { ok: false, reason: 'malformed' });
  const v2 = Buffer.from(f); v2[2] = 2;
  assert.deepEqual(decodeFrame(v2, plain, expect), { ok: false, reason: 'bad-version' });
  assert.throws(() => encodeFrame(h, Buffer.alloc(1400), plain), RangeError);
  assert.throws(() => encodeFrame({ ...h, seq: 0 }, Buffer.alloc(1), plain), RangeError);
  // Encrypted frames are deterministic too (the nonce is the sequence number), and differ per incarnation.
  assert.deepEqual(encodeFrame(h, Buffer.from('x'), sealed), encodeFrame(h, Buffer.from('x'), sealed));
  assert.notDeepEqual(encodeFrame(h, Buffer.from('x'), sealed).subarray(-17), encodeFrame({ ...h, incarnation: 2 }, Buffer.from('x'), sealed).subarray(-17));
});

function pair(encrypt = false) {
  const mk = (incarnation: number) => new Sender({ self: 'a', clusterId: CID, incarnation, keys, encrypt, maxFrameBytes: 1400 });
  const rx = new Receiver({ self: 'b', clusterId: CID, nodes: ['a', 'b'], keys, encrypt, maxFrameBytes: 1400, replayWindow: 64 });
  return { mk, rx };
}

test('replay: any frame re-sent on the same link is dropped as replayed; on another link it is a duplicate', () => {
  fc.assert(fc.property(fc.array(fc.nat({ max: 199 }), { minLength: 1, maxLength: 300 }), (picks) => {
    const { mk, rx } = pair();
    const s = mk(10);
    const frames = Array.from({ length: 200 }, () => s.heartbeat());
    const seenOn = new Map<number, Set<number>>();
    let highest = 0;
    for (const [k, i] of picks.entries()) {
      const link = k % 3;
      const r = rx.receive(frames[i], link, 0);
      const seq = i + 1;
      const links = seenOn.get(seq);
      if (seq <= highest - 64) {
        assert.equal(r.dropped, 'replayed');
      } else if (!links) {
        assert.ok(r.delivery, `seq ${seq} first time should be delivered`);
        seenOn.set(seq, new Set([link]));
      } else if (links.has(link)) {
        assert.equal(r.dropped, 'replayed');
      } else {
        assert.equal(r.ignored, 'duplicate');
        assert.ok(r.heard, 'a duplicate still proves the link works');
        links.add(link);
      }
      highest = Math.max(highest, seenOn.has(seq) ? seq : 0);
    }
  }), { numRuns: 200 });
});

test('incarnations: a newer one resets the window and is reported as a restart; an older one is stale', () => {
  const { mk, rx } = pair();
  const old = mk(100);
  const oldFrames = [old.heartbeat(), old.heartbeat()];
  assert.ok(rx.receive(oldFrames[0], 0, 0).delivery);
  const neu = mk(200);
  const r = rx.receive(neu.heartbeat(), 0, 0);
  assert.equal(r.delivery?.restarted, true);
  assert.equal(r.delivery?.previousIncarnation, 100);
  // Seq 1 again, but in the new incarnation: fresh window.
  assert.equal(rx.receive(oldFrames[1], 0, 0).dropped, 'stale-incarnation');
  assert.ok(rx.receive(neu.heartbeat(), 1, 0).delivery);
  assert.equal(rx.counters.dropped['stale-incarnation'], 1);
});

test('replay guard: property against a model', () => {
  fc.assert(fc.property(fc.array(fc.record({ inc: fc.integer({ min: 1, max: 3 }), seq: fc.integer({ min: 1, max: 40 }), link: fc.integer({ min: 0, max: 2 }) }), { maxLength: 200 }), (evs) => {
    const g = new ReplayGuard(16);
    let inc = 0; let highest = 0; const seen = new Map<number, Set<number>>();
    for (const e of evs) {
      const v = g.check('x', e.inc, e.seq, e.link).verdict;
      if (e.inc > inc) { inc = e.inc; highest = e.seq; seen.clear(); seen.set(e.seq, new Set([e.link])); assert.equal(v, 'accept'); continue; }
      if (e.inc < inc) { assert.equal(v, 'stale-incarnation'); continue; }
      if (e.seq > highest) { highest = e.seq; seen.set(e.seq, new Set([e.link])); assert.equal(v, 'accept'); continue; }
      if (e.seq <= highest - 16) { assert.equal(v, 'replayed'); continue; }
      const s = seen.get(e.seq);
      if (!s) { seen.set(e.seq, new Set([e.link])); assert.equal(v, 'accept'); } else if (s.has(e.link)) assert.equal(v, 'replayed');
      else { s.add(e.link); assert.equal(v, 'duplicate'); }
    }
  }), { numRuns: 500 });
});

test('chunked messages reassemble in any order, duplicates ignored, for any size', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 20_000 }), fc.boolean(), fc.nat(), (size, encrypt, seed) => {
    const { mk, rx } = pair(encrypt);
    const body = Buffer.alloc(size, seed & 0xff);
    for (let i = 0; i < size; i += 7) body[i] = (i * 31 + seed) & 0xff;
    const frames = mk(1).message('b', body);
    // Deterministic shuffle from the seed.
    const order = frames.map((f, i) => ({ f, k: (i * 2654435761 + seed) % 1000003 })).sort((x, y) => x.k - y.k).map((x) => x.f);
    const got: Buffer[] = [];
    for (const f of order) { const r = rx.receive(f, 0, 0); if (r.delivery) got.push(r.delivery.body); }
    for (const f of order) { const r = rx.receive(f, 1, 0); assert.equal(r.delivery, undefined); }
    assert.equal(got.length, 1);
    assert.ok(got[0].equals(body));
    assert.equal(rx.reassemblyBytes, 0);
  }), { numRuns: 60 });
});

test('reassembly limits: oversized messages refused, partial messages time out and free their memory', () => {
  const s = new Sender({ self: 'a', clusterId: CID, incarnation: 1, keys, encrypt: false, maxFrameBytes: 1400 });
  const rx = new Receiver({ self: 'b', clusterId: CID, nodes: ['a', 'b'], keys, encrypt: false, maxFrameBytes: 1400,
    reassembly: { maxMessageBytes: 50_000, maxPendingBytes: 60_000, maxPendingPerSender: 2, timeoutMs: 1000 } });
  const tooBig = s.message(undefined, Buffer.alloc(60_000));
  assert.equal(rx.receive(tooBig[0], 0, 0).dropped, 'reassembly-overflow');
  const partial = s.message(undefined, Buffer.alloc(40_000));
  for (const f of partial.slice(0, -1)) rx.receive(f, 0, 0);
  assert.ok(rx.reassemblyBytes > 30_000);
  assert.equal(rx.expire(999), 0);
  assert.equal(rx.expire(1000), 1);
  assert.equal(rx.counters.dropped['reassembly-timeout'], 1);
  assert.equal(rx.reassemblyBytes, 0);
  // The last chunk after the timeout starts a new partial that can never complete, and is bounded too.
  assert.equal(rx.receive(partial[partial.length - 1], 0, 1001).ignored, 'chunk-pending');
  // Many concurrent partial messages from one sender: only maxPendingPerSender are kept.
  for (let m = 0; m < 5; m++) for (const f of s.message(undefined, Buffer.alloc(5_000)).slice(0, -1)) rx.receive(f, 0, 1002);
  assert.ok(rx.reassemblyBytes <= 2 * 5_000);
});
