// The failure detector as a pure state machine: properties over generated heartbeat schedules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkTimings, DEFAULT_TIMINGS, initMembership, reachablePeers, step } from '../../src/membership/index.js';
import type { MembershipInput, MembershipOutput, MembershipState, MembershipTimings } from '../../src/membership/index.js';

const T: MembershipTimings = { keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 600, initdeadMs: 2000 };
const PEERS = ['b', 'c'];
const LINKS = ['l0', 'l1'];

interface Arrival { at: number; peer: string; link: string; incarnation: number }

/** A schedule: per arrival a gap since the previous one (ms), the peer and the link. */
const arbSchedule = fc.array(fc.record({
  gap: fc.oneof(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 150, max: 1500 })),
  peer: fc.constantFrom(...PEERS),
  link: fc.constantFrom(...LINKS),
}), { maxLength: 120 }).map((xs) => {
  let at = 0;
  return xs.map((x): Arrival => { at += x.gap; return { at, peer: x.peer, link: x.link, incarnation: 1 }; });
});

/**
 * Drive the machine like a host that honours wakeAt exactly: between arrivals it ticks at wakeAt.
 * Returns every output with the time it was produced, and checks invariants after every step.
 */
function run(arrivals: Arrival[], endAt: number, check: (s: MembershipState, outs: MembershipOutput[], now: number, fed: number) => void) {
  let fed = 0;
  let r = initMembership({ self: 'a', peers: PEERS, links: LINKS, timings: T }, 0);
  const log: Array<{ at: number; o: MembershipOutput }> = r.outputs.map((o) => ({ at: 0, o }));
  const feed = (input: MembershipInput) => {
    r = step(r.state, input);
    for (const o of r.outputs) log.push({ at: input.now, o });
    if (input.kind === 'heartbeat') fed++;
    check(r.state, r.outputs, input.now, fed);
  };
  for (const a of [...arrivals, undefined]) {
    const until = a ? a.at : endAt;
    while (r.wakeAt <= until) {
      const w = r.wakeAt;
      feed({ kind: 'tick', now: w });
      assert.ok(r.wakeAt > w, 'wakeAt must move forward');
    }
    if (a) feed({ kind: 'heartbeat', now: a.at, from: a.peer, link: a.link, incarnation: a.incarnation });
  }
  return log;
}

function lastHeard(arrivals: Arrival[], now: number, peer: string, link?: string, strictlyBefore = false): number | undefined {
  let t: number | undefined;
  for (const a of arrivals) if ((strictlyBefore ? a.at < now : a.at <= now) && a.peer === peer && (link === undefined || a.link === link)) t = a.at;
  return t;
}

test('a peer is dead iff silent on every link for deadtime (initdead before first heard), never earlier', () => {
  fc.assert(fc.property(arbSchedule, (arrivals) => {
    const endAt = (arrivals.at(-1)?.at ?? 0) + 3000;
    run(arrivals, endAt, (s, _outs, now, fed) => {
      const seen = arrivals.slice(0, fed);
      for (const p of PEERS) {
        const last = lastHeard(seen, now, p);
        const expectDead = last === undefined ? now >= T.initdeadMs : now - last >= T.deadtimeMs;
        assert.equal(s.peers[p].status === 'dead', expectDead, `peer ${p} at ${now}: last heard ${last}, status ${s.peers[p].status}`);
        for (const l of LINKS) {
          const ll = lastHeard(seen, now, p, l);
          const linkDead = ll === undefined ? now >= T.initdeadMs : now - ll >= T.deadtimeMs;
          assert.equal(s.peers[p].links[l].status === 'dead', linkDead, `link ${l} of ${p} at ${now}`);
        }
        if (!expectDead && last !== undefined) {
          assert.equal(s.peers[p].status === 'late', now - last >= T.warntimeMs);
        }
      }
    });
  }), { numRuns: 300 });
});

