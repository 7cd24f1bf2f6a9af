/** `npm run demo -- --once`: the failover scenario runs, succeeds, and leaves nothing behind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readdirSync } from 'node:fs';
import { ROOT } from './cluster.js';
import { namespacesWithPrefix, netnsAvailable } from './netns.js';

const available = netnsAvailable();

test('demo --once: a failover with no double holder, and everything it created is removed', async (t) => {
  if (!available.ok) { t.skip(available.reason); return; }
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs'), '--once'], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `demo failed:\n${r.stdout}\n${r.stderr}`);
  const last = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as { from?: string; to?: string; overlaps?: number; prefix?: string; gapMs?: number };
  assert.ok(last.from && last.to && last.from !== last.to, `failed over: ${JSON.stringify(last)}`);
  assert.equal(last.overlaps, 0);
  assert.match(r.stdout, /FAILOVER: /);
  assert.match(r.stdout, /Resources:/);
  const prefix = last.prefix!;
  assert.deepEqual(namespacesWithPrefix(prefix), [], 'no namespace left');
  assert.deepEqual(readdirSync(tmpdir()).filter((f) => f.startsWith(`${prefix}-`)), [], 'no files left');
  const pids = spawnSync('pgrep', ['-f', prefix], { encoding: 'utf8' }).stdout.trim();
  assert.equal(pids, '', 'no process of the demo left');
  assert.ok(existsSync(join(ROOT, 'scripts/demo.mjs')));
});
