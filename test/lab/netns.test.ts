import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, namespacesWithPrefix, netnsAvailable, uniquePrefix, withLab } from './netns.js';

const available = netnsAvailable();

test('lab helper: hosts on two links reach each other, a link can go down, destroy leaves nothing', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const lab = await createLab({ hosts: ['a', 'b'], links: 2 });
  try {
    assert.match(lab.prefix, /^vg[0-9a-f]{6}$/);
    assert.deepEqual(namespacesWithPrefix(lab.prefix).sort(), [`${lab.prefix}-a`, `${lab.prefix}-b`, `${lab.prefix}-br`]);
    assert.deepEqual(lab.host('b').addresses, ['192.0.2.11', '198.51.100.11']);
    assert.equal(lab.spareAddress(0, 1), '198.51.100.200');
    const routes = (await lab.exec('a', ['ip', 'route', 'show'])).stdout;
    assert.doesNotMatch(routes, /default/, 'no default route');
    for (const link of [0, 1]) {
      const r = await lab.exec('a', ['arping', '-c', '1', '-w', '3', '-I', `eth${link}`, lab.address('b', link)]);
      assert.match(r.stdout, /Received 1 response/);
    }
    await lab.setLink('b', 1, false);
    const down = await lab.exec('a', ['arping', '-c', '1', '-w', '1', '-I', 'eth1', lab.address('b', 1)], { allowFailure: true });
    assert.notEqual(down.code, 0, 'link 1 of b is down');
    const still = await lab.exec('a', ['arping', '-c', '1', '-w', '3', '-I', 'eth0', lab.address('b', 0)]);
    assert.match(still.stdout, /Received 1 response/, 'link 0 still works');
    await assert.rejects(lab.exec('a', ['false']), /failed/);
    assert.throws(() => lab.host('zz'), /no lab host/);
  } finally {
    await lab.destroy();
    await lab.destroy();
  }
  assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
});

test('withLab cleans up when the body throws, and kills what still runs inside', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const prefix = uniquePrefix();
  await assert.rejects(withLab({ hosts: ['x'], prefix }, async (lab) => {
    const { spawn } = await import('node:child_process');
    spawn('ip', ['netns', 'exec', lab.host('x').ns, 'sleep', '300'], { stdio: 'ignore', detached: true }).unref();
    await new Promise((r) => setTimeout(r, 100));
    throw new Error('boom');
  }), /boom/);
  assert.deepEqual(namespacesWithPrefix(prefix), []);
  await assert.rejects(createLab({ hosts: ['bad-name'] }), /letters and digits/);
});
