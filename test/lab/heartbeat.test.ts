/**
 * vigild straight from Heartbeat v1 files (ha.cf, authkeys, haresources) on two lab hosts: the
 * classic takeover when the active node dies, and auto_failback when it returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLabCluster, logTail, type LabCluster } from './cluster.js';
import { netnsAvailable } from './netns.js';

const available = netnsAvailable();

async function run(autoFailback: boolean, fn: (c: LabCluster) => Promise<void>): Promise<void> {
  const c = await createLabCluster({
    hosts: ['n1', 'n2'],
    heartbeat: { autoFailback, haresources: ({ vip }) => `# the seeds' style: node, then resources\nn1 IPaddr::${vip}/24/eth0\n` },
  });
  try {
    await c.startAll();
    await fn(c);
    await c.observer.stop();
    assert.deepEqual(c.observer.overlaps, [], 'never two holders');
  } catch (e) {
    for (const h of c.hosts) process.stderr.write(`--- ${h}\n${logTail(c, h, 30)}\n`);
    throw e;
  } finally {
    await c.destroy();
  }
}

test('Heartbeat v1 files: takeover when the active node dies, failback when it returns (auto_failback on)', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await run(true, async (c) => {
    assert.equal(await c.waitForHolder({ timeoutMs: 40_000 }), 'n1', 'haresources names n1 as the preferred node');
    const s = await c.status('n1');
    assert.equal(s.configSource, 'heartbeat');
    assert.equal(s.fencing.enabled, false);
    await c.crash('n1');
    assert.equal(await c.waitForHolder({ among: ['n2'], timeoutMs: 30_000 }), 'n2');
    assert.ok((await c.status('n2')).warnings.some((w) => /split-brain/.test(w)), 'says plainly that it can split-brain');
    await c.revive('n1');
    await c.start('n1');
    assert.equal(await c.waitForHolder({ among: ['n1'], timeoutMs: 40_000 }), 'n1', 'auto_failback on: back to n1');
  });
});

test('Heartbeat v1 files with auto_failback off: the address stays where it went', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await run(false, async (c) => {
    assert.equal(await c.waitForHolder({ timeoutMs: 40_000 }), 'n1');
    await c.crash('n1');
    await c.waitForHolder({ among: ['n2'], timeoutMs: 30_000 });
    await c.revive('n1');
    await c.start('n1');
    await c.waitFor('n1 to rejoin', async () => (await c.status('n2')).nodes.find((n) => n.name === 'n1')?.state === 'online', 40_000);
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(await c.vipHolders(), ['n2'], 'auto_failback off: stays on n2');
  });
});
