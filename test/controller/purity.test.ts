/**
 * The controllers are pure: the same state and input give the same outputs, and stepping does
 * not change the state it was given (the simulator replays seeds and keeps old states around).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dcStep, type DcState } from '../../src/controller/dc.js';
import type { DcInput } from '../../src/controller/types.js';
import { MiniCluster, cibFromYaml } from './harness.js';

const YAML = `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
    - { name: n3, addresses: [192.0.2.3] }
  fencing:
    enabled: true
    devices:
      - { device: fence-lab, agent: fence_vigil_lab }
resources:
  - group: g
    members:
      - { primitive: a, agent: builtin:dummy, ops: [ { name: monitor, interval: 5s } ] }
      - { primitive: b, agent: builtin:dummy }
  - clone: c
    resource: { primitive: ci, agent: builtin:dummy }
`;

function snapshot(s: DcState): string {
  return JSON.stringify(s, (_k, v: unknown) => (v instanceof Map ? [...v] : v instanceof Set ? [...v] : v));
}

describe('controller purity', () => {
  it('stepping the same DC state twice gives the same outputs and leaves the state untouched', () => {
    const c = new MiniCluster(cibFromYaml(YAML), ['n1', 'n2', 'n3']);
    const steps: Array<{ state: DcState; input: DcInput }> = [];
    const orig = c.input.bind(c);
    c.input = (i) => { steps.push({ state: c.dc, input: i }); orig(i); };
    c.runFor(3_000);
    c.crash('n3');
    c.runFor(5_000);
    assert.ok(steps.length > 20);
    for (const { state, input } of steps) {
      const before = snapshot(state);
      const r1 = dcStep(state, input);
      const r2 = dcStep(state, input);
      assert.equal(JSON.stringify(r1.outputs), JSON.stringify(r2.outputs));
      assert.equal(r1.wakeAt, r2.wakeAt);
      assert.equal(snapshot(state), before, `input ${input.type} changed the state it was given`);
    }
  });

  it('two runs of the same schedule produce the same outputs', () => {
    const run = (): string => {
      const c = new MiniCluster(cibFromYaml(YAML), ['n1', 'n2', 'n3'], { duration: (r) => (r.action === 'start' ? 300 : 50) });
      c.runFor(3_000);
      c.crash('n2');
      c.runFor(10_000);
      return JSON.stringify(c.outputs);
    };
    assert.equal(run(), run());
  });
});

describe('node-local controller purity', () => {
  it('a step leaves the state it was given untouched', async () => {
    const { createNodeController, nodeStep } = await import('../../src/controller/node.js');
    const { applyUpdates } = await import('../../src/controller/cib-state.js');
    const cib = applyUpdates(cibFromYaml(YAML.replace('enabled: true', 'enabled: true\n    watchdog_timeout: 5s')), [
      { kind: 'operation-result', node: 'n1', rsc: 'a', record: { id: '', operation: 'start', callId: 1, rc: 0, opStatus: 0, intervalMs: 0 } },
    ]);
    let s = createNodeController({ self: 'n1', deadtimeMs: 1000 }, cib, 0);
    const inputs = [
      { type: 'dc-contact', now: 100, dc: 'n2' }, { type: 'joined', now: 150 }, { type: 'tick', now: 2_000 }, { type: 'tick', now: 9_000 },
    ] as const;
    for (const input of inputs) {
      const before = JSON.stringify(s, (_k, v: unknown) => (v instanceof Map ? [...v] : v instanceof Set ? [...v] : v));
      const r1 = nodeStep(s, input);
      const r2 = nodeStep(s, input);
      assert.equal(JSON.stringify(r1.outputs), JSON.stringify(r2.outputs));
      assert.equal(JSON.stringify(s, (_k, v: unknown) => (v instanceof Map ? [...v] : v instanceof Set ? [...v] : v)), before);
      s = r1.state;
    }
    assert.ok(s.selfFenced || s.busy.size > 0, 'the inputs exercised the policy');
  });
});
