import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MiniCluster, cibFromYaml } from './harness.js';

function nodesYaml(n: number): string {
  return Array.from({ length: n }, (_, i) => `    - { name: n${i + 1}, addresses: [192.0.2.${i + 1}] }`).join('\n');
}

describe('controller properties', () => {
  it('actions dispatched never violate a mandatory order, and batch-limit holds', () => {
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 8 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 20 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
      fc.boolean(),
      (count, pairs, batch, durations, failures, cloneFirst) => {
        const ids = Array.from({ length: count }, (_, i) => `r${i}`);
        const orders = [...new Set(pairs.map(([a, b]) => { const x = a % count; const y = b % count; return x < y ? `${x}-${y}` : y < x ? `${y}-${x}` : ''; }).filter(Boolean))]
          .map((p) => p.split('-').map(Number) as [number, number]);
        const yaml = `
cluster:
  name: t
  nodes:
${nodesYaml(3)}
  fencing: { enabled: false }
resources:
${ids.map((id, i) => (i === 0 && cloneFirst ? `  - { clone: ${id}c, resource: { primitive: ${id}, agent: builtin:dummy } }` : `  - { primitive: ${id}, agent: builtin:dummy, meta: { migration-threshold: 2 } }`)).join('\n')}
constraints:
${orders.map(([a, b]) => `  - { order: r${a}${a === 0 && cloneFirst ? 'c' : ''}, then: r${b} }`).join('\n') || '  []'}
`.replace('constraints:\n  []', 'constraints: []');
        let k = 0;
        const failing = new Set(failures.map(([r, n]) => `r${r % count}@n${(n % 3) + 1}`));
        const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3'], {
          dc: { batchLimit: batch },
          duration: () => durations[k++ % durations.length],
          rc: (req) => (req.action === 'start' && failing.has(`${req.resource}@${req.node}`) ? 1 : undefined),
        });
        // Check at every dispatch: a mandatory then-start needs its first active right now.
        const origInput = c.input.bind(c);
        let violations: string[] = [];
        c.input = (i) => {
          const before = c.dispatched.length;
          origInput(i);
          for (const d of c.dispatched.slice(before)) {
            for (const [a, b] of orders) {
              // then needs first running when it starts; first stops only once then has stopped
              if (d.req.action === 'start' && d.req.resource === `r${b}` && c.activeOn(`r${a}`).length === 0) violations.push(`start r${b} on ${d.req.node} at ${d.at} while r${a} is not active`);
              const lastFirst = a === 0 && cloneFirst ? c.activeOn(`r${a}`).filter((n) => n !== d.req.node).length === 0 : true;
              if (d.req.action === 'stop' && d.req.resource === `r${a}` && lastFirst && c.activeOn(`r${b}`).length > 0) violations.push(`stop r${a} on ${d.req.node} at ${d.at} while r${b} runs on ${c.activeOn(`r${b}`).join(',')}`);
            }
          }
        };
        c.runFor(120_000);
        assert.deepEqual(violations, []);
        assert.ok(c.maxInFlight <= batch, `in flight ${c.maxInFlight} > batch-limit ${batch}`);
        violations = [];
      },
    ), { numRuns: Number(process.env.PROP_RUNS ?? 60) });
  });

  it('a lost node\'s resources are never started elsewhere before fence success or watchdog-timeout', () => {
    fc.assert(fc.property(
      fc.constantFrom('device', 'watchdog', 'none'),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 4000 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 0, max: 3000 }),
      (mode, count, crashAfter, fenceOutcomes, fenceDelay) => {
        const fencing = mode === 'device' ? `enabled: true
    devices:
      - { device: fence-lab, agent: fence_vigil_lab }` : mode === 'watchdog' ? 'enabled: true\n    watchdog_timeout: 8s' : `enabled: true
    devices:
      - { device: fence-n1, agent: fence_vigil_lab, hosts: [n1] }`;
        const ids = Array.from({ length: count }, (_, i) => `r${i}`);
        const yaml = `
cluster:
  name: t
  nodes:
${nodesYaml(4)}
  fencing:
    ${fencing}
resources:
${ids.map((id) => `  - { primitive: ${id}, agent: builtin:dummy }`).join('\n')}
  - clone: cl
    resource: { primitive: ci, agent: builtin:dummy }
`;
        let attempt = 0;
        const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3', 'n4'], {
          dc: { fenceDelayMs: { n2: fenceDelay, n3: fenceDelay, n4: fenceDelay }, fenceRetryMs: 1000 },
          fenceOk: () => fenceOutcomes[attempt++ % fenceOutcomes.length],
        });
        c.runFor(5_000 + crashAfter);
        // Crash the busiest node other than the DC.
        const victim = ['n2', 'n3', 'n4'].sort((a, b) => [...c.reality.get(b)!.keys()].length - [...c.reality.get(a)!.keys()].length)[0];
        const had = [...c.reality.get(victim)!.keys()].filter((r) => r !== 'ci');
        const lostAt = c.now;
        c.crash(victim);
        c.runFor(60_000);
        const safeAt = mode === 'device' ? c.fencedAt.get(victim) ?? Infinity : mode === 'watchdog' ? lostAt + 8_000 : Infinity;
        for (const d of c.dispatched) {
          if (d.at < lostAt || d.req.action !== 'start' || !had.includes(d.req.resource)) continue;
          assert.ok(d.at >= safeAt, `${d.req.resource} started on ${d.req.node} at +${d.at - lostAt} ms, safe only from +${safeAt - lostAt} ms (${mode})`);
        }
        // Never active on two live nodes at once.
        for (const r of ids) assert.ok(c.activeOn(r).filter((n) => !c.down.has(n)).length <= 1, `${r} on ${c.activeOn(r).join(', ')}`);
        // And recovered, where recovery is possible.
        if (mode === 'watchdog' || (mode === 'device' && c.fencedAt.has(victim))) for (const r of had) assert.equal(c.activeOn(r).filter((n) => !c.down.has(n)).length, 1, `${r} recovered`);
      },
    ), { numRuns: Number(process.env.PROP_RUNS ?? 60) });
  });
});

