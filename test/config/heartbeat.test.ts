import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAuthkeys, parseHaCf, parseHaresources, heartbeatToModel, loadHeartbeatDir } from '../../src/config/heartbeat/index.js';
import { loadVigilYaml } from '../../src/config/vigil/load.js';
import { toVigilYaml } from '../../src/config/vigil/emit.js';
import { InputError, InputErrors } from '../../src/model/errors.js';
import type { Group, LocationConstraint } from '../../src/model/cluster.js';

/** The ha.cf of the seed article "Linux heartbeat enables high availability of servers" (its typos fixed). */
const SEED_HA_CF = `logfile /var/log/ha-log       # Log file
keepalive 2
deadtime 30
warntime 10
initdead 120
udpport 694
bcast   eth0
mcast eth0 225.0.0.1 694 1 0
ucast   eth0    192.168.80.151
auto_failback on
node    clone1
node    clone2
compression     bz2
compression_threshold 2
`;

function errorsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof InputErrors) return e.errors.map((x) => x.format());
    if (e instanceof InputError) return [e.format()];
    throw e;
  }
  assert.fail('expected input errors');
}

test('ha.cf of the seed: timing, links, nodes, auto_failback; what is not honoured is warned', () => {
  const cf = parseHaCf(SEED_HA_CF, '/etc/ha.d/ha.cf');
  assert.deepEqual(cf.nodes.map((n) => n.name), ['clone1', 'clone2']);
  assert.deepEqual([cf.keepaliveMs, cf.deadtimeMs, cf.warntimeMs, cf.initdeadMs], [2000, 30_000, 10_000, 120_000]);
  assert.equal(cf.udpport, 694);
  assert.equal(cf.autoFailback, 'on');
  assert.deepEqual(cf.links.map((l) => l.kind), ['bcast', 'mcast', 'ucast']);
  const mcast = cf.links[1];
  assert.ok(mcast.kind === 'mcast' && mcast.group === '225.0.0.1' && mcast.port === 694 && mcast.ttl === 1 && !mcast.loop);
  const warned = cf.warnings.map((w) => `${w.where?.line} ${w.message}`);
  assert.ok(warned.some((w) => w.startsWith('1 logfile:')));
  assert.ok(warned.some((w) => w.startsWith('13 compression:')));
  assert.equal(cf.directives.length, 14);
  assert.equal(cf.crm, false);
});

test('ha.cf: keepalive in ms, nice_failback, crm and stonith are understood', () => {
  const cf = parseHaCf('keepalive 500ms\ndeadtime 5\nnice_failback on\ncrm respawn\nstonith_host * baytech 10.0.0.3 mylogin mysecretpassword\nbcast eth1 eth2\nnode a b\n', 'ha.cf');
  assert.equal(cf.keepaliveMs, 500);
  assert.equal(cf.autoFailback, 'off');
  assert.equal(cf.crm, true);
  assert.deepEqual(cf.links.map((l) => l.interface), ['eth1', 'eth2']);
  assert.deepEqual(cf.nodes.map((n) => n.name), ['a', 'b']);
  const text = cf.warnings.map((w) => w.message).join('\n');
  assert.match(text, /nice_failback is the old name/);
  assert.match(text, /vigil import cib/);
  assert.match(text, /STONITH plugins are not run/);
});

test('ha.cf errors name file and line, and all are reported', () => {
  const errs = errorsOf(() => parseHaCf('keepalive soon\nmcast eth0 10.0.0.1 694 1 0\nbcst eth0\nauto_failback maybe\nucast eth0\n', '/etc/ha.d/ha.cf'));
  assert.deepEqual(errs, [
    '/etc/ha.d/ha.cf:1:1: keepalive: "soon" is not a time (expected seconds (30) or milliseconds (500ms))',
    '/etc/ha.d/ha.cf:2:1: mcast: "10.0.0.1" is not a multicast group in mcast (expected an IPv4 address in 224.0.0.0/4)',
    '/etc/ha.d/ha.cf:3:1: bcst: unknown directive "bcst" — did you mean "bcast"? (expected a Heartbeat ha.cf directive)',
    '/etc/ha.d/ha.cf:4:1: auto_failback: "maybe" is not on, off or legacy (expected on, off or legacy)',
    '/etc/ha.d/ha.cf:5:1: ucast: ucast takes 2 values, got 1 (expected ucast <interface> <peer-address>)',
    '/etc/ha.d/ha.cf: node: no node lines (expected one "node <uname -n>" line per cluster node)',
    '/etc/ha.d/ha.cf: bcast/mcast/ucast: no bcast, mcast or ucast line: the nodes would have no way to hear each other (expected e.g. "bcast eth0" or "ucast eth0 10.0.0.2")',
  ]);
});

