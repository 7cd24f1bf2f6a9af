import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;
const vigil = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/vigil'), ...args], { encoding: 'utf8' });

test('vigil sim --whole prints the recovery distribution per scenario and exits 0 when every invariant holds', () => {
  const r = vigil(['sim', '--whole', '--seed', '3', '--count', '4', '--call-ids-continue']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /seeds run: +4 \(3\.\.6\)/);
  assert.match(r.stdout, /recovery per scenario/);
  assert.match(r.stdout, /^ {2}[a-z-]+ +\d+ +\d+\.\d s +\d+\.\d s +\d+\.\d s +\|/m);
  assert.match(r.stdout, /RESULT: all invariants held/);
});

test('vigil sim --whole with the planted bug exits 1, prints the timeline with reasons, and the replay command repeats it', () => {
  const args = ['sim', '--whole', '--shape', 'three-watchdog', '--scenario', 'pause', '--planted-bug', 'skip-watchdog-wait', '--call-ids-continue', '--timeline-lines', '60'];
  const r = vigil([...args, '--seed', '1', '--count', '8']);
  assert.equal(r.status, 1, r.stderr);
  const m = /seed (\d+) \(three-watchdog, pause\) violated dual-active at ([\d.]+) s: (.*)/.exec(r.stdout);
  assert.ok(m, r.stdout.slice(0, 2000));
  assert.match(r.stdout, new RegExp(`replay: vigil sim --whole --seed ${m[1]} --count 1 --shape three-watchdog --scenario pause --planted-bug skip-watchdog-wait --call-ids-continue`));
  assert.match(r.stdout, /VIOLATION dual-active/);
  const again = vigil([...args, '--seed', m[1], '--count', '1']);
  assert.equal(again.status, 1);
  assert.ok(again.stdout.includes(m[0]), 'the same violation at the same virtual time');
});

test('vigil sim --whole refuses an unknown shape with exit 2', () => {
  const r = vigil(['sim', '--whole', '--shape', 'seven-node', '--count', '1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /two-node, two-node-witness/);
});
