// Real UDP on 127.0.0.x: endpoints exchange heartbeats, detect a killed peer, ride out a lost
// link, and deliver chunked messages. Timings are relaxed from the defaults so a loaded CI
// machine does not cause false alarms; bounds are asserted with generous slack above them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Endpoint, deriveClusterKeys } from '../../src/transport/index.js';
import type { InboundMessage, LinkSpec } from '../../src/transport/index.js';
import type { MembershipOutput, MembershipTimings } from '../../src/membership/index.js';

const TIMINGS: MembershipTimings = { keepaliveMs: 100, warntimeMs: 1000, deadtimeMs: 2000, initdeadMs: 4000 };
const keys = deriveClusterKeys(Buffer.from('test-cluster-secret-0123456789'));
// A port range per run so parallel runs on one machine do not collide.
const BASE = 20000 + Math.floor(Math.random() * 20000);
let portOffset = 0;

interface Node { name: string; ep: Endpoint; events: Array<{ at: number; ev: MembershipOutput }>; messages: InboundMessage[] }

function linksFor(i: number, names: string[], port: number, nLinks: number): LinkSpec[] {
  const out: LinkSpec[] = [];
  for (let k = 0; k < nLinks; k++) {
    const addr = (j: number) => `127.0.${k + 1}.${10 + j}`;
    out.push({ kind: 'ucast', id: `link${k}`, bind: addr(i), port: port + k, peers: names.map((_, j) => ({ address: addr(j) })) });
  }
  return out;
}

async function cluster(n: number, nLinks = 2, encrypt = false): Promise<Node[]> {
  const port = BASE + portOffset;
  portOffset += 10;
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const nodes: Node[] = names.map((name, i) => {
    const ep = new Endpoint({ self: name, nodes: names, cluster: 'test', keys, encrypt, links: linksFor(i, names, port, nLinks), timings: TIMINGS });
    const node: Node = { name, ep, events: [], messages: [] };
    ep.on('membership', (ev) => node.events.push({ at: performance.now(), ev }));
    ep.on('message', (m) => node.messages.push(m));
    return node;
  });
  for (const x of nodes) await x.ep.start();
  return nodes;
}

async function waitFor<T>(what: string, f: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const find = (n: Node, pred: (e: MembershipOutput) => boolean) => n.events.find((e) => pred(e.ev));

async function closeAll(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.ep.close()));
}

test('two endpoints: heartbeats flow on both links, peers come up', async () => {
  const [a, b] = await cluster(2);
  try {
    await waitFor('a sees b up', () => find(a, (e) => e.kind === 'peer-up' && e.peer === 'n2'));
    await waitFor('b sees a up', () => find(b, (e) => e.kind === 'peer-up' && e.peer === 'n1'));
    await waitFor('both links up at a', () => ['link0', 'link1'].every((l) => find(a, (e) => e.kind === 'link-up' && e.link === l)));
    await sleep(500);
    assert.equal(a.ep.membership.peers.n2.status, 'alive');
    assert.equal(a.ep.membership.peers.n2.links.link1.status, 'alive');
    // Every heartbeat arrives twice (one per link); the second copy is a duplicate, not an attack.
    assert.ok(a.ep.counters.ignored.duplicate > 0);
    assert.equal(Object.values(a.ep.counters.dropped).reduce((x, y) => x + y, 0), 0, JSON.stringify(a.ep.counters.dropped));
    assert.ok(a.ep.linkCounters().link0.framesSent > 3);
  } finally { await closeAll([a, b]); }
});

