import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestFor, findOperation } from '../../src/executor/index.js';
import type { Primitive } from '../../src/model/index.js';

const web: Primitive = {
  kind: 'primitive', id: 'web', agent: { class: 'ocf', provider: 'heartbeat', type: 'apache' },
  params: { configfile: '/etc/apache2/apache2.conf' }, meta: { 'target-role': 'Started' }, utilization: {},
  operations: [
    { id: 'web-start', name: 'start', intervalMs: 0, timeoutMs: 40_000, enabled: true, meta: {} },
    { id: 'web-mon', name: 'monitor', intervalMs: 10_000, timeoutMs: 15_000, enabled: true, meta: { OCF_CHECK_LEVEL: '10' } },
    { id: 'web-mon-p', name: 'monitor', intervalMs: 10_000, timeoutMs: 25_000, role: 'Promoted', enabled: true, meta: {} },
  ],
};

test('requestFor: operation timeout, op_defaults, default 20 s; meta merged; probe borrows the monitor', () => {
  const start = requestFor(web, 'start');
  assert.equal(start.timeoutMs, 40_000);
  assert.equal(start.resource, 'web');
  assert.deepEqual(start.params, web.params);
  assert.equal(requestFor(web, 'stop').timeoutMs, 20_000);
  assert.equal(requestFor(web, 'stop', { opDefaults: { timeout: '90s' } }).timeoutMs, 90_000);
  const mon = requestFor(web, 'monitor', { intervalMs: 10_000, instance: 'web:1', meta: { clone_max: '2' } });
  assert.equal(mon.timeoutMs, 15_000);
  assert.equal(mon.resource, 'web:1');
  assert.deepEqual(mon.meta, { 'target-role': 'Started', OCF_CHECK_LEVEL: '10', clone_max: '2' });
  assert.equal(requestFor(web, 'monitor', { intervalMs: 10_000, role: 'Promoted' }).timeoutMs, 25_000);
  assert.equal(findOperation(web, 'monitor', 0)?.id, 'web-mon');
  assert.equal(requestFor(web, 'monitor').timeoutMs, 15_000);
});
