/**
 * After an aborted transition, a replan that finds nothing to do says so (`idle`), so that the
 * daemon's status does not keep showing the aborted transition as incomplete.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MiniCluster, cibFromYaml } from './harness.js';

const YAML = `
cluster:
  name: t
  nodes:
    - { name: n1, addresses: [192.0.2.1] }
    - { name: n2, addresses: [192.0.2.2] }
  fencing: { enabled: false }
resources:
  - { primitive: db, agent: 'builtin:dummy' }
`;

test('an aborted transition whose replan finds nothing to do is followed by idle', () => {
  const c = new MiniCluster(cibFromYaml(YAML), ['n1', 'n2'], { duration: (r) => (r.action === 'start' ? 1_000 : 100) });
  c.runFor(500);
  assert.ok(c.dispatched.some((d) => d.req.action === 'start'), 'the start is in flight');
  assert.ok(!c.completed.some((d) => d.req.action === 'start'));
  // A change the DC did not make aborts the transition; the start still completes.
  c.input({ type: 'committed', now: c.now, update: { kind: 'node-attribute', node: 'n1', name: 'rack', value: 'a' } });
  c.runFor(5_000);
  const kinds = c.outputs.filter((o) => o.type === 'transition-done' || o.type === 'idle' || o.type === 'transition');
  const aborted = kinds.findIndex((o) => o.type === 'transition-done' && !o.complete);
  assert.ok(aborted >= 0, 'the transition was aborted');
  const after = kinds.slice(aborted + 1);
  assert.equal(after[0]?.type, 'idle', `then: ${after.map((o) => o.type).join(', ')}`);
  assert.match((after[0] as { reason: string }).reason, /CIB changed \(node-attribute\)/);
  assert.equal(c.activeOn('db').length, 1);
});