test('authkeys: the selected sha1 key; crc refused unless allowed; md5 and short secrets warned', () => {
  const a = parseAuthkeys('# comment\nauth 2\n1 md5 old-secret-old-secret\n2 sha1 0123456789abcdef0123\n', 'authkeys');
  assert.deepEqual([a.active.index, a.active.method, a.active.secret, a.active.where.line], ['2', 'sha1', '0123456789abcdef0123', 4]);
  assert.equal(a.keys.size, 2);
  assert.deepEqual(a.warnings, []);
  const crc = errorsOf(() => parseAuthkeys('auth 1\n1 crc\n', 'ak'));
  assert.equal(crc.length, 1);
  assert.match(crc[0], /^ak:2:1: key 1: crc has no secret, so anyone on the network could forge cluster messages; refusing it/);
  const allowed = parseAuthkeys('auth 1\n1 crc\n', 'ak', { allowCrc: true });
  assert.match(allowed.warnings[0].message, /NOT authenticated/);
  assert.match(parseAuthkeys('auth 3\n3 md5 abcdefghijklmnopq\n', 'ak').warnings[0].message, /md5/);
  assert.match(parseAuthkeys('auth 1\n1 sha1 short\n', 'ak').warnings[0].message, /short \(5 bytes\)/);
  // A '#' inside a secret is part of it; comments are whole lines.
  assert.equal(parseAuthkeys('  # keys\nauth 1\n1 sha1 abc#defghijklmnopq\n', 'ak').active.secret, 'abc#defghijklmnopq');
});

test('authkeys errors: missing auth, undefined key, unknown method, missing secret', () => {
  assert.deepEqual(errorsOf(() => parseAuthkeys('1 sha1 x\n', 'ak')), ['ak: auth: no "auth N" line (expected auth <N> selecting one of the keys)']);
  assert.match(errorsOf(() => parseAuthkeys('auth 4\n1 sha1 abc\n', 'ak'))[0], /^ak:1:1: auth: auth 4 selects a key that is not defined \(expected one of 1\)/);
  const errs = errorsOf(() => parseAuthkeys('auth 1\n1 sha256 x\n2 sha1\n', 'ak'));
  assert.ok(errs.some((e) => e.startsWith('ak:2:1: key 1: unknown method "sha256" (expected sha1, md5 or crc)')), errs.join('\n'));
  assert.ok(errs.some((e) => e.startsWith('ak:3:1: key 2: key 2 (sha1) has no secret')), errs.join('\n'));
});

test('haresources: the seeds\' lines, bare IPs, :: arguments and continuation lines', () => {
  const groups = parseHaresources(`# seed examples
clone1 192.168.80.150 httpd
node1 IPaddr::10.0.0.5/24/eth0 Filesystem::/dev/sdb1::/data::ext4 httpd
clustnode2 172.23.2.13 mysql
clustnode1 172.23.2.14 \\
    ldap
`, 'haresources');
  assert.equal(groups.length, 4);
  assert.deepEqual(groups[0].resources.map((r) => [r.script, r.args]), [['IPaddr', ['192.168.80.150']], ['httpd', []]]);
  assert.deepEqual(groups[1].resources.map((r) => [r.script, r.args]), [['IPaddr', ['10.0.0.5/24/eth0']], ['Filesystem', ['/dev/sdb1', '/data', 'ext4']], ['httpd', []]]);
  assert.equal(groups[3].node, 'clustnode1');
  assert.deepEqual(groups[3].resources.map((r) => [r.script, r.where.line]), [['IPaddr', 5], ['ldap', 6]]);
});

test('haresources errors name file, line and column', () => {
  const errs = errorsOf(() => parseHaresources('node1\nnode2 IPaddr::::x $bad\n', 'hr'));
  assert.deepEqual(errs, [
    'hr:1:1: node1: line for node "node1" lists no resources (expected node resource [resource...])',
    'hr:2:7: IPaddr: "IPaddr::::x" has an empty argument (expected IPaddr::arg1::arg2)',
    'hr:2:19: node2: "$bad" is not a resource (expected Script, Script::arg::arg or an IP address)',
  ]);
});

