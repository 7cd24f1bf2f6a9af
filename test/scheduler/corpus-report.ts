/** Developer tool: `node dist/test/scheduler/corpus-report.js [TIERS] [CASE...]` prints per-case diffs. */
import { corpusPresent, expectedResults, listCases, runCase } from './corpus-harness.js';

if (!corpusPresent()) {
  console.error('corpus not found');
  process.exit(2);
}
const args = process.argv.slice(2);
const tiers = (args[0] ?? '1,2').split(',').map(Number);
const only = new Set(args.slice(1));
const cases = listCases(tiers).filter((c) => only.size === 0 || only.has(c.name));
const expected = expectedResults(cases.map((c) => c.name));
let pOk = 0;
let aOk = 0;
for (const c of cases) {
  const r = runCase(c.name, c.tier, expected[c.name]);
  if (r.placements) pOk++;
  if (r.actions) aOk++;
  if (!r.placements || (only.size > 0 && !r.actions) || process.env.SHOW_ACTIONS) {
    if (r.placements && r.actions) continue;
    console.log(`${r.name} (tier ${r.tier}) placements=${r.placements ? 'PASS' : 'FAIL'} actions=${r.actions ? 'PASS' : 'FAIL'}`);
    if (r.error) console.log(`  error: ${r.error.split('\n').slice(0, 4).join('\n  ')}`);
    for (const m of r.missing) console.log(`  - ${m}`);
    for (const m of r.extra) console.log(`  + ${m}`);
    if (only.size > 0 || process.env.SHOW_ACTIONS) {
      for (const m of r.missingActions) console.log(`  A- ${m}`);
      for (const m of r.extraActions) console.log(`  A+ ${m}`);
    }
  }
}
console.log(`placements ${pOk}/${cases.length}, actions ${aOk}/${cases.length}`);
