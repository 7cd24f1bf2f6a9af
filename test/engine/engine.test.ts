/**
 * The Engine class in-process, over real UDP on loopback: its API for the daemon (propose,
 * status, events), and its handling of authenticated but malformed coordination messages
 * (dropped and counted, never a crash). Configuration mistakes around the witness are InputErrors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineSettings } from '../../src/config/settings.js';
import { loadVigilYaml } from '../../src/config/vigil/load.js';
import type { LogEntry } from '../../src/coordination/index.js';
import { Engine, ProposalError, WITNESS_NODE } from '../../src/daemon/engine.js';
import { planEngine } from '../../src/daemon/engine-config.js';
import { InputError } from '../../src/model/index.js';
import { deriveClusterKeys, Endpoint } from '../../src/transport/index.js';

const WAIT = 30_000;

function settings(nodes: number, extra = ''): { s: EngineSettings; addresses: string[]; port: number } {
  const a = randomInt(1, 255);
  const b = randomInt(1, 255);
  const port = randomInt(20_000, 60_000);
  const addresses = Array.from({ length: nodes + 1 }, (_, i) => `127.${a}.${b}.${10 + i}`);
  const yaml = `cluster:\n  name: unit\n  authkey: /nonexistent\n  links: [{ transport: unicast, port: ${port} }]\n  nodes:\n` +
    Array.from({ length: nodes }, (_, i) => `    - { name: n${i + 1}, addresses: [${addresses[i]}] }\n`).join('') + extra;
  return { s: loadVigilYaml(yaml, 'vigil.yaml').settings, addresses, port };
}

function until<T>(what: string, cond: () => T | undefined | false, timeoutMs = WAIT): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      const v = cond();
      if (v) { clearInterval(iv); resolve(v); } else if (Date.now() - t0 > timeoutMs) { clearInterval(iv); reject(new Error(`timed out waiting for ${what}`)); }
    }, 20);
  });
}

test('Engine API: one DC; propose resolves once committed everywhere; followers reject; status reports the cluster', async () => {
  const { s } = settings(3);
  const keys = deriveClusterKeys(randomBytes(32));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-unit-'));
  const engines = ['n1', 'n2', 'n3'].map((node) => new Engine({ settings: s, node, keys, stateDir: join(dir, node) }));
  const applied = new Map<string, LogEntry[]>(engines.map((e) => [e.node, []]));
  const leases: string[] = [];
  for (const e of engines) {
    e.on('committed', (entry) => applied.get(e.node)?.push(entry));
    e.on('lease', ({ valid }) => { if (valid) leases.push(e.node); });
  }
  try {
    await Promise.all(engines.map((e) => e.start()));
    const dc = await until('a DC', () => (engines.filter((e) => e.isDc).length === 1 ? engines.find((e) => e.isDc) : undefined));
    await until('everyone following', () => engines.every((e) => e.dc === dc.node && e.quorate));
    const follower = engines.find((e) => e !== dc) as Engine;
    await assert.rejects(follower.propose({ kind: 'node-attribute', node: 'n1', name: 'a', value: '1' }), (err: unknown) => {
      assert.ok(err instanceof ProposalError);
      assert.equal(err.dc, dc.node);
      return true;
    });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await dc.propose({ kind: 'node-attribute', node: 'n2', name: `k${i}`, value: String(i) }));
    assert.deepEqual(results.map((r) => r.index), [2, 3, 4, 5, 6], 'after the leader\'s noop at index 1');
    await until('all applied', () => engines.every((e) => (applied.get(e.node) as LogEntry[]).length >= 6));
    for (const e of engines) {
      assert.deepEqual((applied.get(e.node) as LogEntry[]).map((x) => x.index), [1, 2, 3, 4, 5, 6], `${e.node} applies in order`);
    }
    const st = dc.status();
    assert.equal(st.isDc, true);
    assert.ok(st.leaseRemainingMs > 0);
    assert.equal(st.commitIndex, 6);
    assert.equal(st.members.length, 3);
    assert.deepEqual(st.peers.map((p) => p.node).sort(), [follower.node, engines.find((e) => e !== dc && e !== follower)?.node].sort());
    assert.ok(st.peers.every((p) => p.status === 'alive' && p.links.link0 === 'alive'));
    assert.ok(st.links.link0.framesSent > 0 && st.links.link0.framesReceived > 0);
    assert.equal(st.transport.dropped['bad-auth'] ?? 0, 0);
    assert.deepEqual(follower.status().protocolDrops, { malformed: 0, 'wrong-sender': 0, 'wrong-recipient': 0, 'held-incarnation': 0 });
    assert.deepEqual([...new Set(leases)], [dc.node], 'only the DC ever held a lease');
  } finally {
    await Promise.all(engines.map((e) => e.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Engine: authenticated but malformed coordination messages are dropped and counted; the engine keeps working', async () => {
  const { s, addresses, port } = settings(3);
  const keys = deriveClusterKeys(randomBytes(32));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-unit-'));
  const engines = ['n1', 'n2'].map((node) => new Engine({ settings: s, node, keys, stateDir: join(dir, node) }));
  // An insider: it holds the key and speaks as n3, but sends nonsense.
  const rogue = new Endpoint({
    self: 'n3', nodes: ['n1', 'n2', 'n3'], cluster: s.clusterName, keys,
    links: [{ id: 'link0', kind: 'ucast', port, bind: addresses[2], peers: [{ address: addresses[0], port, node: 'n1' }, { address: addresses[1], port, node: 'n2' }] }],
  });
  try {
    await Promise.all(engines.map((e) => e.start()));
    await rogue.start();
    const send = (body: unknown): void => rogue.send('n1', Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
    send('{not json');
    send({ type: 'vote', from: 'n3', to: 'n1', term: 'x', lastIndex: 0, lastTerm: 0 });
    send({ type: 'append', from: 'n3', to: 'n1', term: 5, prevIndex: 0, prevTerm: 0, entries: [{ index: 7, term: 5, data: { type: 'noop' } }], commit: 0, sentAt: 1, leaseValid: true, holdsYourVote: false });
    send({ type: 'append', from: 'n3', to: 'n1', term: 5, prevIndex: 0, prevTerm: 0, entries: 'many', commit: 0, sentAt: 1, leaseValid: true, holdsYourVote: false });
    send({ type: 'vote', from: 'n2', to: 'n1', term: 9, lastIndex: 99, lastTerm: 9 });
    send({ type: 'vote', from: 'n3', to: 'n2', term: 9, lastIndex: 99, lastTerm: 9 });
    const n1 = engines[0];
    await until('drops counted', () => {
      const d = n1.status().protocolDrops;
      return d.malformed === 4 && d['wrong-sender'] === 1 && d['wrong-recipient'] === 1;
    });
    assert.ok(n1.status().term < 5, 'no forged message moved the term');
    // n1 and n2 are 2 of 3 votes: they still elect a DC.
    await until('a DC of n1, n2', () => engines.some((e) => e.isDc) && engines.every((e) => e.quorate));
    const dc = engines.find((e) => e.isDc) as Engine;
    const r = await dc.propose({ kind: 'node-attribute', node: 'n1', name: 'after', value: 'ok' });
    assert.ok(r.index >= 2);
  } finally {
    await rogue.close();
    await Promise.all(engines.map((e) => e.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('engine plan: the witness joins the first unicast link and the voters; naming mistakes are input errors', () => {
  const keys = deriveClusterKeys(randomBytes(32));
  const { s, addresses, port } = settings(2, '  quorum: { witness: "127.9.9.9:7000" }\n');
  const node = planEngine(s, 'n1', 'node', keys);
  assert.deepEqual(node.bootstrap.members, [{ id: 'n1', votes: 1 }, { id: 'n2', votes: 1 }, { id: WITNESS_NODE, votes: 1, witness: true }]);
  assert.deepEqual(node.endpoint.nodes, ['n1', 'n2', WITNESS_NODE]);
  const l0 = node.endpoint.links[0];
  assert.ok(l0.kind === 'ucast' && l0.peers.some((p) => p.node === WITNESS_NODE && p.address === '127.9.9.9' && p.port === 7000));
  const w = planEngine(s, WITNESS_NODE, 'witness', keys);
  const wl = w.endpoint.links[0];
  assert.ok(wl.kind === 'ucast' && wl.bind === '127.9.9.9' && wl.port === 7000);
  assert.deepEqual(wl.kind === 'ucast' ? wl.peers.map((p) => `${p.node}@${p.address}:${p.port}`) : [], [`n1@${addresses[0]}:${port}`, `n2@${addresses[1]}:${port}`]);
  assert.throws(() => planEngine(s, 'someone', 'witness', keys), (e: unknown) => e instanceof InputError && /witness/.test(e.message));
  assert.throws(() => planEngine(s, WITNESS_NODE, 'node', keys), (e: unknown) => e instanceof InputError && /vigil witness/.test(e.message));
  const { s: plain } = settings(3);
  assert.throws(() => planEngine(plain, WITNESS_NODE, 'witness', keys), (e: unknown) => e instanceof InputError && /no witness/.test(e.message));
  assert.equal(planEngine(plain, 'n2', 'node', keys).coordination.timing.deadtimeMs, plain.membership.deadtimeMs);
});

test('two_node: the survivor takes over only after fencing its peer; the vote is released when the peer returns; a cold-started node never takes over', async () => {
  const { s, addresses, port } = settings(2, '  quorum: { two_node: true }\n');
  assert.equal(s.quorum.waitForAll, true, 'wait_for_all defaults on with two_node');
  const keys = deriveClusterKeys(randomBytes(32));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-2n-'));
  const make = (node: string): Engine => new Engine({ settings: s, node, keys, stateDir: join(dir, node) });
  let a = make('n1');
  let b = make('n2');
  const votes: string[] = [];
  try {
    await a.start();
    await b.start();
    await until('a DC of two', () => (a.isDc || b.isDc) && a.quorate && b.quorate);
    const [dc, other] = a.isDc ? [a, b] : [b, a];
    await dc.propose({ kind: 'node-attribute', node: dc.node, name: 'x', value: '1' });
    // The DC's peer dies. Alone, the DC loses quorum (one vote of two).
    const oldIncarnation = other.status().incarnation;
    await other.stop();
    await until('the survivor to lose quorum', () => !dc.quorate && !dc.isDc);
    dc.on('vote', (v) => votes.push(`${v.node}:${v.held ? 'held' : 'released'}`));
    dc.fenced(other.node);
    await until('the survivor as DC with the fenced vote', () => dc.isDc);
    const r = await dc.propose({ kind: 'node-attribute', node: dc.node, name: 'y', value: '2' });
    assert.equal(r.index, dc.status().commitIndex);
    // A message the dead process sent before it died, delayed in the network, arrives now: it is
    // not the peer coming back and must not release the held vote. (Sent from its address with
    // its incarnation, at sequence numbers past what the DC saw of it.)
    const late = new Endpoint({
      self: other.node, nodes: ['n1', 'n2'], cluster: s.clusterName, keys, incarnation: oldIncarnation,
      links: [{ id: 'link0', kind: 'ucast', port, bind: addresses[other === a ? 0 : 1], peers: [{ address: addresses[other === a ? 1 : 0], port, node: dc.node }] }],
    });
    await late.start();
    try {
      const body = Buffer.from(JSON.stringify({ type: 'append-reply', from: other.node, to: dc.node, term: dc.status().term, success: false, matchIndex: 0, hint: 0, sentAt: 0 }));
      for (let i = 0; i < 100 && dc.status().protocolDrops['held-incarnation'] === 0; i++) {
        for (let k = 0; k < 100; k++) late.send(dc.node, body);
        await new Promise((res) => setTimeout(res, 20));
      }
    } finally {
      await late.close();
    }
    assert.ok(dc.status().protocolDrops['held-incarnation'] > 0, 'the late message reached the engine and was dropped');
    assert.deepEqual(votes, [`${other.node}:held`], 'the vote is still held');
    assert.equal(dc.isDc, true);
    // The fenced peer comes back (rebooted): its vote is its own again, and it follows the DC.
    const back = make(other.node);
    if (other === a) a = back; else b = back;
    await back.start();
    await until('the returning peer following the DC, its vote released', () => back.dc === dc.node && back.quorate && dc.isDc && votes.length >= 2);
    assert.deepEqual(votes, [`${other.node}:held`, `${other.node}:released`]);
  } finally {
    await a.stop();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  // wait_for_all: a node that never saw its peer since it started does not take over, even fenced.
  const dir2 = mkdtempSync(join(tmpdir(), 'vigil-engine-2n-'));
  const lone = new Engine({ settings: s, node: 'n1', keys, stateDir: join(dir2, 'n1') });
  const roles: string[] = [];
  lone.on('role', (e) => roles.push(e.role));
  // A listener at n2's address counts the pre-vote rounds n1 starts (it never answers them).
  const ear = new Endpoint({
    self: 'n2', nodes: ['n1', 'n2'], cluster: s.clusterName, keys,
    links: [{ id: 'link0', kind: 'ucast', port, bind: addresses[1], peers: [{ address: addresses[0], port, node: 'n1' }] }],
  });
  let prevotes = 0;
  ear.on('message', (m) => { if ((JSON.parse(m.body.toString()) as { type: string }).type === 'prevote') prevotes += 1; });
  try {
    await ear.start();
    await lone.start();
    lone.fenced('n2');
    await until('three pre-vote rounds', () => prevotes >= 3);
    assert.ok(!roles.includes('leader') && !roles.includes('candidate'), 'never stood for election');
    assert.equal(lone.isDc, false);
    assert.equal(lone.quorate, false);
  } finally {
    await ear.close();
    await lone.stop();
    rmSync(dir2, { recursive: true, force: true });
  }
});

test('snapshots: a follower behind the DC\'s snapshot catches up by InstallSnapshot (restore), and restores its own snapshot at start', async () => {
  const { s } = settings(3);
  const keys = deriveClusterKeys(randomBytes(32));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-snap-'));
  // A host state machine: the list of applied updates; it compacts the log every 4 entries.
  const applied = new Map<string, unknown[]>();
  const restores = new Map<string, number[]>();
  const make = (node: string): Engine => {
    const e = new Engine({ settings: s, node, keys, stateDir: join(dir, node) });
    applied.set(node, []);
    e.on('restore', (snap) => {
      applied.set(node, JSON.parse(snap.data) as unknown[]);
      restores.set(node, [...(restores.get(node) ?? []), snap.index]);
    });
    e.on('committed', (entry) => {
      if (entry.data.type === 'cib') applied.get(node)?.push(entry.data.update);
      if (entry.index % 4 === 0) e.compact(entry.index, JSON.stringify(applied.get(node)));
    });
    return e;
  };
  const engines = new Map(['n1', 'n2', 'n3'].map((n) => [n, make(n)]));
  try {
    for (const e of engines.values()) await e.start();
    const dc = await until('a DC', () => [...engines.values()].find((e) => e.isDc));
    const lagging = [...engines.values()].find((e) => e !== dc) as Engine;
    await lagging.stop();
    for (let i = 0; i < 12; i++) await dc.propose({ kind: 'node-attribute', node: 'n1', name: `s${i}`, value: String(i) });
    assert.ok(dc.status().snapshotIndex >= 12, 'the DC compacted its log');

    const back = make(lagging.node);
    engines.set(lagging.node, back);
    await back.start();
    await until('the lagging node caught up', () => (applied.get(back.node) as unknown[]).length === 12);
    assert.ok((restores.get(back.node) ?? []).some((i) => i >= 12), 'it received the DC\'s snapshot');
    assert.deepEqual(applied.get(back.node), applied.get(dc.node));

    // Restart it again: its own snapshot comes back from disk first, then the log after it.
    await back.stop();
    const again = make(back.node);
    engines.set(back.node, again);
    restores.delete(again.node);
    await again.start();
    assert.ok((restores.get(again.node) ?? []).length === 1, 'restored its snapshot at start');
    await dc.propose({ kind: 'node-attribute', node: 'n1', name: 'last', value: 'x' });
    await until('the restarted node applied everything', () => (applied.get(again.node) as unknown[]).length === 13);
    assert.deepEqual(applied.get(again.node), applied.get(dc.node));
  } finally {
    for (const e of engines.values()) await e.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