const HR = 'clone1 IPaddr::10.0.0.5/24/eth0 Filesystem::/dev/sdb1::/data::ext4 httpd\nclone2 192.168.80.150 mysqld\n';

test('Heartbeat v1 semantics: a group per line preferring its node, auto_failback, no fencing, no quorum, loud warning', () => {
  const cf = parseHaCf(SEED_HA_CF, '/etc/ha.d/ha.cf');
  const m = heartbeatToModel(cf, parseHaresources(HR, '/etc/ha.d/haresources'), undefined, { dir: '/etc/ha.d' });
  const [g1, g2] = m.config.resources as Group[];
  assert.equal(g1.kind, 'group');
  assert.deepEqual(g1.members.map((p) => p.id), ['IPaddr-10.0.0.5', 'Filesystem-dev-sdb1', 'httpd']);
  assert.deepEqual(g1.members[0].agent, { class: 'heartbeat', type: 'IPaddr' });
  assert.deepEqual(g1.members[0].params, { 1: '10.0.0.5/24/eth0' });
  assert.deepEqual(g1.members[1].params, { 1: '/dev/sdb1', 2: '/data', 3: 'ext4' });
  assert.deepEqual(g2.members[0].params, { 1: '192.168.80.150' });
  const locs = m.config.constraints as LocationConstraint[];
  assert.deepEqual(locs.map((l) => [l.rsc, l.node, l.score]), [[g1.id, 'clone1', 100], [g2.id, 'clone2', 100]]);
  assert.equal(m.config.rscDefaults['resource-stickiness'], '0');
  assert.equal(m.config.properties['stonith-enabled'], 'false');
  assert.equal(m.config.properties['no-quorum-policy'], 'ignore');
  assert.equal(m.settings.fencing.enabled, false);
  assert.equal(m.settings.noQuorumPolicy, 'ignore');
  assert.deepEqual(m.settings.quorum, { twoNode: true, waitForAll: false });
  assert.deepEqual(m.settings.membership, { keepaliveMs: 2000, warntimeMs: 10_000, deadtimeMs: 30_000, initdeadMs: 120_000 });
  assert.deepEqual(m.settings.transport.links.map((l) => [l.name, l.transport, l.port]), [['bcast-eth0', 'broadcast', 694], ['mcast-eth0', 'multicast', 694], ['ucast-eth0', 'unicast', 694]]);
  assert.deepEqual(m.settings.transport.links[2].peers, ['192.168.80.151']);
  assert.equal(m.settings.transport.keyFormat, 'heartbeat-authkeys');
  assert.equal(m.settings.transport.authkeyFile, '/etc/ha.d/authkeys');
  assert.ok(m.warnings.some((w) => /split-brain/.test(w.message) && /BOTH run the resources/.test(w.message)));
  assert.match(m.notes.get('IPaddr-10.0.0.5') ?? '', /OCF equivalent: ocf:heartbeat:IPaddr2 ip=10.0.0.5 cidr_netmask=24 nic=eth0/);
  assert.match(m.notes.get('Filesystem-dev-sdb1') ?? '', /ocf:heartbeat:Filesystem device=\/dev\/sdb1 directory=\/data fstype=ext4/);

  const off = heartbeatToModel(parseHaCf(SEED_HA_CF.replace('auto_failback on', 'auto_failback off'), 'ha.cf'), parseHaresources(HR, 'hr'), undefined);
  assert.equal(off.config.rscDefaults['resource-stickiness'], '1000');
});

