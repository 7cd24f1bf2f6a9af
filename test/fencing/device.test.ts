import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FenceRunner, agentParams, canFence, deviceFromPrimitive, fenceDelayMs, fenceRequest, fenceWith, hostCheck, parseHostMap, portFor } from '../../src/fencing/index.js';
import type { Primitive } from '../../src/model/index.js';
import { TEST_AGENT } from './test-agent.js';

function device(params: Record<string, string>, agent = 'fence_test') {
  const p: Primitive = { kind: 'primitive', id: 'fd', agent: { class: 'stonith', type: agent }, params, meta: {}, operations: [], utilization: {} };
  return deviceFromPrimitive(p);
}

test('pcmk_* device parameters: host map, host check, renamed actions, timeouts, agent parameters', () => {
  assert.deepEqual([...parseHostMap('n1:1;n2=2, n3:3 n4:').entries()], [['n1', '1'], ['n2', '2'], ['n3', '3'], ['n4', '']]);
  const d = device({ ipaddr: '192.0.2.1', pcmk_host_map: 'n1:outlet1;n2:outlet2', pcmk_off_action: 'reboot', pcmk_off_timeout: '90s', pcmk_host_argument: 'plug' });
  assert.equal(portFor(d, 'n1'), 'outlet1');
  assert.equal(portFor(d, 'n9'), 'n9');
  assert.equal(hostCheck(d), 'static-list');
  assert.equal(hostCheck(device({})), 'dynamic-list');
  assert.equal(hostCheck(device({ pcmk_host_check: 'none' })), 'none');
  assert.deepEqual(agentParams(d), { ipaddr: '192.0.2.1' });
  assert.deepEqual(fenceRequest(d, 'off', 'n2'), { agent: 'fence_test', action: 'reboot', target: 'outlet2', params: { ipaddr: '192.0.2.1' }, hostArgument: 'plug', timeoutMs: 90_000 });
  assert.equal(fenceRequest(d, 'status', 'n2').timeoutMs, 60_000);
});

test('fence delay: base, random part up to max, per-node base', () => {
  assert.equal(fenceDelayMs(device({}), 'n1', 0.5), 0);
  assert.equal(fenceDelayMs(device({ pcmk_delay_base: '5s' }), 'n1', 0.9), 5000);
  assert.equal(fenceDelayMs(device({ pcmk_delay_max: '10s' }), 'n1', 0.5), 5000);
  assert.equal(fenceDelayMs(device({ pcmk_delay_base: '2s', pcmk_delay_max: '4s' }), 'n1', 0.5), 3000);
  const perNode = device({ pcmk_delay_base: 'n1:0;n2:10s' });
  assert.equal(fenceDelayMs(perNode, 'n1', 0), 0);
  assert.equal(fenceDelayMs(perNode, 'n2', 0), 10_000, 'one side waits, so the two sides never fence each other at once');
});

test('canFence (static, dynamic list, status) and fenceWith against a real agent', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-fdev-'));
  try {
    await writeFile(join(dir, 'fence_test'), TEST_AGENT);
    await chmod(join(dir, 'fence_test'), 0o755);
    await writeFile(join(dir, 'node1'), 'on\n');
    await writeFile(join(dir, 'node2'), 'on\n');
    const runner = new FenceRunner({ agentDirs: [dir] });
    const base = { state_dir: dir };
    assert.equal(await canFence(device({ ...base, pcmk_host_list: 'a b' }), 'a', runner), true);
    assert.equal(await canFence(device({ ...base, pcmk_host_list: 'a b' }), 'c', runner), false);
    assert.equal(await canFence(device(base), 'node2', runner), true, 'dynamic list: the agent lists node2');
    assert.equal(await canFence(device(base), 'node7', runner), false);
    assert.equal(await canFence(device({ ...base, pcmk_host_check: 'status' }), 'node1', runner), true);
    assert.equal(await canFence(device({ ...base, pcmk_host_check: 'status' }), 'node7', runner), false);

    const mapped = device({ ...base, pcmk_host_map: 'web1:node1' });
    const r = await fenceWith(mapped, 'web1', runner);
    assert.equal(r.ok, true, r.error);
    assert.equal((await readFile(join(dir, 'node1'), 'utf8')).trim(), 'off', 'the mapped port was fenced');
    const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
    assert.deepEqual(calls.slice(-2), ['off node1', 'status node1']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
