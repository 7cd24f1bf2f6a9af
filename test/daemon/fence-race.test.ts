/**
 * The two-node fence race end to end: two real vigild processes on loopback (test/daemon/
 * loopback.ts), two_node with wait_for_all, a fence_vigil_lab device that "powers off" a node by
 * killing its recorded processes. db runs on n2; n2 is killed with SIGKILL. n1 has no quorum
 * alone: its node controller fences n2 through the device (the same code as the DC's fencing),
 * the engine holds n2's vote, n1 becomes DC, records n2 fenced without fencing it again, and
 * starts db. No operator, no restart of n2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProcStat } from '../../src/executor/process.js';
import { childrenOf, loopbackCluster, twoNodeLabFencing, until } from './loopback.js';

test('two_node: the survivor of a peer killed with SIGKILL fences it itself (fence race), becomes DC and recovers its resources', { timeout: 120_000 }, async () => {
  const c = loopbackCluster(['n1', 'n2'], (dir) => twoNodeLabFencing(dir, '    delay: { n1: 1s }\n'));
  /** What the lab's power switch kills for a host: its vigild and the supervisor vigild started. */
  const record = (n: string): void => {
    mkdirSync(join(c.dir, 'pids', n), { recursive: true });
    for (const p of [c.pid(n), ...childrenOf(c.pid(n))]) writeFileSync(join(c.dir, 'pids', n, `${p}.pid`), `${p} ${readProcStat(p)?.startTime ?? ''}\n`);
  };
  try {
    await until('db started on n2, both online', async () => {
      const s = await c.status('n1');
      return s.dc && s.quorate && s.nodes.every((x) => x.state === 'online') && s.resources.find((r) => r.id === 'db')?.running[0]?.node === 'n2' ? true : undefined;
    });
    c.noteSupervisors();
    record('n1');
    record('n2');
    const killedAt = Date.now();
    c.kill9('n2');
    const after = await until('db recovered on n1', async () => {
      const s = await c.status('n1');
      return s.dc === 'n1' && s.quorate && s.resources.find((r) => r.id === 'db')?.running.map((r) => r.node).join() === 'n1' ? s : undefined;
    }, 60_000);
    const took = Date.now() - killedAt;
    assert.equal(after.nodes.find((x) => x.name === 'n2')?.state, 'offline', 'recorded fenced, not unclean');
    const log = c.log('n1');
    assert.match(log, /n2 is gone and this node has no quorum \(two-node\): fencing n2/);
    assert.match(log, /n2 fenced \(two-node fence race\): this node holds its vote and takes over/);
    assert.match(log, /n2 fenced by this node \(two-node fence race\): its resources can be recovered/);
    const fencings = log.split('\n').filter((l) => l.includes('"msg":"fencing"'));
    assert.equal(fencings.length, 1, `one fence of n2 (the race), not a second one by the DC:\n${fencings.join('\n')}`);
    assert.doesNotMatch(log, /no quorum: stop db/);
    process.stdout.write(`# two-node fence race: db running on n1 ${took} ms after kill -9 of n2\n`);
  } finally {
    await c.close();
  }
});
