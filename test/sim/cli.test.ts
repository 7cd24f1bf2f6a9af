import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;
const vigil = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/vigil'), ...args], { encoding: 'utf8' });

test('vigil sim prints a summary and exits 0 when every invariant holds', () => {
  const r = vigil(['sim', '--seed', '10', '--count', '50', '--nodes', '3']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /seeds run: +50 \(10\.\.59\), 3 nodes/);
  assert.match(r.stdout, /faults injected: +\d+ \(/);
  assert.match(r.stdout, /DC failovers: .*median \d+ ms/);
  assert.match(r.stdout, /RESULT: all invariants held/);
});

test('vigil sim exits 1 on a violation and prints the seed, a replay command and the timeline', () => {
  const r = vigil(['sim', '--seed', '1', '--count', '500', '--planted-bug', 'double-vote', '--timeline-lines', '50']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /RESULT: VIOLATION in seed (\d+)/);
  const seed = /VIOLATION in seed (\d+)/.exec(r.stdout)?.[1];
  assert.match(r.stdout, new RegExp(`replay: vigil sim --seed ${seed} --count 1 --nodes 3 --planted-bug double-vote`));
  assert.match(r.stdout, /\d+\.\d{6}s +- +VIOLATION election-safety: two leaders in term/);
  // Replaying that one seed prints the same violation.
  const again = vigil(['sim', '--seed', String(seed), '--count', '1', '--planted-bug', 'double-vote', '--timeline-lines', '50']);
  assert.equal(again.status, 1);
  assert.equal(again.stdout.split('\n').filter((l) => /VIOLATION/.test(l)).at(-1), r.stdout.split('\n').filter((l) => /VIOLATION/.test(l)).at(-1));
});

test('vigil sim rejects bad options with exit 2', () => {
  assert.equal(vigil(['sim', '--count', 'lots']).status, 2);
  const r = vigil(['sim', '--planted-bug', 'nonsense']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--planted-bug: unknown planted bug 'nonsense' \(expected double-vote or no-lease-wait\)/);
});
