/**
 * Engines in network namespaces (test/lab/netns.ts): three hosts on 192.0.2.0/24, one engine
 * each. One host is cut off with nft rules inside its own namespace: the minority loses quorum
 * and never holds a DC lease; the majority keeps or elects a DC and commits; after the rules are
 * removed the node rejoins and catches up without deposing the DC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, netnsAvailable } from '../lab/netns.js';
import { EngineCluster, proposeViaDc } from './cluster.js';

const available = netnsAvailable();
const WAIT = 30_000;

test('netns: a node cut off by nft loses quorum and never acts as DC; the majority keeps a DC; healing rejoins it', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const hosts = ['a', 'b', 'c'];
  const lab = await createLab({ hosts, links: 1 });
  const byNode = (n: string): string => hosts[Number(n.slice(1)) - 1];
  let c: EngineCluster | undefined;
  try {
    c = new EngineCluster({ nodes: 3, addresses: hosts.map((h) => lab.address(h)), port: 694, launcher: (n) => lab.prefixFor(byNode(n)) });
    const cl = c;
    cl.startAll();
    const dc1 = await cl.waitFor(() => cl.stableDc(), WAIT, 'a DC in the lab');
    const expected: unknown[] = [{ kind: 'node-attribute', node: 'n1', name: 'before', value: '1' }];
    await proposeViaDc(cl, expected[0] as Record<string, unknown>);

    // Cut off the DC itself: the harder case (it must give up its lease, the others must elect).
    const cut = dc1;
    const rules = join(cl.dir, 'partition.nft');
    writeFileSync(rules, 'table inet vigil_partition {\n' +
      '  chain in { type filter hook input priority 0; policy accept; udp dport 694 drop; }\n' +
      '  chain out { type filter hook output priority 0; policy accept; udp dport 694 drop; }\n}\n');
    await lab.exec(byNode(cut), ['nft', '-f', rules]);
    const cutAt = Math.max(...cl.live().map((p) => p.events.at(-1)?.t ?? 0));
    const minority = cl.proc(cut);
    const majority = cl.live().filter((p) => p.name !== cut);

    const dc2 = await cl.waitFor(() => cl.stableDc(majority), WAIT, 'a DC in the majority');
    assert.notEqual(dc2, cut);
    await cl.waitFor(() => !minority.quorate && !minority.leaseValid && minority.role !== 'leader', WAIT, 'the cut-off node to lose quorum and step down');
    const more = { kind: 'node-attribute', node: 'n2', name: 'during', value: '2' };
    expected.push(more);
    await proposeViaDc(cl, more, majority);
    const r = await minority.command({ cmd: 'propose', update: { kind: 'node-attribute', node: 'n3', name: 'lost', value: 'x' } });
    assert.equal(r.ok, false, 'the minority refuses proposals');

    // The minority's lease events after the cut: it may still report the last lease it held
    // (at most leaseMs), but it never gains one while cut off.
    const healAt = Math.max(...cl.live().map((p) => p.events.at(-1)?.t ?? 0));
    await lab.exec(byNode(cut), ['nft', 'delete', 'table', 'inet', 'vigil_partition']);
    assert.ok(minority.events.every((e) => !(e.ev === 'lease' && e.valid === true && e.t > cutAt && e.t < healAt)), 'no lease gained while cut off');

    await cl.waitFor(() => minority.dc === dc2 && minority.quorate && minority.cibUpdates().length >= expected.length, WAIT, 'the healed node to follow the DC and catch up');
    for (const p of cl.live()) assert.deepEqual(p.cibUpdates(), expected, `${p.name} applied the committed sequence`);
    // The healed node kept its old term while cut off (pre-vote) and did not stand for election.
    assert.ok(minority.events.every((e) => !(e.ev === 'role' && e.role === 'candidate' && e.t > cutAt)), 'the healed node never stood for election');
    assert.ok(!minority.cibUpdates().some((u) => (u as { name?: string }).name === 'lost'));
  } finally {
    await c?.destroy();
    await lab.destroy();
  }
});
