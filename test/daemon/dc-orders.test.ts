/**
 * A node runs operations only for the DC it follows, in its term (src/daemon/dc-orders.ts): the
 * rule, then end to end against real vigild processes on loopback, with requests signed with the
 * cluster key as a node that is not the DC, as the DC in an old term, and in a term the node has
 * not reached yet. Refused starts do not run; the DC's own request does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { judgeOrder } from '../../src/daemon/dc-orders.js';
import { PeerChannel, PeerError } from '../../src/daemon/peer.js';
import type { ExecuteRequest } from '../../src/controller/index.js';
import { loadAuthkeyFile } from '../../src/transport/index.js';
import { loopbackCluster, until } from './loopback.js';

test('judgeOrder: only the DC this node follows, in its term; a later term or an unknown leader is "not yet"', () => {
  assert.deepEqual(judgeOrder({ from: 'n1', dcTerm: 5, dc: 'n1', term: 5 }), { ok: true });
  assert.deepEqual(judgeOrder({ from: 'n1', dcTerm: undefined, dc: 'n1', term: 5 }), { ok: true }, 'an older vigild sends no term');
  const stale = judgeOrder({ from: 'n1', dcTerm: 4, dc: 'n2', term: 5 });
  assert.ok(!stale.ok && !stale.retry && /stale request: n1 sent it in term 4, this node is in term 5/.test(stale.reason));
  const staleSameDc = judgeOrder({ from: 'n1', dcTerm: 4, dc: 'n1', term: 5 });
  assert.ok(!staleSameDc.ok && !staleSameDc.retry, 'a request of an earlier term of the same DC is stale too');
  const other = judgeOrder({ from: 'n3', dcTerm: 5, dc: 'n1', term: 5 });
  assert.ok(!other.ok && !other.retry && /n3 is not this node's DC \(DC: n1/.test(other.reason));
  const noTerm = judgeOrder({ from: 'n3', dcTerm: undefined, dc: 'n1', term: 5 });
  assert.ok(!noTerm.ok && !noTerm.retry);
  const ahead = judgeOrder({ from: 'n2', dcTerm: 6, dc: 'n1', term: 5 });
  assert.ok(!ahead.ok && ahead.retry && /not this node's DC yet.*retry/.test(ahead.reason));
  const unknown = judgeOrder({ from: 'n2', dcTerm: 5, dc: null, term: 5 });
  assert.ok(!unknown.ok && unknown.retry, 'voted in the term, winner not heard yet');
});

test('vigild refuses execute requests that are not from its DC in its term, and runs the DC\'s', { timeout: 90_000 }, async () => {
  const nodes = ['n1', 'n2', 'n3'];
  const c = loopbackCluster(nodes, `  fencing: { enabled: false }
resources:
  - primitive: canary
    agent: builtin:dummy
    meta: { target-role: Stopped }
`);
  try {
    const s = await until('a DC, all three online', async () => {
      const st = await c.status('n1');
      return st.dc && st.quorate && st.nodes.every((x) => x.state === 'online') ? st : undefined;
    });
    const dc = s.dc!;
    const target = nodes.find((n) => n !== dc)!;
    const bystander = nodes.find((n) => n !== dc && n !== target)!;
    const term = (await c.status(target)).term;
    const keys = loadAuthkeyFile(c.authkey, { format: 'vigil' }).keys;
    const as = (who: string) => new PeerChannel(who, c.clusterName, keys, [{ node: target, addresses: [c.address(target)], port: c.port }], pino({ level: 'silent' }));
    const req = (action: 'start' | 'monitor'): ExecuteRequest => ({
      node: target, resource: 'canary', primitive: 'canary', agent: { class: 'builtin', type: 'dummy' }, action, params: {}, meta: {},
      timeoutMs: 5_000, intervalMs: 0, userData: `${action}:999:${action === 'start' ? 0 : 7}:test`, targetRc: action === 'start' ? 0 : 7, cancelRecurring: false,
    });
    const canaryRuns = () => existsSync(join(c.runDir(target), 'agents', 'dummy-canary.state'));
    const refused = async (who: string, dcTerm: number | undefined, pattern: RegExp): Promise<void> => {
      const ch = as(who);
      await assert.rejects(ch.call(target, 'execute', { ...req('start'), ...(dcTerm === undefined ? {} : { dcTerm }) }, 10_000),
        (e: PeerError) => e.remoteCode === 'unavailable' && pattern.test(e.message), `${who} in term ${dcTerm}`);
      assert.equal(canaryRuns(), false, `a refused start of ${who} in term ${dcTerm} did not run`);
    };
    await refused(bystander, term, new RegExp(`${bystander} is not this node's DC \\(DC: ${dc}`));
    await refused(bystander, undefined, new RegExp(`${bystander} is not this node's DC`));
    await refused(dc, term - 1, new RegExp(`stale request: ${dc} sent it in term ${term - 1}, this node is in term ${term}`));
    await refused(bystander, term + 1, /not this node's DC yet .*retry/);
    await refused(dc, term + 1, /not this node's DC yet .*retry/);
    assert.match(c.log(target), /execute request refused/);
    // The DC's own request, in its term, runs (a probe: the canary is stopped, rc 7).
    const r = await as(dc).call<{ rc: number; resource: string }>(target, 'execute', { ...req('monitor'), dcTerm: term }, 10_000);
    assert.equal(r.resource, 'canary');
    assert.equal(r.rc, 7);
  } finally {
    await c.close();
  }
});
