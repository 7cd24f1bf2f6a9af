/**
 * `vigil fence confirm NODE` end to end: three real vigild processes on loopback addresses
 * (127.A.B.10-12, a random port; started and killed by PID), fencing enabled with no device for n3
 * (where db runs) and no watchdog-timeout, so when n3 is lost only the operator can fence it. The
 * requests go to a node that is not DC, which forwards them to the DC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, loopbackCluster, sleep, until } from './loopback.js';

const NODES = ['n1', 'n2', 'n3'];

test('vigil fence confirm: refused for an unknown node and a live member (exit 2); a lost node with no fence device is recovered once confirmed', { timeout: 120_000 }, async () => {
  const c = loopbackCluster(NODES, `  fencing:
    enabled: true
    # A device for n1 and n2 only (with no device at all nothing would start, as in Pacemaker).
    devices:
      - { device: fence-n1-n2, agent: fence_none_here, hosts: [n1, n2] }
resources:
  - primitive: db
    agent: builtin:dummy
    ops: [ { name: monitor, interval: 2s } ]
constraints:
  - { location: db, node: n3, score: 100 }
`);
  const { runDir, status } = c;
  try {
    // Settled: a DC, all three online, db started somewhere.
    const home = await until('db started on a node', async () => {
      const s = await status('n1');
      if (!s.dc || !s.quorate || s.nodes.some((x) => x.state !== 'online')) return undefined;
      return s.resources.find((r) => r.id === 'db')?.running[0]?.node;
    });
    c.noteSupervisors();
    const dc = (await status('n1')).dc!;
    const asker = NODES.find((n) => n !== dc && n !== home) ?? NODES.find((n) => n !== dc)!;
    const via = ['--runtime-dir', runDir(asker)];

    // Refusals, through a node that is not DC (forwarded; the DC's input error stays one).
    const unknown = cli(['fence', 'confirm', 'n9', ...via]);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /no node "n9" \(nodes: n1, n2, n3\)/);
    const live = cli(['fence', 'confirm', home, ...via]);
    assert.equal(live.status, 2, live.stderr);
    assert.match(live.stderr, new RegExp(`${home} is (the DC|a member of the cluster) and up: .*split brain`));
    assert.deepEqual((await status(asker)).resources.find((r) => r.id === 'db')?.running.map((r) => r.node), [home], 'nothing changed');

    // The node running db dies. Nothing can fence it: db waits.
    const victim = home;
    c.kill9(victim);
    const survivor = NODES.find((n) => n !== victim)!;
    const unclean = await until(`${victim} shown unclean`, async () => {
      const s = await status(survivor);
      return s.dc && s.dc !== victim && s.quorate && s.nodes.find((x) => x.name === victim)?.state === 'unclean' ? s : undefined;
    });
    await sleep(3_000);
    const waiting = await status(survivor);
    assert.ok(!waiting.resources.find((r) => r.id === 'db')?.running.some((r) => r.node !== victim), 'db not started elsewhere before the confirmation');
    assert.equal(waiting.nodes.find((x) => x.name === victim)?.state, 'unclean');
    const newDc = unclean.dc!;
    const asker2 = NODES.find((n) => n !== victim && n !== newDc)!;

    const ok = cli(['fence', 'confirm', victim, '--runtime-dir', runDir(asker2)]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`^${victim}: fencing confirmed by operator; its resources are recovered elsewhere`));
    const after = await until('db recovered on a survivor', async () => {
      const s = await status(asker2);
      const on = s.resources.find((r) => r.id === 'db')?.running.map((r) => r.node) ?? [];
      return on.length === 1 && on[0] !== victim ? s : undefined;
    });
    assert.equal(after.nodes.find((x) => x.name === victim)?.state, 'offline', 'fenced: no longer unclean');
    assert.ok(after.nodes.find((x) => x.name === victim)?.downSince, 'down since the confirmation');
    assert.equal(after.nodes.find((x) => x.name === victim)?.lastFence?.how, 'confirmed by operator');
    const shown = cli(['status', '--runtime-dir', runDir(asker2)]);
    assert.match(shown.stdout, new RegExp(`${victim} +offline .*last fenced \\S+: confirmed by operator`));
    assert.match(c.log(newDc), new RegExp(`${victim} confirmed by operator: its resources can be recovered`));
    // The DC of a survivor is a member and up: refused.
    const self = cli(['fence', 'confirm', newDc, '--runtime-dir', runDir(asker2)]);
    assert.equal(self.status, 2);
    assert.match(self.stderr, new RegExp(`${newDc} is the DC and up`));
  } finally {
    await c.close();
  }
});

test('vigil fence confirm in two_node mode: the survivor, without quorum and so without a DC, holds the peer\'s vote, becomes DC and recovers', { timeout: 120_000 }, async () => {
  const c = loopbackCluster(['n1', 'n2'], `  quorum: { two_node: true }
  fencing:
    enabled: true
    devices:
      - { device: fence-n1, agent: fence_none_here, hosts: [n1] }
resources:
  - primitive: db
    agent: builtin:dummy
    ops: [ { name: monitor, interval: 2s } ]
constraints:
  - { location: db, node: n2, score: 100 }
`);
  try {
    await until('db started on n2', async () => {
      const s = await c.status('n1');
      return s.dc && s.quorate && s.resources.find((r) => r.id === 'db')?.running[0]?.node === 'n2' ? true : undefined;
    });
    c.noteSupervisors();
    c.kill9('n2');
    await until('n1 alone without quorum', async () => {
      const s = await c.status('n1');
      return !s.quorate && s.dc === null && s.nodes.find((x) => x.name === 'n2')?.state !== 'online' ? true : undefined;
    });
    const ok = cli(['fence', 'confirm', 'n2', '--runtime-dir', c.runDir('n1')]);
    assert.equal(ok.status, 0, ok.stderr);
    const after = await until('db recovered on n1', async () => {
      const s = await c.status('n1');
      return s.resources.find((r) => r.id === 'db')?.running.map((r) => r.node).join() === 'n1' ? s : undefined;
    });
    assert.equal(after.dc, 'n1');
    assert.ok(after.quorate);
    assert.match(c.log('n1'), /two-node: fencing confirmed by operator; holding its vote/);
  } finally {
    await c.close();
  }
});