test('a host that ticks at wakeAt learns of a death exactly deadtime after the last heartbeat', () => {
  fc.assert(fc.property(arbSchedule, (arrivals) => {
    const endAt = (arrivals.at(-1)?.at ?? 0) + 3000;
    const log = run(arrivals, endAt, () => {});
    for (const { at, o } of log) {
      if (o.kind !== 'peer-dead') continue;
      // A tick at time t runs before a heartbeat arriving at the same t (the host ticks at wakeAt first).
      const last = lastHeard(arrivals, at, o.peer, undefined, true);
      if (last === undefined) assert.equal(at, T.initdeadMs);
      else assert.equal(at, last + T.deadtimeMs, `peer ${o.peer} declared dead at ${at}, last heard ${last}`);
      assert.equal(o.silentMs, last === undefined ? T.initdeadMs : T.deadtimeMs);
    }
    // Every peer ends dead (3 s of silence at the end), and each death was announced once per fall.
    for (const p of PEERS) {
      const ups = log.filter((x) => x.o.kind === 'peer-up' && x.o.peer === p).length;
      const deads = log.filter((x) => x.o.kind === 'peer-dead' && x.o.peer === p).length;
      const everHeard = arrivals.some((a) => a.peer === p);
      assert.equal(deads, ups + (everHeard && arrivals.find((a) => a.peer === p)!.at >= T.initdeadMs ? 1 : 0) + (everHeard ? 0 : 1));
    }
  }), { numRuns: 300 });
});

