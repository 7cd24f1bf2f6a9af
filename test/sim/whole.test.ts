/**
 * The whole-cluster simulator (src/sim/whole): replay, the planted watchdog bug, and a CI batch of
 * seeds over every shape and scenario.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { runWhole, runWholeSeeds, SCENARIOS, SHAPES, WholeRun, type WholeResult } from '../../src/sim/whole/index.js';

describe('whole-cluster simulator', () => {
  it('a seed replays exactly: the same timeline and the same result, event for event', () => {
    for (const seed of [3, 16, 27]) {
      const a = runWhole({ seed, record: true });
      const b = runWhole({ seed, record: true });
      assert.ok(a.timeline.length > 100, `seed ${seed} recorded a timeline`);
      assert.deepEqual(b.timeline, a.timeline, `seed ${seed}: timelines differ`);
      const strip = (r: WholeResult) => ({ ...r, timeline: [] });
      assert.deepEqual(strip(b), strip(a));
      // Recording changes nothing but the record.
      const c = runWhole({ seed });
      assert.deepEqual(strip(c), strip(a));
    }
  });

  it('the planted bug (DC skips the watchdog wait) is caught as dual-active, and the seed replays', () => {
    let caught: WholeResult | undefined;
    for (let seed = 1; seed <= 8 && !caught; seed++) {
      const r = runWhole({ seed, shape: 'three-watchdog', scenario: 'pause', skipWatchdogWait: true, callIdsContinue: true });
      if (!r.ok) caught = r;
    }
    assert.ok(caught, 'some seed violates an invariant with the bug planted');
    assert.equal(caught.violation?.invariant, 'dual-active', caught.violation?.detail);
    const again = runWhole({ seed: caught.seed, shape: 'three-watchdog', scenario: 'pause', skipWatchdogWait: true, callIdsContinue: true, record: true });
    assert.deepEqual(again.violation, caught.violation, 'the violation replays');
    assert.ok(again.timeline.some((e) => e.text.includes('planted bug')), 'the timeline names the DC decision that caused it');
    const twice = runWhole({ seed: caught.seed, shape: 'three-watchdog', scenario: 'pause', skipWatchdogWait: true, callIdsContinue: true, record: true });
    assert.deepEqual(twice.timeline, again.timeline);
    // Without the bug the same fault schedule keeps the resource in one place.
    const fixed = runWhole({ seed: caught.seed, shape: 'three-watchdog', scenario: 'pause', callIdsContinue: true });
    assert.notEqual(fixed.violation?.invariant, 'dual-active', fixed.violation?.detail);
  });

  it('two-node: a node dead for good is fenced by the survivor (fence race), which then runs everything', () => {
    // Seed 1, crash: n1 (vip, the promoted db) loses power for good. n2 has no quorum alone; it
    // fences n1 after n1's fence delay (2 s), holds n1's vote, becomes DC and recovers.
    const run = new WholeRun({ seed: 1, shape: 'two-node', scenario: 'crash', record: true });
    const r = run.run();
    assert.ok(r.ok, `${r.violation?.invariant}: ${r.violation?.detail}`);
    assert.deepEqual(r.faults, ['crash n1, dead for good (never powers on again)']);
    assert.equal(r.fences, 1, 'one fence: the race; the DC does not fence n1 again');
    assert.ok(r.timeline.some((e) => e.node === 'n2' && e.text === 'fencing n1 (fence race): OK'));
    assert.ok(r.timeline.some((e) => e.node === 'n2' && e.text.includes('n1 fenced by this node (two-node fence race)')));
    assert.equal(run.w.byId.get('n1')?.on, false, 'n1 is still down');
    assert.ok(r.recoveryMs > 0 && r.recoveryMs < 10_000, `recovered ${r.recoveryMs} ms after the crash`);
    const n2 = run.w.byId.get('n2')!;
    for (const id of ['vip', 'ip', 'fs', 'app', 'report', 'ping', 'dbi']) assert.ok(n2.rsc.has(id), `${id} runs on n2`);
    assert.ok(!r.timeline.some((e) => e.node === 'n2' && /no quorum: stop/.test(e.text)), 'n2 stopped nothing of its own meanwhile');
  });

  it('seeds past the batch that found bugs now hold every invariant', () => {
    // 2902, 3931: a group's stop began before the stop of what is ordered after it (symmetrical
    // order); 4136, 4566: a probe found the promoted instance demoted, no replan; 2334, 4097: a
    // node fenced while still listed by the membership was fenced again at every boot.
    // (These numbers name other runs since the clean-leave scenario joined the list; kept as seeds.)
    for (const seed of [2902, 3931, 4136, 4566, 2334, 4097]) {
      const r = runWhole({ seed });
      assert.ok(r.ok, `seed ${seed} (${r.shape}, ${r.scenario}): ${r.violation?.invariant}: ${r.violation?.detail}`);
    }
    // admin-during-faults 375 (dual-active), 721, 2020 (liveness): a node rebooted while in
    // maintenance kept its stale history — its new executor's call ids counted from 1 again and
    // were taken for old ones, and nothing re-probed it when maintenance was lifted.
    for (const seed of [375, 721, 2020]) {
      const r = runWhole({ seed, scenario: 'admin-during-faults' });
      assert.ok(r.ok, `seed ${seed} (${r.shape}, ${r.scenario}): ${r.violation?.invariant}: ${r.violation?.detail}`);
    }
    // mixed 3139 (dual-active): a node whose history was erased when it rejoined entered
    // maintenance before it was probed; nothing probed it, so the DC took its resources for stopped.
    const r = runWhole({ seed: 3139, scenario: 'mixed' });
    assert.ok(r.ok, `seed 3139 (${r.shape}, ${r.scenario}): ${r.violation?.invariant}: ${r.violation?.detail}`);
  });

  it('CI batch: 2000 seeds over every shape and scenario; every invariant holds, liveness included', async () => {
    // About 50 ms of CPU per seed, spread over two worker threads as `vigil sim --whole --jobs 2`
    // does: roughly 50 s on an idle 2-core machine (measured: 2000 seeds in 102 s of CPU).
    const jobs = Math.max(1, Math.min(2, availableParallelism()));
    const s = await runWholeSeeds({ seed: 1, count: 2000, keepGoing: true, jobs });
    assert.equal(s.seedsRun, 2000);
    for (const shape of SHAPES) assert.ok((s.shapes[shape.name] ?? 0) > 200, `shape ${shape.name} ran`);
    for (const sc of SCENARIOS) assert.ok((s.scenarios[sc]?.runs ?? 0) > 100, `scenario ${sc} ran`);
    for (const sc of Object.values(s.scenarios)) assert.ok(sc.recovery.count > 0 && Number.isFinite(sc.recovery.medianMs));
    const failed = s.failures.map((f) => `seed ${f.seed} (${f.shape}, ${f.scenario}) ${f.invariant}: ${f.detail} — replay: vigil sim --whole --seed ${f.seed} --count 1 --full-timeline`);
    assert.deepEqual(failed, [], `violations:\n${failed.join('\n')}`);
  });
});
