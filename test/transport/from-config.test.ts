// The path the daemon takes: vigil.yaml -> engine settings -> authkey file -> Endpoint options,
// then two endpoints on 127.0.x.y that find each other over both configured links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVigilYaml } from '../../src/config/index.js';
import { Endpoint, endpointOptionsFromSettings, loadAuthkeyFile } from '../../src/transport/index.js';

test('vigil.yaml with two unicast links and AES-256-GCM: endpoints built from it see each other on both links', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
  const port = 30000 + Math.floor(Math.random() * 10000);
  const key = join(dir, 'authkey');
  writeFileSync(key, 'from-config-test-secret-0123456789\n');
  chmodSync(key, 0o600);
  const yaml = `
cluster:
  name: cfgtest
  nodes:
    - { name: alpha, addresses: [127.0.4.10, 127.0.5.10] }
    - { name: beta, addresses: [127.0.4.11, 127.0.5.11] }
  links:
    - { transport: unicast, port: ${port} }
    - { transport: unicast, port: ${port + 1} }
  authkey: ${key}
  crypto: { cipher: aes-256-gcm }
  timing: { keepalive: 100ms, warntime: 1s, deadtime: 2s, initdead: 4s }
`;
  const { settings } = loadVigilYaml(yaml, 'vigil.yaml');
  const keys = loadAuthkeyFile(settings.transport.authkeyFile).keys;
  const eps = ['alpha', 'beta'].map((n) => new Endpoint(endpointOptionsFromSettings(settings, n, keys)));
  try {
    const opts = endpointOptionsFromSettings(settings, 'alpha', keys);
    assert.equal(opts.encrypt, true);
    assert.deepEqual(opts.timings, { keepaliveMs: 100, warntimeMs: 1000, deadtimeMs: 2000, initdeadMs: 4000 });
    assert.deepEqual(opts.links.map((l) => l.kind === 'ucast' && [l.bind, l.port, l.peers.map((p) => [p.node, p.address])]), [
      ['127.0.4.10', port, [['beta', '127.0.4.11']]],
      ['127.0.5.10', port + 1, [['beta', '127.0.5.11']]],
    ]);
    for (const e of eps) await e.start();
    const until = Date.now() + 10_000;
    const bothUp = () => eps.every((e) => Object.values(e.membership.peers).every((p) => Object.values(p.links).every((l) => l.status === 'alive')));
    while (!bothUp() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(bothUp(), JSON.stringify(eps.map((e) => e.membership.peers)));
    const got: string[] = [];
    eps[1].on('message', (m) => got.push(`${m.from}:${m.body.toString()}:${m.unicast}`));
    eps[0].send('beta', Buffer.from('hello'));
    while (got.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got, ['alpha:hello:true']);
    // Both ends derived the same keys from the file: nothing failed authentication.
    assert.equal(eps[0].counters.dropped['bad-auth'] + eps[1].counters.dropped['bad-auth'], 0);
  } finally {
    await Promise.all(eps.map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});
