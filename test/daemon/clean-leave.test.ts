/**
 * A clean leave in a two-node cluster, end to end: two real vigild processes on loopback
 * (test/daemon/loopback.ts), two_node with wait_for_all, fencing with the lab device. `vigil stop`
 * on the node running db: db moves to the survivor, which holds the leaver's vote and stays
 * quorate (it neither fences the leaver nor applies no-quorum-policy). The leaver starts again: its
 * messages release the vote, it rejoins, and db never runs on both nodes. Then the other kind of
 * leaver (the DC if the first was not, else the non-DC) leaves the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonStatus } from '../../src/api/index.js';
import { cli, loopbackCluster, sleep, twoNodeLabFencing, until } from './loopback.js';

const NODES = ['n1', 'n2'];

test('two_node: the survivor of a clean leave (vigil stop) stays quorate and runs the service; the leaver rejoins and nothing runs twice', { timeout: 180_000 }, async () => {
  const c = loopbackCluster(NODES, (dir) => twoNodeLabFencing(dir));
  /** Where db's state file exists: the dummy agent's own record of running. */
  const runningOn = (): string[] => NODES.filter((n) => existsSync(join(c.runDir(n), 'agents', 'dummy-db.state')));
  const twice: string[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      if (runningOn().length > 1) twice.push(`${new Date().toISOString()} ${runningOn().join(',')}`);
      await sleep(20);
    }
  })();
  const settled = (what: string, on: string, ms = 60_000): Promise<DaemonStatus> => until(what, async () => {
    const s = await c.status(on);
    const db = s.resources.find((r) => r.id === 'db')?.running.map((r) => r.node) ?? [];
    return s.dc && s.quorate && s.nodes.every((x) => x.state === 'online') && db.length === 1 ? s : undefined;
  }, ms);

  /** `vigil stop` on `leaver`; the survivor must stay quorate (or become so at once) and run db. */
  const leave = async (leaver: string): Promise<void> => {
    const survivor = NODES.find((n) => n !== leaver)!;
    const logFrom = c.log(survivor).length;
    const wasDc = (await c.status(survivor)).dc === leaver;
    const t0 = Date.now();
    const r = cli(['stop', '--runtime-dir', c.runDir(leaver)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`vigild on ${leaver} stopped`));
    assert.doesNotMatch(r.stdout, /NOT cleanly/);
    await until(`${leaver}'s vigild exited`, async () => (c.exited(leaver) ? true : undefined), 20_000);
    const after = await until(`db on ${survivor}, ${survivor} DC and quorate`, async () => {
      const s = await c.status(survivor);
      return s.dc === survivor && s.quorate && s.resources.find((x) => x.id === 'db')?.running.map((x) => x.node).join() === survivor ? s : undefined;
    }, 30_000);
    const took = Date.now() - t0;
    assert.equal(after.nodes.find((x) => x.name === leaver)?.state, 'offline', 'left: offline, not unclean');
    // Well past deadtime and the node controller's no-quorum deadline: still quorate, db still here.
    const quorate: boolean[] = [];
    const end = Date.now() + 4_000;
    while (Date.now() < end) {
      quorate.push((await c.status(survivor)).quorate);
      await sleep(100);
    }
    assert.ok(quorate.every(Boolean), `${survivor} lost quorum after the clean leave`);
    assert.deepEqual(runningOn(), [survivor]);
    const log = c.log(survivor).slice(logFrom);
    assert.match(log, new RegExp(`${leaver} left cleanly \\(two-node\\): this node holds its vote`));
    assert.doesNotMatch(log, /no contact with a quorate DC|no quorum: stop db/);
    assert.doesNotMatch(log, /"msg":"fencing"/, 'a clean leaver is not fenced');
    process.stdout.write(`# clean leave of ${leaver} (${wasDc ? 'the DC' : 'not the DC'}): ${survivor} DC with db ${took} ms after vigil stop began (its exit included)\n`);
  };

  const rejoin = async (leaver: string): Promise<void> => {
    const survivor = NODES.find((n) => n !== leaver)!;
    const logFrom = c.log(survivor).length;
    c.start(leaver);
    await settled(`${leaver} back, both online, db on one node`, survivor);
    await until(`${survivor} releases ${leaver}'s vote`, async () => (/the held vote of a peer is released: it is back/.test(c.log(survivor).slice(logFrom)) ? true : undefined), 10_000);
    await settled(`${leaver} back, both online, db on one node (vote released)`, survivor);
    await sleep(3_000);
    assert.equal(runningOn().length, 1, `db running on ${runningOn().join(',')}`);
  };

  try {
    const s0 = await settled('db started on n2, both online', 'n1');
    assert.equal(s0.resources.find((r) => r.id === 'db')?.running[0]?.node, 'n2');
    const firstDc = s0.dc!;
    await leave('n2');
    await rejoin('n2');
    // The other kind of leaver: the DC if n2 was not, else the node that is not DC.
    const dc = (await c.status('n1')).dc!;
    const second = firstDc === 'n2' ? NODES.find((n) => n !== dc)! : dc;
    // Make sure the second leaver runs db, so that db has to move.
    if (runningOn()[0] !== second) {
      assert.equal(cli(['resource', 'move', 'db', second, '--runtime-dir', c.runDir('n1')]).status, 0);
      await until(`db on ${second}`, async () => (runningOn().join() === second ? true : undefined), 30_000);
    }
    await leave(second);
    await rejoin(second);
    assert.deepEqual(twice, [], 'db never ran on both nodes');
  } finally {
    watching = false;
    await watcher;
    await c.close();
  }
});
