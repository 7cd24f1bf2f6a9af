import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeeds } from '../../src/sim/run.js';
import { runSeed } from '../../src/sim/simulation.js';
import type { PlantedBug } from '../../src/coordination/types.js';

function catches(bug: PlantedBug, invariants: string[]): void {
  const s = runSeeds({ seed: 1, count: 1000, nodes: 3, plantedBug: bug });
  const f = s.failure;
  assert.ok(f, `the simulator did not catch ${bug} in 1000 seeds`);
  assert.ok(f.violation && invariants.includes(f.violation.invariant), `caught by ${f.violation?.invariant}`);
  // The failing seed replays identically, with its timeline.
  const again = runSeed({ seed: f.seed, nodes: 3, plantedBug: bug, record: true });
  assert.equal(again.ok, false);
  assert.deepEqual(again.violation, f.violation);
  assert.deepEqual(again.timeline, f.timeline);
  assert.match(f.timeline.at(-1)?.text ?? '', /^VIOLATION /);
  // Without the bug the same seed is clean.
  assert.equal(runSeed({ seed: f.seed, nodes: 3 }).ok, true);
}

test('planted bug "double-vote" (a node grants two votes in one term) is caught: two leaders in a term', () => {
  catches('double-vote', ['election-safety']);
});

test('planted bug "no-lease-wait" (votes granted while a leader is heard) is caught: overlapping DC leases', () => {
  catches('no-lease-wait', ['lease', 'quorum']);
});

test('clocks drifting beyond the stated bound are caught (the lease assumption no longer holds)', () => {
  let caught: string | undefined;
  for (let seed = 1; seed <= 200 && !caught; seed++) {
    const r = runSeed({ seed, nodes: 3, clockDrift: 0.2 });
    if (!r.ok) caught = r.violation?.invariant;
  }
  assert.ok(caught === 'quorum' || caught === 'lease', `caught: ${caught}`);
  // Within the bound, the same seeds are clean.
  for (let seed = 1; seed <= 100; seed++) assert.equal(runSeed({ seed, nodes: 3, clockDrift: 0.01 }).ok, true);
});

test('two_node without wait_for_all is unsafe, as documented: the simulator finds a violation', () => {
  let caught: string | undefined;
  for (let seed = 1; seed <= 300 && !caught; seed++) {
    const r = runSeed({ seed, nodes: 2, waitForAll: false });
    if (!r.ok) caught = r.violation?.invariant;
  }
  assert.ok(caught && ['election-safety', 'leader-completeness', 'state-machine-safety'].includes(caught), `caught: ${caught}`);
});
