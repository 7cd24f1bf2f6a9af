import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createLab, namespacesWithPrefix, netnsAvailable, uniquePrefix, withLab } from './netns.js';
import { processAlive } from '../../src/executor/process.js';
import { FenceRunner } from '../../src/fencing/index.js';

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

test('lab processes: spawn records them, crash kills them and takes the links down, revive drops the VIP, fence_vigil_lab fences them', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  await withLab({ hosts: ['a', 'b'] }, async (lab) => {
    const server = await lab.spawn('a', 'web', [process.execPath, '-e', `require('node:http').createServer((q, s) => s.end('a')).listen(8080, '${lab.address('a')}')`]);
    const helper = await lab.spawn('a', 'helper', ['sleep', '300']);
    const other = await lab.spawn('b', 'helper', ['sleep', '300']);
    await lab.exec('a', ['ip', 'addr', 'add', `${lab.spareAddress(0)}/24`, 'dev', 'eth0']);
    // b fetches from a over the bridge.
    let body = '';
    for (let i = 0; i < 100 && body !== 'a'; i++) {
      const r = await lab.exec('b', [process.execPath, '-e', `require('node:http').get('http://${lab.address('a')}:8080/', (r) => r.on('data', (d) => process.stdout.write(d))).on('error', () => {})`], { allowFailure: true });
      body = r.stdout;
      if (body !== 'a') await new Promise((r2) => setTimeout(r2, 50));
    }
    assert.equal(body, 'a');

    await lab.crash('a');
    assert.equal(processAlive(server.pid!), false);
    assert.equal(processAlive(helper.pid!), false);
    assert.equal(processAlive(other.pid!), true, 'b is untouched');
    assert.match((await lab.exec('a', ['ip', '-o', 'link', 'show', 'eth0'])).stdout, /state DOWN/);
    assert.match((await lab.exec('a', ['ip', '-o', 'addr', 'show'])).stdout, new RegExp(lab.spareAddress(0).replace(/\./g, '\\.')), 'a crash leaves the VIP configured');

    await lab.revive('a');
    const addrs = (await lab.exec('a', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout;
    assert.doesNotMatch(addrs, new RegExp(lab.spareAddress(0).replace(/\./g, '\\.')));
    assert.match(addrs, new RegExp(lab.address('a').replace(/\./g, '\\.')));

    // The same hosts through the fence agent, configured with the lab's parameters.
    const runner = new FenceRunner({ defaultTimeoutMs: 30_000 });
    const off = await runner.fenceOff({ agent: `${process.cwd()}/bin/fence_vigil_lab`, target: 'b', params: lab.fenceParams() });
    assert.equal(off.ok, true, off.error);
    assert.equal(processAlive(other.pid!), false);
  });
});

test('destroy removes the pid directory', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const lab = await createLab({ hosts: ['a'] });
  assert.equal(existsSync(lab.pidDir), true);
  await lab.destroy();
  assert.equal(existsSync(lab.pidDir), false);
});
