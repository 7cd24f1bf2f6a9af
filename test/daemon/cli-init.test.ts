import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClusterConfig } from '../../src/config/index.js';

const VIGIL = new URL('../../../bin/vigil', import.meta.url).pathname;
const vigil = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [VIGIL, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

test('vigil init: a valid vigil.yaml and a 0600 authkey; never overwrites', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-init-'));
  try {
    const r = vigil(['init', '--name', 'web', '--node', 'alpha=192.0.2.11', '--node', 'beta=192.0.2.12', '--node', 'gamma=192.0.2.13', '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(dir, 'authkey')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, 'authkey')).length, 32);
    const loaded = await loadClusterConfig(join(dir, 'vigil.yaml'));
    assert.deepEqual(loaded.settings.nodes.map((n) => n.name), ['alpha', 'beta', 'gamma']);
    assert.equal(loaded.settings.transport.authkeyFile, join(dir, 'authkey'));
    const before = readFileSync(join(dir, 'authkey'));
    const again = vigil(['init', '--dir', dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; not overwritten/);
    assert.deepEqual(readFileSync(join(dir, 'authkey')), before, 'the key was not replaced');
    const bad = vigil(['init', '--node', 'no-address', '--dir', join(dir, 'x')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /NAME=ADDRESS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vigil status / node / resource without a daemon: a clear message, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nodaemon-'));
  try {
    for (const args of [['status'], ['node', 'standby', 'n1'], ['resource', 'move', 'vip', 'n2'], ['config', 'show'], ['stop']]) {
      const r = vigil([...args, '--runtime-dir', dir]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /vigild is not running/);
    }
    const r = vigil(['start', '--config', join(dir, 'missing.yaml'), '--node', 'n1', '--foreground']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