test('three endpoints: a killed peer is declared dead after deadtime, not before; the others stay alive', async () => {
  const nodes = await cluster(3);
  const [a, b, c] = nodes;
  try {
    await waitFor('all up', () => nodes.every((x) => Object.values(x.ep.membership.peers).every((p) => p.status === 'alive')));
    const killedAt = performance.now();
    await c.ep.close();
    const deadA = await waitFor('a sees c dead', () => find(a, (e) => e.kind === 'peer-dead' && e.peer === 'n3'));
    const deadB = await waitFor('b sees c dead', () => find(b, (e) => e.kind === 'peer-dead' && e.peer === 'n3'));
    for (const d of [deadA, deadB]) {
      const after = d.at - killedAt;
      // Never before deadtime of real silence (measured on the same clock the endpoints use).
      if (d.ev.kind === 'peer-dead') {
        assert.ok(d.ev.silentMs >= TIMINGS.deadtimeMs, `silent only ${d.ev.silentMs} ms`);
        assert.ok(d.ev.lastHeardAt !== undefined && d.at - d.ev.lastHeardAt >= TIMINGS.deadtimeMs);
      }
      // The last heartbeat left about one keepalive before the kill; a loaded machine may delay
      // that timer, hence the slack below. Too late would mean detection does not work.
      assert.ok(after >= TIMINGS.deadtimeMs - TIMINGS.keepaliveMs - 400, `declared dead ${after.toFixed(0)} ms after the kill: too early`);
      assert.ok(after <= TIMINGS.deadtimeMs + 3000, `declared dead ${after.toFixed(0)} ms after the kill: too late`);
    }
    // Both links of c went down at a, too.
    assert.ok(find(a, (e) => e.kind === 'link-down' && e.peer === 'n3' && e.link === 'link0'));
    assert.ok(find(a, (e) => e.kind === 'link-down' && e.peer === 'n3' && e.link === 'link1'));
    assert.equal(a.ep.membership.peers.n2.status === 'dead', false);
    assert.equal(find(a, (e) => e.kind === 'peer-dead' && e.peer === 'n2'), undefined);
  } finally { await closeAll(nodes); }
});

test('one of two links lost: link-down, but the peer stays alive; the link comes back', async () => {
  const [a, b] = await cluster(2);
  try {
    await waitFor('up', () => a.ep.membership.peers.n2.links.link1.status === 'alive' && b.ep.membership.peers.n1.links.link1.status === 'alive');
    a.ep.setLinkEnabled('link1', false);
    const down = await waitFor('b sees link1 of a down', () => find(b, (e) => e.kind === 'link-down' && e.peer === 'n1' && e.link === 'link1'));
    assert.ok(down);
    await sleep(TIMINGS.deadtimeMs);
    assert.equal(b.ep.membership.peers.n1.status, 'alive');
    assert.equal(b.ep.membership.peers.n1.links.link0.status, 'alive');
    assert.equal(find(b, (e) => e.kind === 'peer-dead'), undefined);
    assert.equal(find(b, (e) => e.kind === 'link-down' && e.link === 'link0'), undefined);
    a.ep.setLinkEnabled('link1', true);
    await waitFor('link1 back', () => b.events.some((e, i) => i > b.events.indexOf(down) && e.ev.kind === 'link-up' && e.ev.link === 'link1'));
  } finally { await closeAll([a, b]); }
});

test('restart with a new incarnation is reported as peer-restarted', async () => {
  const names = ['n1', 'n2'];
  const port = BASE + portOffset;
  portOffset += 10;
  const mk = (i: number, incarnation: number) => new Endpoint({ self: names[i], nodes: names, cluster: 'test', keys, links: linksFor(i, names, port, 1), timings: TIMINGS, incarnation });
  const a = mk(0, 1000);
  let b = mk(1, 2000);
  const events: MembershipOutput[] = [];
  a.on('membership', (e) => events.push(e));
  await a.start(); await b.start();
  try {
    await waitFor('up', () => events.some((e) => e.kind === 'peer-up'));
    await b.close();
    b = mk(1, 3000);
    await b.start();
    const r = await waitFor('restarted', () => events.find((e) => e.kind === 'peer-restarted'));
    assert.deepEqual(r, { kind: 'peer-restarted', peer: 'n2', incarnation: 3000, previousIncarnation: 2000 });
    // A quick restart (within deadtime) is never mistaken for "nothing happened", and it is not a death.
    assert.equal(events.some((e) => e.kind === 'peer-dead'), false);
  } finally { await a.close(); await b.close(); }
});

