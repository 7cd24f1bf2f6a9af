import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Executor } from '../../src/executor/index.js';
import { heartbeatStatusRunning, parseHeartbeatResource, parseLsbHeader } from '../../src/agents/index.js';
import { lsbToOcf } from '../../src/agents/rc.js';
import { ipaddrArgsToVip } from '../../src/agents/heartbeat.js';
import { OpStatus } from '../../src/model/index.js';

/** An init script that keeps its state in a file next to it and follows the LSB exit codes. */
const INIT_SCRIPT = (state: string) => `#!/bin/sh
### BEGIN INIT INFO
# Provides:          vigiltest
# Required-Start:    $network
# Short-Description: Vigil test service
# Description:       A service that only
#                    records whether it runs.
### END INIT INFO
case "$1" in
  start) touch ${state}; exit 0 ;;
  stop) rm -f ${state}; exit 0 ;;
  status) [ -f ${state} ] && { echo "running"; exit 0; }; echo "stopped"; exit 3 ;;
  restart|force-reload) touch ${state}; exit 0 ;;
  *) exit 2 ;;
esac
`;

test('LSB init script: start/status/stop with status 3 meaning stopped, meta-data from the header', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-lsb-'));
  const initd = join(dir, 'init.d');
  await mkdir(initd);
  const state = join(dir, 'running');
  await writeFile(join(initd, 'vigiltest'), INIT_SCRIPT(state));
  await chmod(join(initd, 'vigiltest'), 0o755);
  const ex = new Executor({ agents: { lsbDir: initd } });
  const agent = { class: 'lsb', type: 'vigiltest' } as const;
  try {
    assert.equal((await ex.probe({ resource: 's', agent })).state, 'stopped');
    assert.equal((await ex.execute({ resource: 's', agent, action: 'start' })).rc, 0);
    assert.equal((await ex.probe({ resource: 's', agent })).state, 'running');
    assert.equal((await ex.execute({ resource: 's', agent, action: 'monitor', intervalMs: 5000 })).rc, 0);
    assert.equal((await ex.execute({ resource: 's', agent, action: 'stop' })).rc, 0);
    assert.equal((await ex.execute({ resource: 's', agent, action: 'monitor' })).rc, 7);
    assert.equal((await ex.execute({ resource: 's', agent, action: 'promote' })).opStatus, OpStatus.NotSupported);
    const md = await ex.metadata(agent);
    assert.equal(md.shortdesc, 'Vigil test service');
    assert.equal(md.longdesc, 'A service that only records whether it runs.');
    assert.ok(md.actions.some((a) => a.name === 'status'));
    const missing = await ex.execute({ resource: 's', agent: { class: 'lsb', type: 'nosuch' }, action: 'start' });
    assert.equal(missing.opStatus, OpStatus.NotInstalled);
    // `service:` falls back to the init script here.
    assert.equal((await ex.probe({ resource: 's2', agent: { class: 'service', type: 'vigiltest' } })).state, 'stopped');
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('LSB exit codes map to OCF', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 150].map((c) => lsbToOcf('status', c)), [0, 7, 7, 7, 1, 1]);
  assert.deepEqual([0, 1, 2, 3, 5, 6, 7, 9].map((c) => lsbToOcf('start', c)), [0, 1, 2, 3, 5, 6, 7, 1]);
  assert.equal(parseLsbHeader('#!/bin/sh\necho hi\n').Provides, undefined);
});

test('Heartbeat v1 resource.d script: positional arguments from IPaddr::a::b, status judged by its output', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-hb-'));
  const rdir = join(dir, 'resource.d');
  const initd = join(dir, 'init.d');
  await mkdir(rdir);
  await mkdir(initd);
  const log = join(dir, 'calls');
  const state = join(dir, 'up');
  // Like Heartbeat's own scripts: args first, the action last; status always exits 0 and speaks.
  await writeFile(join(rdir, 'Fake'), `#!/bin/sh
for last; do :; done
echo "$*" >> ${log}
case "$last" in
  start) touch ${state} ;;
  stop) rm -f ${state} ;;
  status) if [ -f ${state} ]; then echo "running"; else echo "stopped"; fi ;;
esac
exit 0
`);
  await chmod(join(rdir, 'Fake'), 0o755);
  await writeFile(join(initd, 'httpd'), INIT_SCRIPT(join(dir, 'httpd-up')));
  await chmod(join(initd, 'httpd'), 0o755);
  const ex = new Executor({ agents: { heartbeatDir: rdir, lsbDir: initd } });
  const agent = { class: 'heartbeat', type: 'Fake::/dev/sdb1::/data::ext4' } as const;
  try {
    assert.equal((await ex.probe({ resource: 'fs', agent })).state, 'stopped');
    assert.equal((await ex.execute({ resource: 'fs', agent, action: 'start' })).rc, 0);
    assert.equal((await ex.probe({ resource: 'fs', agent })).state, 'running');
    assert.equal((await ex.execute({ resource: 'fs', agent, action: 'stop' })).rc, 0);
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    assert.deepEqual(calls, ['/dev/sdb1 /data ext4 status', '/dev/sdb1 /data ext4 start', '/dev/sdb1 /data ext4 status', '/dev/sdb1 /data ext4 stop']);
    // Arguments as parameters 1, 2, ... (Pacemaker's heartbeat class) work the same way.
    await ex.execute({ resource: 'fs2', agent: { class: 'heartbeat', type: 'Fake' }, action: 'start', params: { 2: 'b', 1: 'a' } });
    assert.equal((await readFile(log, 'utf8')).trim().split('\n').at(-1), 'a b start');
    // A name not in resource.d is an init script (and its status exit code counts).
    const httpd = { class: 'heartbeat', type: 'httpd' } as const;
    assert.equal((await ex.probe({ resource: 'web', agent: httpd })).state, 'stopped');
    assert.equal((await ex.execute({ resource: 'web', agent: httpd, action: 'start' })).rc, 0);
    assert.equal((await ex.probe({ resource: 'web', agent: httpd })).state, 'running');
    assert.equal((await ex.execute({ resource: 'x', agent: { class: 'heartbeat', type: 'Nope::1' }, action: 'start' })).opStatus, OpStatus.NotInstalled);
  } finally {
    await ex.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('IPaddr arguments as builtin:vip parameters', () => {
  assert.deepEqual(ipaddrArgsToVip('10.0.0.5/24/eth0'), { ip: '10.0.0.5', cidr_netmask: '24', nic: 'eth0' });
  assert.deepEqual(ipaddrArgsToVip('10.0.0.5/255.255.254.0/eth1/10.0.1.255'), { ip: '10.0.0.5', cidr_netmask: '23', nic: 'eth1' });
  assert.deepEqual(ipaddrArgsToVip('192.168.80.150'), { ip: '192.168.80.150' });
  assert.equal(ipaddrArgsToVip('10.0.0.5/abc'), undefined);
});

test('Heartbeat resource words and status output', () => {
  assert.deepEqual(parseHeartbeatResource('IPaddr::10.0.0.5/24/eth0'), { name: 'IPaddr', args: ['10.0.0.5/24/eth0'] });
  assert.deepEqual(parseHeartbeatResource('httpd'), { name: 'httpd', args: [] });
  assert.equal(heartbeatStatusRunning('running\n'), true);
  assert.equal(heartbeatStatusRunning('OK'), true);
  assert.equal(heartbeatStatusRunning('stopped'), false);
  assert.equal(heartbeatStatusRunning('httpd is not running'), false);
  assert.equal(heartbeatStatusRunning(''), false);
});