test('with useOcf the scripts become their OCF and LSB equivalents', () => {
  const m = heartbeatToModel(parseHaCf(SEED_HA_CF, 'ha.cf'), parseHaresources(HR, 'hr'), undefined, { useOcf: true });
  const [g1] = m.config.resources as Group[];
  assert.deepEqual(g1.members.map((p) => [p.agent, p.params]), [
    [{ class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' }, { ip: '10.0.0.5', cidr_netmask: '24', nic: 'eth0' }],
    [{ class: 'ocf', provider: 'heartbeat', type: 'Filesystem' }, { device: '/dev/sdb1', directory: '/data', fstype: 'ext4' }],
    [{ class: 'lsb', type: 'httpd' }, {}],
  ]);
});

test('haresources naming an unknown node, or a resource twice, is an error with its line', () => {
  const errs = errorsOf(() => heartbeatToModel(parseHaCf(SEED_HA_CF, 'ha.cf'), parseHaresources('clone3 httpd\nclone1 10.0.0.1 httpd\n', 'hr'), undefined));
  assert.deepEqual(errs, [
    'hr:1:1: clone3: node "clone3" is not a node in ha.cf (expected one of clone1, clone2)',
    'hr:2:17: httpd: resource "httpd" is already in the group on line 1 (expected each resource in one line only)',
  ]);
});

test('the imported model emits vigil.yaml that loads back to the same model', () => {
  const m = heartbeatToModel(parseHaCf(SEED_HA_CF, 'ha.cf'), parseHaresources(HR, 'hr'), undefined, { dir: '/etc/ha.d' });
  const y = loadVigilYaml(toVigilYaml(m.config, m.settings, { comments: m.notes }), '/etc/ha.d');
  const strip = (o: unknown): unknown => JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === 'origin' ? undefined : v)));
  assert.deepEqual(strip(y.config), strip(m.config));
  assert.deepEqual(y.settings, { ...m.settings, source: 'vigil.yaml' });
});

test('loadHeartbeatDir reads the files and refuses an authkeys file others can read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-hb-'));
  try {
    await writeFile(join(dir, 'ha.cf'), SEED_HA_CF);
    await writeFile(join(dir, 'haresources'), HR);
    await writeFile(join(dir, 'authkeys'), 'auth 1\n1 sha1 0123456789abcdef0123\n', { mode: 0o644 });
    await chmod(join(dir, 'authkeys'), 0o644);
    await assert.rejects(loadHeartbeatDir(dir), (e: unknown) => e instanceof InputErrors && /authkeys has mode 0644; group and others must have no access/.test(e.message) && e.errors[0].where.file === join(dir, 'authkeys'));
    await chmod(join(dir, 'authkeys'), 0o600);
    const hb = await loadHeartbeatDir(dir);
    assert.equal(hb.authkeys?.active.method, 'sha1');
    assert.equal(hb.config.resources.length, 2);
    assert.equal(hb.settings.paths.config, dir);
    await writeFile(join(dir, 'haresources'), 'clone1 bad::\n');
    await writeFile(join(dir, 'ha.cf'), `${SEED_HA_CF}bogus 1\n`);
    await assert.rejects(loadHeartbeatDir(dir), (e: unknown) => e instanceof InputErrors && e.errors.length === 2
      && e.errors[0].format().startsWith(`${join(dir, 'ha.cf')}:15:1: bogus: unknown directive`)
      && e.errors[1].format().startsWith(`${join(dir, 'haresources')}:1:8: bad: "bad::" has an empty argument`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('haresources: any well-formed file, with comments and continuation lines, parses back to what was written', () => {
  const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,7}$/);
  const arg = fc.stringMatching(/^[A-Za-z0-9/._-]{1,10}$/);
  const resource = fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 254 })).map(([a, b]) => ({ script: 'IPaddr', args: [`10.0.${a}.${b}`], text: `10.0.${a}.${b}` })),
    fc.tuple(word, fc.array(arg, { maxLength: 3 })).map(([s, a]) => ({ script: s, args: a, text: [s, ...a].join('::') })),
  );
  const line = fc.record({ node: word, resources: fc.array(resource, { minLength: 1, maxLength: 4 }), breakAt: fc.nat(), comment: fc.boolean() });
  fc.assert(fc.property(fc.array(line, { maxLength: 5 }), (lines) => {
    const text = lines.map((l) => {
      const words = [l.node, ...l.resources.map((r) => r.text)];
      const cut = 1 + (l.breakAt % words.length);
      const body = cut < words.length ? `${words.slice(0, cut).join(' ')} \\\n    ${words.slice(cut).join('  ')}` : words.join(' ');
      return `${l.comment ? '# a comment\n' : ''}${body}${l.comment ? '   # trailing' : ''}\n`;
    }).join('');
    const parsed = parseHaresources(text, 'hr');
    assert.deepEqual(parsed.map((g) => ({ node: g.node, resources: g.resources.map((r) => ({ script: r.script, args: r.args, text: r.text })) })),
      lines.map((l) => ({ node: l.node, resources: l.resources })));
  }), { numRuns: 200 });
});
