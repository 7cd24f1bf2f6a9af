/**
 * Pacemaker's scheduler regression corpus, tiers 1 and 2, run in-process. The pass counts must
 * not fall below the floor stored in corpus-floor.json (raise it when the scheduler improves);
 * every disagreeing case is reported with its differences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPresent, expectedResults, listCases, runCase, type CaseOutcome } from './corpus-harness.js';

interface Floor { placements: number; actions: number }
const floor = JSON.parse(readFileSync(join(process.cwd(), 'test', 'scheduler', 'corpus-floor.json'), 'utf8')) as Record<'tier1' | 'tier2', Floor>;

function report(outcomes: CaseOutcome[]): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    if (o.placements && o.actions) continue;
    lines.push(`${o.name} (tier ${o.tier}): placements ${o.placements ? 'agree' : 'DISAGREE'}, actions ${o.actions ? 'agree' : 'DISAGREE'}`);
    if (o.error) lines.push(`    error: ${o.error.split('\n')[0]}`);
    for (const m of o.missing) lines.push(`    expected placement missing: ${m}`);
    for (const m of o.extra) lines.push(`    unexpected placement:       ${m}`);
    for (const m of o.missingActions) lines.push(`    expected action missing:    ${m}`);
    for (const m of o.extraActions) lines.push(`    unexpected action:          ${m}`);
  }
  return lines.join('\n');
}

test('scheduler agrees with Pacemaker 2.1.5 on the tier-1 and tier-2 corpus (pass floor)', { skip: corpusPresent() ? false : 'scheduler corpus not present at ../shared/scheduler-corpus' }, () => {
  const cases = listCases([1, 2]);
  const expected = expectedResults(cases.map((c) => c.name));
  const outcomes = cases.map((c) => runCase(c.name, c.tier, expected[c.name]));
  const count = (tier: number, key: 'placements' | 'actions'): number => outcomes.filter((o) => o.tier === tier && o[key]).length;
  const total = (tier: number): number => outcomes.filter((o) => o.tier === tier).length;
  const summary = [1, 2].map((t) => `tier ${t}: placements ${count(t, 'placements')}/${total(t)}, actions ${count(t, 'actions')}/${total(t)}`).join('; ');
  process.stdout.write(`# corpus: ${summary}\n# disagreeing cases:\n${report(outcomes).split('\n').map((l) => `#   ${l}`).join('\n')}\n`);
  assert.ok(count(1, 'placements') >= floor.tier1.placements, `tier-1 placements fell below the floor: ${summary}`);
  assert.ok(count(2, 'placements') >= floor.tier2.placements, `tier-2 placements fell below the floor: ${summary}`);
  assert.ok(count(1, 'actions') >= floor.tier1.actions, `tier-1 actions fell below the floor: ${summary}`);
  assert.ok(count(2, 'actions') >= floor.tier2.actions, `tier-2 actions fell below the floor: ${summary}`);
});
