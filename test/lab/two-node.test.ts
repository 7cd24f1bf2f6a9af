/**
 * A two-node cluster in the lab (two_node with wait_for_all, the fence_vigil_lab device): kill -9
 * of the node holding the virtual IP. The survivor has no quorum alone, so no DC: its node
 * controller fences the dead node itself (the two-node fence race), holds its vote, becomes DC
 * and serves the address — with no operator, and never two holders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLabCluster, failoverGap, logTail, monotonicMs } from './cluster.js';
import { netnsAvailable } from './netns.js';

const available = netnsAvailable();

test('two nodes: kill -9 of the VIP holder; the survivor fences it (fence race) and serves the VIP, never two holders', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const c = await createLabCluster({ hosts: ['n1', 'n2'], clusterExtra: '  quorum: { two_node: true, wait_for_all: true }\n' });
  try {
    await c.startAll();
    const holder = await c.waitForHolder();
    const survivor = c.hosts.find((h) => h !== holder)!;
    const prober = await c.startProber(20);
    await c.waitFor('the client to be served', async () => prober.probes.some((p) => p.ok && p.host === holder));
    const t0 = monotonicMs();
    await c.crash(holder);
    await c.waitForHolder({ among: [survivor], timeoutMs: 30_000 });
    await c.waitFor('the client to be served by the survivor', async () => prober.since(t0).some((p) => p.ok && p.host === survivor));
    const gap = failoverGap(prober.probes, holder, t0);
    t.diagnostic(`service gap ${Math.round(gap.gapMs)} ms (${holder} → ${survivor}, fenced by ${survivor})`);
    const s = await c.waitFor('the status to show the failover', async () => {
      const st = await c.status(survivor);
      return st.dc === survivor && st.quorate && st.nodes.find((n) => n.name === holder)?.state === 'offline'
        && st.resources.find((r) => r.id === 'vip')?.running.map((x) => x.node).join() === survivor ? st : undefined;
    }, 10_000);
    assert.ok(s);
    const log = readFileSync(join(c.hostDir(survivor), 'vigild.log'), 'utf8');
    assert.match(log, new RegExp(`${holder} fenced \\(two-node fence race\\): this node holds its vote and takes over`));
    assert.equal(log.split('\n').filter((l) => l.includes('"msg":"fencing"')).length, 1, 'fenced once (the race), not again by the DC');
    await prober.stop();
    await c.observer.stop();
    assert.deepEqual(c.observer.overlaps, [], `two hosts held ${c.vip} at once`);
    assert.ok(c.observer.rounds > 10);
  } catch (e) {
    for (const h of c.hosts) process.stderr.write(`--- ${h} vigild log (tail)\n${logTail(c, h, 30)}\n`);
    throw e;
  } finally {
    await c.destroy();
  }
});
