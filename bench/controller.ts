/**
 * `npm run bench -- controller`: the cost of the DC controller's steps on a larger cluster
 * (the simulator runs thousands of these). A cluster of NODES nodes and RSC primitives (plus a
 * group and a clone) is brought up from nothing (probes, then starts), then a node is lost and
 * fenced and its resources recovered. Prints the wall time per DC step (median, p99), steps and
 * scheduler runs per phase, and ends with one line of JSON.
 */
import { performance } from 'node:perf_hooks';
import { MiniCluster, cibFromYaml } from '../test/controller/harness.js';

const NODES = Number(process.argv[2] ?? 8);
const RSC = Number(process.argv[3] ?? 60);

function yaml(): string {
  const nodes = Array.from({ length: NODES }, (_, i) => `    - { name: n${i + 1}, addresses: [192.0.2.${i + 1}] }`).join('\n');
  const prims = Array.from({ length: RSC }, (_, i) => `  - { primitive: r${i}, agent: builtin:dummy, ops: [ { name: monitor, interval: 10s } ] }`).join('\n');
  return `
cluster:
  name: bench
  nodes:
${nodes}
  fencing:
    enabled: true
    devices:
      - { device: fence-lab, agent: fence_vigil_lab }
resources:
${prims}
  - group: web
    members:
      - { primitive: vip, agent: builtin:dummy }
      - { primitive: site, agent: builtin:dummy }
  - clone: agents
    resource: { primitive: agent, agent: builtin:dummy }
`;
}

function quantile(xs: number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

const members = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);
const c = new MiniCluster(cibFromYaml(yaml()), members);
const times: number[] = [];
const orig = c.input.bind(c);
c.input = (i) => { const t0 = performance.now(); orig(i); times.push(performance.now() - t0); };

const t0 = performance.now();
c.runFor(60_000);
const upMs = performance.now() - t0;
const upSteps = times.length;
const upTransitions = c.outputs.filter((o) => o.type === 'transition').length;
const running = [...c.reality.values()].reduce((n, m) => n + m.size, 0);

const victim = members.slice(1).sort((a, b) => c.reality.get(b)!.size - c.reality.get(a)!.size)[0];
const lost = c.reality.get(victim)!.size;
const t1 = performance.now();
c.crash(victim);
c.runFor(60_000);
const recoverMs = performance.now() - t1;
const recovered = [...c.reality].filter(([n]) => !c.down.has(n)).reduce((k, [, m]) => k + m.size, 0);

console.log(`cluster: ${NODES} nodes, ${RSC + 2} primitives + a clone; ${running} instances running after start-up`);
console.log(`start-up: ${upSteps} DC steps, ${upTransitions} transitions, ${upMs.toFixed(0)} ms wall`);
console.log(`loss of ${victim} (${lost} instances): ${times.length - upSteps} DC steps, ${recoverMs.toFixed(0)} ms wall; ${recovered} instances running after recovery`);
console.log(`DC step: median ${quantile(times, 0.5).toFixed(3)} ms, p99 ${quantile(times, 0.99).toFixed(3)} ms, max ${Math.max(...times).toFixed(1)} ms`);
console.log(JSON.stringify({
  bench: 'controller', nodes: NODES, primitives: RSC + 2, steps: times.length, stepMedianMs: +quantile(times, 0.5).toFixed(3), stepP99Ms: +quantile(times, 0.99).toFixed(3),
  startupWallMs: Math.round(upMs), recoveryWallMs: Math.round(recoverMs), running, recovered,
}));
