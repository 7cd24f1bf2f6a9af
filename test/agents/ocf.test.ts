import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor } from '../../src/executor/index.js';
import { OpStatus } from '../../src/model/index.js';

const dummy = { class: 'ocf', provider: 'heartbeat', type: 'Dummy' } as const;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'vigil-ocf-'));
}

test('ocf:heartbeat:Dummy from resource-agents: meta-data, validate-all, start, monitor, stop', async () => {
  const dir = await tempDir();
  const ex = new Executor({ agents: { rscTmpDir: join(dir, 'rsctmp') } });
  try {
    const md = await ex.metadata(dummy);
    assert.equal(md.name, 'Dummy');
    const state = md.parameters.find((p) => p.name === 'state');
    assert.ok(state, 'Dummy declares a state parameter');
    assert.equal(state.unique, true);
    assert.ok(md.actions.some((a) => a.name === 'monitor' && a.intervalMs === 10_000 && a.timeoutMs === 20_000));

    const params = { state: join(dir, 'dummy.state') };
    const base = { resource: 'd1', agent: dummy, params, timeoutMs: 20_000 };
    const v = await ex.validate(base);
    assert.equal(v.rc, 0, v.stderrTail);
    assert.equal((await ex.probe(base)).state, 'stopped');
    const start = await ex.execute({ ...base, action: 'start' });
    assert.equal(start.rc, 0, start.stderrTail);
    assert.equal(start.opStatus, OpStatus.Done);
    await access(params.state);
    const mon = await ex.execute({ ...base, action: 'monitor', intervalMs: 10_000 });
    assert.equal(mon.rc, 0);
    assert.equal((await ex.probe(base)).state, 'running');
    const again = await ex.execute({ ...base, action: 'start' });
    assert.equal(again.rc, 0, 'start is idempotent');
    const stop = await ex.execute({ ...base, action: 'stop' });
    assert.equal(stop.rc, 0);
    const after = await ex.execute({ ...base, action: 'monitor' });
    assert.equal(after.rc, 7);
    assert.ok(start.callId < mon.callId && mon.callId < stop.callId, 'call ids increase');

    // validate-all against an unwritable state directory: the agent's own exit reason comes back.
    const bad = await ex.validate({ ...base, params: { state: '/proc/vigil-no-such-dir/state' } });
    assert.notEqual(bad.rc, 0);
    assert.match(bad.exitReason ?? '', /not writable/);
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('OCF environment: parameters, meta, timeout, interval, instance, provider', async () => {
  const dir = await tempDir();
  const root = join(dir, 'ocf');
  await mkdir(join(root, 'resource.d', 'vigiltest'), { recursive: true });
  const out = join(dir, 'env.txt');
  const agent = join(root, 'resource.d', 'vigiltest', 'envdump');
  await writeFile(agent, `#!/bin/sh\nenv | grep -E '^(OCF_|HA_RSCTMP)' | sort > ${out}\necho "ocf-exit-reason:told you so" >&2\nexit 6\n`);
  await chmod(agent, 0o755);
  const ex = new Executor({ agents: { ocfRoot: root, rscTmpDir: join(dir, 'rsctmp'), nodeName: 'node1' } });
  try {
    const r = await ex.execute({
      resource: 'web:1', agent: { class: 'ocf', provider: 'vigiltest', type: 'envdump' }, action: 'monitor',
      params: { ip: '192.0.2.5', 'odd name': 'x y' }, meta: { 'clone-max': '3', notify_type: 'pre', OCF_CHECK_LEVEL: '10' },
      timeoutMs: 7000, intervalMs: 15_000,
    });
    assert.equal(r.rc, 6);
    assert.equal(r.opStatus, OpStatus.Done);
    assert.equal(r.exitReason, 'told you so');
    const env = Object.fromEntries((await readFile(out, 'utf8')).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(env.OCF_ROOT, root);
    assert.equal(env.OCF_RESOURCE_INSTANCE, 'web:1');
    assert.equal(env.OCF_RESOURCE_TYPE, 'envdump');
    assert.equal(env.OCF_RESOURCE_PROVIDER, 'vigiltest');
    assert.equal(env.OCF_RA_VERSION_MAJOR, '1');
    assert.equal(env.OCF_RA_VERSION_MINOR, '1');
    assert.equal(env.OCF_RESKEY_ip, '192.0.2.5');
    assert.equal(env.OCF_RESKEY_CRM_meta_clone_max, '3');
    assert.equal(env.OCF_RESKEY_CRM_meta_notify_type, 'pre');
    assert.equal(env.OCF_RESKEY_CRM_meta_timeout, '7000');
    assert.equal(env.OCF_RESKEY_CRM_meta_name, 'monitor');
    assert.equal(env.OCF_RESKEY_CRM_meta_interval, '15000');
    assert.equal(env.OCF_RESKEY_CRM_meta_on_node, 'node1');
    assert.equal(env.OCF_CHECK_LEVEL, '10');
    assert.equal(env.HA_RSCTMP, join(dir, 'rsctmp'));
    await access(join(dir, 'rsctmp'));
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('exit codes outside 0..9, signals, missing agents and unsafe names', async () => {
  const dir = await tempDir();
  const root = join(dir, 'ocf');
  await mkdir(join(root, 'resource.d', 't'), { recursive: true });
  const write = async (name: string, body: string) => {
    await writeFile(join(root, 'resource.d', 't', name), `#!/bin/sh\n${body}\n`);
    await chmod(join(root, 'resource.d', 't', name), 0o755);
  };
  await write('big', 'exit 42');
  await write('selfkill', 'kill -9 $$');
  await write('notexec', 'exit 0');
  await chmod(join(root, 'resource.d', 't', 'notexec'), 0o644);
  const ex = new Executor({ agents: { ocfRoot: root, rscTmpDir: join(dir, 'tmp') } });
  const op = (type: string, provider = 't') => ex.execute({ resource: 'r', agent: { class: 'ocf', provider, type }, action: 'start', timeoutMs: 5000 });
  try {
    const big = await op('big');
    assert.equal(big.rc, 1);
    assert.match(big.exitReason ?? '', /42/);
    const killed = await op('selfkill');
    assert.equal(killed.opStatus, OpStatus.Error);
    assert.match(killed.exitReason ?? '', /SIGKILL/);
    const missing = await op('nothere');
    assert.equal(missing.opStatus, OpStatus.NotInstalled);
    assert.equal(missing.rc, 5);
    assert.equal((await op('notexec')).opStatus, OpStatus.NotInstalled);
    const sneaky = await op('Dummy', '../../../../usr/lib/ocf/resource.d/heartbeat');
    assert.equal(sneaky.opStatus, OpStatus.NotInstalled);
    assert.match(sneaky.exitReason ?? '', /invalid/);
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('ocf:pacemaker:Stateful: a promotable agent reports 8 when promoted', async () => {
  const dir = await tempDir();
  const ex = new Executor({ agents: { rscTmpDir: dir } });
  const base = { resource: 'ms:0', agent: { class: 'ocf', provider: 'pacemaker', type: 'Stateful' } as const, params: { state: join(dir, 'ms.state') }, meta: { notify: 'false' }, timeoutMs: 20_000 };
  try {
    assert.equal((await ex.probe(base)).state, 'stopped');
    assert.equal((await ex.execute({ ...base, action: 'start' })).rc, 0);
    assert.equal((await ex.probe(base)).state, 'running');
    assert.equal((await ex.execute({ ...base, action: 'promote' })).rc, 0);
    assert.equal((await ex.probe(base)).state, 'promoted');
    assert.equal((await ex.execute({ ...base, action: 'demote' })).rc, 0);
    assert.equal((await ex.probe(base)).state, 'running');
    assert.equal((await ex.execute({ ...base, action: 'stop' })).rc, 0);
    assert.equal((await ex.probe(base)).state, 'stopped');
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});