for (const encrypt of [false, true]) {
  test(`messages: unicast, to all, and a chunked large payload (${encrypt ? 'AES-256-GCM' : 'HMAC-SHA256'})`, async () => {
    const nodes = await cluster(3, 2, encrypt);
    const [a, b, c] = nodes;
    try {
      await waitFor('all up', () => nodes.every((x) => Object.values(x.ep.membership.peers).every((p) => p.status === 'alive')));
      a.ep.send('n2', Buffer.from('only for n2'));
      a.ep.send(undefined, Buffer.from('for everyone'));
      const big = randomBytes(300_000);
      a.ep.send('n3', big);
      await waitFor('n2 got both', () => b.messages.length >= 2);
      await waitFor('n3 got the big one', () => c.messages.some((m) => m.body.length === big.length));
      assert.deepEqual(b.messages.map((m) => [m.from, m.body.toString(), m.unicast]), [['n1', 'only for n2', true], ['n1', 'for everyone', false]]);
      const got = c.messages.find((m) => m.body.length === big.length);
      assert.ok(got && got.body.equals(big));
      assert.deepEqual(c.messages.filter((m) => m.body.length < 100).map((m) => m.body.toString()), ['for everyone']);
      await sleep(200);
      // Exactly once, although every frame went out on two links.
      assert.equal(c.messages.filter((m) => m.body.length === big.length).length, 1);
      assert.equal(b.messages.length, 2);
      for (const x of nodes) assert.equal(Object.values(x.ep.counters.dropped).reduce((p, q) => p + q, 0), 0, `${x.name}: ${JSON.stringify(x.ep.counters.dropped)}`);
    } finally { await closeAll(nodes); }
  });
}

test('a node with a different key cannot join: its frames are dropped as bad-auth', async () => {
  const names = ['n1', 'n2'];
  const port = BASE + portOffset;
  portOffset += 10;
  const a = new Endpoint({ self: 'n1', nodes: names, cluster: 'test', keys, links: linksFor(0, names, port, 1), timings: TIMINGS });
  const b = new Endpoint({ self: 'n2', nodes: names, cluster: 'test', keys: deriveClusterKeys(Buffer.from('another-secret-entirely-xyz')), links: linksFor(1, names, port, 1), timings: TIMINGS });
  const events: MembershipOutput[] = [];
  a.on('membership', (e) => events.push(e));
  await a.start(); await b.start();
  try {
    await waitFor('bad-auth counted', () => a.counters.dropped['bad-auth'] >= 3);
    assert.equal(events.some((e) => e.kind === 'peer-up'), false);
  } finally { await a.close(); await b.close(); }
});

test('a link that cannot bind fails start() with the link and address named, and releases what it opened', async () => {
  const names = ['n1', 'n2'];
  const port = BASE + portOffset;
  portOffset += 10;
  const a = new Endpoint({ self: 'n1', nodes: names, cluster: 'test', keys, links: linksFor(0, names, port, 2), timings: TIMINGS });
  await a.start();
  // Same addresses as n1: both links are taken.
  const clash = new Endpoint({ self: 'n1', nodes: names, cluster: 'test', keys, links: linksFor(0, names, port, 2), timings: TIMINGS });
  try {
    await assert.rejects(clash.start(), /link link0: cannot bind 127\.0\.1\.10:\d+: .*EADDRINUSE/);
    assert.throws(() => a.send('n9', Buffer.from('x')), /unknown node n9/);
    assert.throws(() => a.send('n1', Buffer.from('x')), /itself/);
    assert.throws(() => clash.send(undefined, Buffer.from('x')), /not running/);
  } finally { await a.close(); await clash.close(); }
  // Everything was released: the same ports bind again.
  const again = new Endpoint({ self: 'n1', nodes: names, cluster: 'test', keys, links: linksFor(0, names, port, 2), timings: TIMINGS });
  await again.start();
  await again.close();
});

test('setNodes: a removed node is no longer heard (unknown-sender), a kept one stays alive', async () => {
  const nodes = await cluster(3, 1);
  const [a] = nodes;
  try {
    await waitFor('all up', () => nodes.every((x) => Object.values(x.ep.membership.peers).every((p) => p.status === 'alive')));
    a.ep.setNodes(['n1', 'n2']);
    assert.deepEqual(Object.keys(a.ep.membership.peers), ['n2']);
    await waitFor('frames from n3 refused', () => a.ep.counters.dropped['unknown-sender'] >= 3);
    assert.throws(() => a.ep.send('n3', Buffer.from('x')), /unknown node n3/);
    assert.equal(a.ep.membership.peers.n2.status, 'alive');
  } finally { await closeAll(nodes); }
});