describe('controller properties: hands off', () => {
  it('no operation but a probe runs on a node in maintenance, none on an unmanaged resource', () => {
    fc.assert(fc.property(
      fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
      (maint, unmanaged, group, failures) => {
        const count = unmanaged.length;
        const prim = (i: number) => `{ primitive: r${i}, agent: builtin:dummy, ops: [ { name: monitor, interval: 5s } ]${unmanaged[i] ? ', meta: { is-managed: "false" }' : ''} }`;
        const resources = group && count > 1
          ? `  - group: g\n    members:\n${Array.from({ length: count }, (_, i) => `      - ${prim(i)}`).join('\n')}`
          : Array.from({ length: count }, (_, i) => `  - ${prim(i)}`).join('\n');
        const yaml = `
cluster:
  name: t
  nodes:
${Array.from({ length: 4 }, (_, i) => `    - { name: n${i + 1}, addresses: [192.0.2.${i + 1}]${maint[i] ? ', attributes: { maintenance: "true" }' : ''} }`).join('\n')}
  fencing: { enabled: false }
resources:
${resources}
`;
        const c = new MiniCluster(cibFromYaml(yaml), ['n1', 'n2', 'n3', 'n4']);
        c.runFor(5_000);
        for (const [r, n] of failures) {
          const rsc = `r${r % count}`;
          const node = c.activeOn(rsc)[n % Math.max(1, c.activeOn(rsc).length)];
          if (node && c.dispatched.some((d) => d.req.node === node && d.req.resource === rsc && d.req.intervalMs > 0)) c.monitorFails(node, rsc);
          c.runFor(3_000);
        }
        for (const d of c.dispatched) {
          const i = Number(d.req.node.slice(1)) - 1;
          // A probe changes nothing: what is unknown on a node in maintenance is still probed.
          const probe = d.req.action === 'monitor' && d.req.intervalMs === 0;
          assert.ok(!(maint[i]) || probe, `${d.req.action} ${d.req.resource} on ${d.req.node} (maintenance)`);
          assert.ok(!unmanaged[Number(d.req.resource.slice(1))], `${d.req.action} ${d.req.resource} on ${d.req.node} (unmanaged)`);
        }
      },
    ), { numRuns: 40 });
  });
});
