import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { Executor } from '../../src/executor/index.js';
import { MetadataError, checkParameters, formatAgent, parseAgent, parseMetadata, renderMetadata, systemdRunning, unitName, withDefaults, type AgentMetadata } from '../../src/agents/index.js';
import { activeStateToOcf } from '../../src/agents/systemd.js';
import { OpStatus } from '../../src/model/index.js';

test('meta-data of every built-in agent parses back into what it declares', async () => {
  const ex = new Executor({ agents: { stateDir: '/run/vigil-test-unused' } });
  for (const type of ['vip', 'process', 'dummy']) {
    const md = await ex.metadata({ class: 'builtin', type });
    assert.equal(md.name, type);
    for (const a of ['start', 'stop', 'monitor']) assert.ok(md.actions.some((x) => x.name === a), `${type} declares ${a}`);
  }
  const vip = await ex.metadata({ class: 'builtin', type: 'vip' });
  const mode = vip.parameters.find((p) => p.name === 'arp_mode');
  assert.deepEqual(mode?.options, ['unsolicited', 'reply', 'both']);
  assert.equal(mode?.default, 'both');
  assert.ok(vip.parameters.find((p) => p.name === 'ip')?.required);
  await ex.shutdown();
});

test('render → parse keeps names, flags, defaults, options and action times', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
  // Printable text including the XML specials, which rendering must escape.
  const text = fc.stringMatching(/^[A-Za-z0-9&<>"'][A-Za-z0-9 .,&<>"'-]{0,18}[A-Za-z0-9&<>"']$/);
  fc.assert(fc.property(
    name,
    fc.uniqueArray(fc.record({ name, required: fc.boolean(), unique: fc.boolean(), def: fc.option(text, { nil: undefined }), desc: text }), { selector: (p) => p.name, maxLength: 5 }),
    fc.uniqueArray(fc.record({ name, timeout: fc.integer({ min: 1, max: 600 }), interval: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }) }), { selector: (a) => a.name, maxLength: 4 }),
    (agentName, params, actions) => {
      const md: AgentMetadata = {
        name: agentName, version: '1.0', shortdesc: 'x', longdesc: 'y',
        parameters: params.map((p) => ({ name: p.name, required: p.required, unique: p.unique, reloadable: false, type: 'string', default: p.def, shortdesc: p.desc, longdesc: p.desc })),
        actions: actions.map((a) => ({ name: a.name, timeoutMs: a.timeout * 1000, intervalMs: a.interval === undefined ? undefined : a.interval * 1000 })),
      };
      const back = parseMetadata(renderMetadata(md));
      assert.equal(back.name, agentName);
      assert.deepEqual(back.parameters.map((p) => [p.name, p.required, p.unique, p.default, p.shortdesc]), params.map((p) => [p.name, p.required, p.unique, p.def, p.desc]));
      assert.deepEqual(back.actions.map((a) => [a.name, a.timeoutMs, a.intervalMs]), actions.map((a) => [a.name, a.timeout * 1000, a.interval === undefined ? undefined : a.interval * 1000]));
    }), { numRuns: 100 });
});

test('malformed meta-data is a MetadataError; parameters are checked against meta-data', () => {
  assert.throws(() => parseMetadata('<nope/>'), MetadataError);
  assert.throws(() => parseMetadata('<resource-agent name="x"><parameters><parameter><content/></parameter></parameters></resource-agent>'), /no name/);
  const md = parseMetadata(renderMetadata({
    name: 'x', parameters: [
      { name: 'ip', required: true, unique: true, reloadable: false, type: 'string' },
      { name: 'count', required: false, unique: false, reloadable: false, type: 'integer', default: '5' },
      { name: 'on', required: false, unique: false, reloadable: false, type: 'boolean' },
      { name: 'mode', required: false, unique: false, reloadable: false, type: 'select', options: ['a', 'b'] },
    ], actions: [],
  }));
  assert.deepEqual(checkParameters(md, { ip: '1.2.3.4' }), []);
  assert.deepEqual(checkParameters(md, { count: 'many', on: 'maybe', mode: 'c', extra: '1' }), [
    'parameter ip is required',
    'parameter count: expected an integer, got "many"',
    'parameter on: expected a boolean, got "maybe"',
    'parameter mode: expected one of a, b, got "c"',
    "parameter extra is not one of x's parameters",
  ]);
  assert.deepEqual(withDefaults(md, { ip: 'z' }), { ip: 'z', count: '5' });
});

test('agent names: class:provider:type and class:type', () => {
  assert.deepEqual(parseAgent('ocf:heartbeat:IPaddr2'), { class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' });
  assert.deepEqual(parseAgent('builtin:vip'), { class: 'builtin', type: 'vip' });
  assert.deepEqual(parseAgent('heartbeat:IPaddr::10.0.0.5/24/eth0'), { class: 'heartbeat', type: 'IPaddr::10.0.0.5/24/eth0' });
  assert.equal(parseAgent('ocf:IPaddr2'), undefined);
  assert.equal(parseAgent('bogus:x'), undefined);
  assert.equal(formatAgent({ class: 'ocf', provider: 'pacemaker', type: 'Dummy' }), 'ocf:pacemaker:Dummy');
});

test('systemd: unit names and is-active states', () => {
  assert.equal(unitName('nginx'), 'nginx.service');
  assert.equal(unitName('web.socket'), 'web.socket');
  assert.equal(activeStateToOcf('active\n'), 0);
  assert.equal(activeStateToOcf('reloading'), 0);
  assert.equal(activeStateToOcf('inactive'), 7);
  assert.equal(activeStateToOcf('failed'), 7);
});

test('systemd units through systemctl (only where systemd runs)', async (t) => {
  if (!(await systemdRunning())) {
    // Environmental: containers and CI runners often have no systemd as PID 1.
    const ex = new Executor();
    const r = await ex.execute({ resource: 's', agent: { class: 'systemd', type: 'vigil-none' }, action: 'start' });
    assert.equal(r.opStatus, OpStatus.NotInstalled);
    assert.match(r.exitReason ?? '', /systemd is not running/);
    await ex.shutdown();
    t.skip('systemd is not running on this machine (/run/systemd/system is absent); checked that units report NotInstalled');
    return;
  }
  // A transient unit made with systemd-run is a real unit that needs no file on disk.
  const unit = `vigil-test-${process.pid}`;
  execFileSync('systemd-run', ['--unit', unit, '--remain-after-exit', 'sleep', '300']);
  const ex = new Executor();
  try {
    const agent = { class: 'systemd', type: unit } as const;
    assert.equal((await ex.probe({ resource: 'u', agent })).state, 'running');
    assert.equal((await ex.execute({ resource: 'u', agent, action: 'stop' })).rc, 0);
    assert.equal((await ex.probe({ resource: 'u', agent })).state, 'stopped');
  } finally {
    try { execFileSync('systemctl', ['stop', `${unit}.service`]); } catch { /* already gone */ }
    await ex.shutdown();
  }
});