test('heartbeats go out every keepalive, and right at start', () => {
  const log = run([], 1000, () => {});
  const sends = log.filter((x) => x.o.kind === 'send-heartbeat').map((x) => x.at);
  assert.deepEqual(sends, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
});

test('late, recovered, dead, back: the event sequence for one peer', () => {
  let r = initMembership({ self: 'a', peers: ['b'], links: ['l0', 'l1'], timings: T }, 0);
  const evs: MembershipOutput[] = [];
  const go = (i: MembershipInput) => { r = step(r.state, i); evs.push(...r.outputs.filter((o) => o.kind !== 'send-heartbeat')); };
  go({ kind: 'heartbeat', now: 10, from: 'b', link: 'l0', incarnation: 7 });
  go({ kind: 'heartbeat', now: 20, from: 'b', link: 'l1', incarnation: 7 });
  go({ kind: 'tick', now: 320 });
  go({ kind: 'heartbeat', now: 400, from: 'b', link: 'l0', incarnation: 7 });
  go({ kind: 'tick', now: 1000 });
  go({ kind: 'heartbeat', now: 1200, from: 'b', link: 'l1', incarnation: 7 });
  assert.deepEqual(evs, [
    { kind: 'link-up', peer: 'b', link: 'l0' },
    { kind: 'peer-up', peer: 'b', incarnation: 7, link: 'l0' },
    { kind: 'link-up', peer: 'b', link: 'l1' },
    { kind: 'peer-late', peer: 'b', silentMs: 300 },
    { kind: 'peer-recovered', peer: 'b', silentMs: 380 },
    { kind: 'link-down', peer: 'b', link: 'l0', silentMs: 600 },
    { kind: 'link-down', peer: 'b', link: 'l1', silentMs: 980 },
    { kind: 'peer-dead', peer: 'b', silentMs: 600, lastHeardAt: 400 },
    { kind: 'link-up', peer: 'b', link: 'l1' },
    { kind: 'peer-up', peer: 'b', incarnation: 7, link: 'l1' },
  ]);
  assert.deepEqual(reachablePeers(r.state), ['b']);
});

test('a new incarnation is a restart, even when the peer never looked dead; an older one is ignored', () => {
  let r = initMembership({ self: 'a', peers: ['b'], links: ['l0'], timings: T }, 0);
  r = step(r.state, { kind: 'heartbeat', now: 10, from: 'b', link: 'l0', incarnation: 5 });
  r = step(r.state, { kind: 'heartbeat', now: 50, from: 'b', link: 'l0', incarnation: 6 });
  assert.deepEqual(r.outputs, [{ kind: 'peer-restarted', peer: 'b', incarnation: 6, previousIncarnation: 5 }]);
  r = step(r.state, { kind: 'heartbeat', now: 500, from: 'b', link: 'l0', incarnation: 5 });
  assert.deepEqual(r.outputs.filter((o) => o.kind !== 'send-heartbeat'), [{ kind: 'peer-late', peer: 'b', silentMs: 450 }]);
  assert.equal(r.state.peers.b.lastHeardAt, 50);
});

test('unknown peers and links, and time running backwards, change nothing', () => {
  const r0 = initMembership({ self: 'a', peers: ['b'], links: ['l0'], timings: T }, 1000);
  let r = step(r0.state, { kind: 'heartbeat', now: 1010, from: 'zed', link: 'l0', incarnation: 1 });
  r = step(r.state, { kind: 'heartbeat', now: 1010, from: 'b', link: 'l9', incarnation: 1 });
  assert.equal(r.state.peers.b.status, 'unknown');
  assert.equal(r.state.peers.zed, undefined);
  r = step(r.state, { kind: 'heartbeat', now: 1020, from: 'b', link: 'l0', incarnation: 1 });
  r = step(r.state, { kind: 'tick', now: 5 });
  assert.equal(r.state.now, 1020);
  assert.equal(r.state.peers.b.status, 'alive');
});

test('set-peers: a joining node gets initdead from when it was added; a leaving one is forgotten', () => {
  let r = initMembership({ self: 'a', peers: ['b'], links: ['l0'], timings: T }, 0);
  r = step(r.state, { kind: 'set-peers', now: 5000, peers: ['a', 'c'] });
  assert.deepEqual(Object.keys(r.state.peers), ['c']);
  assert.equal(r.state.peers.c.status, 'unknown');
  r = step(r.state, { kind: 'tick', now: 6999 });
  assert.equal(r.state.peers.c.status, 'unknown');
  r = step(r.state, { kind: 'tick', now: 7000 });
  assert.equal(r.state.peers.c.status, 'dead');
});

test('the state machine is deterministic and does not mutate its input state', () => {
  fc.assert(fc.property(arbSchedule, (arrivals) => {
    const a = run(arrivals, 4000, () => {});
    const b = run(arrivals, 4000, () => {});
    assert.deepEqual(a, b);
    const r0 = initMembership({ self: 'a', peers: PEERS, links: LINKS, timings: T }, 0);
    const frozen = JSON.stringify(r0.state);
    let s = r0.state;
    for (const x of arrivals) s = step(s, { kind: 'heartbeat', now: x.at, from: x.peer, link: x.link, incarnation: 1 }).state;
    assert.equal(JSON.stringify(r0.state), frozen);
  }), { numRuns: 50 });
});

test('timings: the defaults are valid; nonsense is refused with reasons', () => {
  assert.deepEqual(checkTimings(DEFAULT_TIMINGS), []);
  assert.ok(checkTimings({ keepaliveMs: 100, warntimeMs: 50, deadtimeMs: 600, initdeadMs: 2000 })[0].includes('warntime'));
  assert.ok(checkTimings({ keepaliveMs: 300, warntimeMs: 400, deadtimeMs: 500, initdeadMs: 2000 })[0].includes('two keepalives'));
  assert.ok(checkTimings({ keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 600, initdeadMs: 500 })[0].includes('initdead'));
  assert.ok(checkTimings({ keepaliveMs: -1, warntimeMs: 300, deadtimeMs: 600, initdeadMs: 500 })[0].includes('positive'));
  assert.throws(() => initMembership({ self: 'a', peers: [], links: ['l'], timings: { ...T, deadtimeMs: 100 } }, 0), RangeError);
  assert.throws(() => initMembership({ self: 'a', peers: [], links: [] }, 0), RangeError);
});

test('restarts in a schedule: one peer-restarted per incarnation increase, stale incarnations ignored', () => {
  const arb = fc.array(fc.record({
    gap: fc.integer({ min: 0, max: 900 }),
    peer: fc.constantFrom(...PEERS),
    link: fc.constantFrom(...LINKS),
    inc: fc.integer({ min: -1, max: 1 }),
  }), { maxLength: 100 });
  fc.assert(fc.property(arb, (xs) => {
    const incs: Record<string, number> = { b: 10, c: 10 };
    let at = 0;
    const arrivals: Arrival[] = xs.map((x) => {
      at += x.gap;
      // -1: a stale frame from the previous incarnation; +1: the peer restarted.
      if (x.inc === 1) incs[x.peer] += 1;
      return { at, peer: x.peer, link: x.link, incarnation: incs[x.peer] + (x.inc === -1 ? -1 : 0) };
    });
    const log = run(arrivals, at + 100, () => {});
    for (const p of PEERS) {
      const mine = arrivals.filter((a) => a.peer === p);
      let highest: number | undefined;
      let increases = 0;
      for (const a of mine) {
        if (highest !== undefined && a.incarnation > highest) increases++;
        highest = highest === undefined ? a.incarnation : Math.max(highest, a.incarnation);
      }
      const restarts = log.filter((x) => x.o.kind === 'peer-restarted' && x.o.peer === p);
      assert.equal(restarts.length, increases);
      for (const r of restarts) if (r.o.kind === 'peer-restarted') assert.ok(r.o.incarnation > r.o.previousIncarnation);
    }
  }), { numRuns: 300 });
});
