/**
 * Random faults against the DC controller: crashes and restarts of nodes, monitor failures,
 * failing fence attempts, move constraints and standby changes, in random order and timing.
 * After every step no primitive is active on two live nodes; once the faults stop, every
 * resource runs again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MiniCluster, cibFromYaml } from './harness.js';

const NODES = ['n1', 'n2', 'n3', 'n4'];
const RSC = ['a', 'b', 'c'];

const yaml = (fencing: string) => `
cluster:
  name: chaos
  nodes:
${NODES.map((n, i) => `    - { name: ${n}, addresses: [192.0.2.${i + 1}] }`).join('\n')}
  fencing:
    ${fencing}
resources:
  - { primitive: a, agent: builtin:dummy, meta: { migration-threshold: 2 }, ops: [ { name: monitor, interval: 5s } ] }
  - group: g
    members:
      - { primitive: b, agent: builtin:dummy, ops: [ { name: monitor, interval: 5s } ] }
      - { primitive: c, agent: builtin:dummy, ops: [ { name: monitor, interval: 5s } ] }
  - clone: db
    promotable: true
    meta: { clone-max: 3 }
    resource: { primitive: dbi, agent: builtin:dummy, ops: [ { name: monitor, interval: 4s, role: Promoted }, { name: monitor, interval: 5s, role: Unpromoted } ] }
constraints:
  - { order: a, then: g }
  # Promotion scores (an agent would set them with crm_master).
  - { location: db, node: n2, score: 10, role: Promoted }
  - { location: db, node: n3, score: 5, role: Promoted }
  - { location: db, node: n4, score: 3, role: Promoted }
`;

type Fault =
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number }
  | { kind: 'monitor'; rsc: number }
  | { kind: 'move'; rsc: number; node: number }
  | { kind: 'clear' }
  | { kind: 'standby'; node: number; on: boolean };

const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('crash' as const), node: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('restart' as const), node: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('monitor' as const), rsc: fc.nat(3) }),
  fc.record({ kind: fc.constant('move' as const), rsc: fc.nat(1), node: fc.nat(3) }),
  fc.record({ kind: fc.constant('clear' as const) }),
  fc.record({ kind: fc.constant('standby' as const), node: fc.nat(3), on: fc.boolean() }),
);

describe('controller chaos', () => {
  it('random faults: never active twice on live nodes; everything runs again once faults stop', () => {
    fc.assert(fc.property(
      fc.constantFrom('device', 'watchdog'),
      fc.array(fc.tuple(fault, fc.integer({ min: 0, max: 8_000 })), { minLength: 1, maxLength: 12 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 20, max: 2_000 }),
      (mode, faults, fenceOutcomes, opMs) => {
        const fencing = mode === 'device' ? 'enabled: true\n    devices:\n      - { device: fence-lab, agent: fence_vigil_lab }' : 'enabled: true\n    watchdog_timeout: 6s';
        let attempt = 0;
        const c = new MiniCluster(cibFromYaml(yaml(fencing)), NODES, {
          duration: () => opMs,
          fenceOk: () => fenceOutcomes[attempt++ % fenceOutcomes.length] || attempt > 6,
          dc: { fenceRetryMs: 1_000 },
        });
        const origInput = c.input.bind(c);
        const problems: string[] = [];
        c.input = (i) => {
          origInput(i);
          for (const r of RSC) {
            const live = c.activeOn(r).filter((n) => !c.down.has(n));
            if (live.length > 1) problems.push(`${r} on ${live.join(',')} at +${c.now - 1_700_000_000_000}`);
          }
          const promoted = [...c.reality].filter(([n, m]) => !c.down.has(n) && m.get('dbi') === 'Promoted').map(([n]) => n);
          if (promoted.length > 1) problems.push(`dbi promoted on ${promoted.join(',')}`);
          const copies = [...c.reality].filter(([n, m]) => !c.down.has(n) && m.has('dbi')).length;
          if (copies > 3) problems.push(`${copies} copies of dbi (clone-max 3)`);
        };
        c.runFor(5_000);
        for (const [f, wait] of faults) {
          switch (f.kind) {
            case 'crash': if (!c.down.has(NODES[f.node]) && c.members.includes(NODES[f.node])) c.crash(NODES[f.node]); break;
            case 'restart': if (c.down.has(NODES[f.node]) && (mode === 'watchdog' || c.fencedAt.has(NODES[f.node]) || true)) { c.fencedAt.delete(NODES[f.node]); c.restart(NODES[f.node]); } break;
            case 'monitor': {
              const r = [...RSC, 'dbi'][f.rsc];
              const node = c.activeOn(r).find((n) => !c.down.has(n));
              if (node && c.dispatched.some((d) => d.req.node === node && d.req.resource === r && d.req.intervalMs > 0)) c.monitorFails(node, r);
              break;
            }
            case 'move':
              c.input({ type: 'committed', now: c.now, update: { kind: 'constraint-add', constraint: { kind: 'location', id: `cli-prefer-${f.rsc}`, rsc: f.rsc === 0 ? 'a' : 'g', node: NODES[f.node], score: 1_000_000, rules: [] } } });
              break;
            case 'clear':
              c.input({ type: 'committed', now: c.now, update: { kind: 'constraint-remove', id: 'cli-prefer-0' } });
              c.input({ type: 'committed', now: c.now, update: { kind: 'constraint-remove', id: 'cli-prefer-1' } });
              break;
            case 'standby':
              c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: NODES[f.node], name: 'standby', value: f.on ? 'on' : null, lifetime: 'forever' } });
              break;
          }
          c.runFor(wait);
        }
        // Faults stop: every node back, moves and standby cleared, failures cleaned up.
        for (const n of NODES) if (c.down.has(n)) c.restart(n);
        c.input({ type: 'committed', now: c.now, update: { kind: 'constraint-remove', id: 'cli-prefer-0' } });
        c.input({ type: 'committed', now: c.now, update: { kind: 'constraint-remove', id: 'cli-prefer-1' } });
        for (const n of NODES) c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: n, name: 'standby', value: null, lifetime: 'forever' } });
        for (const r of [...RSC, 'db']) c.input({ type: 'committed', now: c.now, update: { kind: 'resource-cleanup', rsc: r } });
        c.runFor(120_000);
        assert.deepEqual(problems, []);
        for (const r of RSC) assert.equal(c.activeOn(r).filter((n) => !c.down.has(n)).length, 1, `${r} runs again (${c.activeOn(r).join(',')})`);
        assert.equal([...c.reality].filter(([n, m]) => !c.down.has(n) && m.get('dbi') === 'Promoted').length, 1, 'one promoted dbi');
        assert.equal([...c.reality].filter(([n, m]) => !c.down.has(n) && m.has('dbi')).length, 3, 'three dbi instances');
        const [ga, gb] = [c.activeOn('b')[0], c.activeOn('c')[0]];
        assert.equal(ga, gb, 'group members together');
      },
    ), { numRuns: Number(process.env.CHAOS_RUNS ?? 80) });
  });
});
