/**
 * `vigil engine` / `vigil witness` input errors: reported in one line, exit 2, nothing started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VIGIL } from './cluster.js';

function vigil(args: string[]): { code: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [VIGIL, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

test('vigil engine and witness refuse bad input with exit 2 and a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-cli-'));
  try {
    const key = join(dir, 'authkey');
    writeFileSync(key, 'a-secret-of-more-than-sixteen-bytes\n', { mode: 0o600 });
    const cfg = join(dir, 'vigil.yaml');
    writeFileSync(cfg, `cluster:\n  name: c\n  authkey: ${key}\n  links: [{ transport: unicast, port: 7999 }]\n  nodes:\n    - { name: n1, addresses: [127.0.0.1] }\n    - { name: n2, addresses: [127.0.0.2] }\n    - { name: n3, addresses: [127.0.0.3] }\n`);

    let r = vigil(['engine', '--config', cfg, '--node', 'nope', '--state-dir', join(dir, 's')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /node 'nope' is not in the configuration.*n1, n2, n3/s);
    assert.equal(r.stdout, '', 'no engine started');

    r = vigil(['witness', '--config', cfg, '--state-dir', join(dir, 's')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no witness/);

    r = vigil(['engine', '--config', cfg, '--node', 'n1', '--log-level', 'loud']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown log level 'loud'/);

    chmodSync(key, 0o644);
    r = vigil(['engine', '--config', cfg, '--node', 'n1', '--state-dir', join(dir, 's')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /chmod 600/);

    r = vigil(['engine', '--config', join(dir, 'missing.yaml'), '--node', 'n1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a host that fails to apply a committed entry crashes the process instead of running on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-throw-'));
  try {
    const fixture = new URL('./fixtures/throwing-host.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [fixture, join(dir, 'state')], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.status, 0);
    assert.equal(r.signal, null, 'it exited by itself (not killed by the timeout)');
    assert.match(r.stderr, /engine failed; exiting/);
    assert.match(r.stderr, /cannot apply entry 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
