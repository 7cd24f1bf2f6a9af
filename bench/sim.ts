/**
 * The simulator as a benchmark: how fast seeds run (seeds/s on one core, so `vigil sim --count
 * 10000` can be budgeted) and the DC failover times it observes in virtual time at default timings
 * (time from a crash or pause of the DC to the next DC with a valid lease, failure detection
 * included, with other faults going on). Prints the figures per cluster size and ends with one
 * line of JSON. Usage: npm run bench -- sim [seeds-per-size]
 */
import { runSeeds } from '../src/sim/run.js';
import { runSeed } from '../src/sim/simulation.js';

const count = Number(process.argv[2] ?? 1000);
const results: Record<string, unknown> = {};
for (const [name, nodes, witness] of [['3-nodes', 3, false], ['5-nodes', 5, false], ['2-nodes', 2, false], ['2-nodes+witness', 2, true]] as const) {
  const s = runSeeds({ seed: 1, count, nodes, witness }, () => performance.now());
  if (s.failure) {
    console.error(`${name}: seed ${s.failure.seed} violated ${s.failure.violation?.invariant}: ${s.failure.violation?.detail}`);
    process.exit(1);
  }
  const seedsPerSecond = s.seedsRun / (s.wallMs / 1000);
  console.log(`${name.padEnd(16)} ${count} seeds in ${(s.wallMs / 1000).toFixed(1)} s (${seedsPerSecond.toFixed(0)} seeds/s, ${(s.events / (s.wallMs / 1000) / 1e6).toFixed(2)} M events/s); ` +
    `failover median ${s.failovers.medianMs.toFixed(0)} ms, p99 ${s.failovers.p99Ms.toFixed(0)} ms over ${s.failovers.count}`);
  results[name] = {
    seeds: s.seedsRun, wallMs: Math.round(s.wallMs), seedsPerSecond: Math.round(seedsPerSecond), faults: s.faultsTotal,
    failoverMedianMs: Math.round(s.failovers.medianMs), failoverP99Ms: Math.round(s.failovers.p99Ms), failovers: s.failovers.count,
  };
}
// Failover alone: only kill -9 of the DC, on a clean network, at default timings.
for (const nodes of [3, 5]) {
  const times: number[] = [];
  for (let seed = 1; seed <= Math.max(20, Math.round(count / 10)); seed++) {
    const r = runSeed({ seed, nodes, faults: 'dc-kill', faultMs: 30_000 });
    if (!r.ok) { console.error(`dc-kill seed ${seed}: ${r.violation?.invariant}: ${r.violation?.detail}`); process.exit(1); }
    times.push(...r.stats.failovers);
  }
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(`kill -9 of the DC, ${nodes} nodes, clean network: ${times.length} failovers, median ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms (virtual time, detection included)`);
  results[`dcKill${nodes}`] = { failovers: times.length, medianMs: Math.round(q(0.5)), p99Ms: Math.round(q(0.99)), maxMs: Math.round(times[times.length - 1]) };
}
console.log(JSON.stringify({ bench: 'sim', ...results }));
