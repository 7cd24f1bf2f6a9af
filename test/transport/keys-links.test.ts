// Authkey files (mode check, Heartbeat authkeys, crc refusal) and link specs from ha.cf forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHaCf } from '../../src/config/heartbeat/index.js';
import { InputError, InputErrors } from '../../src/model/index.js';
import { broadcastAddress, deriveClusterKeys, linkSpecsFromSettings, linksFromHaCf, loadAuthkeyFile, parseAuthkey, resolveLink } from '../../src/transport/index.js';

function withDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-keys-'));
  try { f(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('authkey file: mode 0600 accepted, group/other access refused with a clear message', () => {
  withDir((dir) => {
    const file = join(dir, 'authkey');
    writeFileSync(file, 'a-long-enough-cluster-secret\n');
    chmodSync(file, 0o600);
    const k = loadAuthkeyFile(file);
    assert.equal(k.source, 'vigil');
    // The editor's trailing newline is not part of the key.
    assert.deepEqual(k.keys, deriveClusterKeys(Buffer.from('a-long-enough-cluster-secret')));
    chmodSync(file, 0o400);
    assert.equal(loadAuthkeyFile(file).source, 'vigil');
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(file, mode);
      assert.throws(() => loadAuthkeyFile(file), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match(e.format(), /mode 0\d{3}.*chmod 600/);
        assert.equal(e.where.file, file);
        return true;
      });
    }
    assert.throws(() => loadAuthkeyFile(join(dir, 'missing')), /cannot read the authkey file: ENOENT/);
    assert.throws(() => loadAuthkeyFile(dir), /not a regular file/);
  });
});

test('authkey: short keys refused; binary keys used as they are', () => {
  assert.throws(() => parseAuthkey(Buffer.from('short\n'), 'k'), /at least 16/);
  const bin = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37) & 0xff));
  assert.deepEqual(parseAuthkey(bin, 'k').keys, deriveClusterKeys(bin));
  const k = deriveClusterKeys(bin);
  assert.notDeepEqual(k.hmacKey, k.encKey, 'HMAC and AES keys are derived separately');
});

test('Heartbeat authkeys: the selected sha1/md5 secret is the key material; crc refused unless allowed', () => {
  const sha1 = parseAuthkey(Buffer.from('# comment\nauth 2\n1 md5 first-secret-0123456789\n2 sha1 Hello-this-is-the-secret\n'), 'authkeys');
  assert.equal(sha1.source, 'heartbeat-sha1');
  assert.deepEqual(sha1.keys, deriveClusterKeys(Buffer.from('Hello-this-is-the-secret')));
  const md5 = parseAuthkey(Buffer.from('auth 1\n1 md5 short\n'), 'authkeys');
  assert.equal(md5.source, 'heartbeat-md5');
  assert.match(md5.warnings[0].message, /HMAC-SHA256/);
  assert.match(parseAuthkey(Buffer.from('auth 1\n1 sha1 short\n'), 'authkeys').warnings[0].message, /short/);
  assert.throws(() => parseAuthkey(Buffer.from('auth 3\n3 crc\n'), 'authkeys'), (e: unknown) => e instanceof InputErrors && /crc/.test(e.errors[0].message) && e.errors[0].where.line === 2);
  assert.equal(parseAuthkey(Buffer.from('auth 1\n1 sha1 Hello-this-is-the-secret\n'), 'k', { format: 'vigil' }).source, 'vigil', 'format forced');
  const crc = parseAuthkey(Buffer.from('auth 3\n3 crc\n'), 'authkeys', { allowCrc: true });
  assert.equal(crc.source, 'heartbeat-crc');
  assert.match(crc.warnings[0].message, /NOT authenticated/);
  assert.throws(() => parseAuthkey(Buffer.from('auth 4\n1 sha1 xxxxxxxxxxxxxxxxxxxxxx\n'), 'authkeys'), /auth 4 selects a key that is not defined/);
  assert.throws(() => parseAuthkey(Buffer.from('auth 1\n1 sha256 xxxxxxxxxxxxxxxxxxxxxx\n'), 'authkeys'), /unknown method/);
  assert.throws(() => parseAuthkey(Buffer.from('auth 1\n1 sha1\n'), 'authkeys'), /has no secret/);
});

test('ha.cf media lines map to link specs', () => {
  const at = (line: number) => ({ file: 'ha.cf', line });
  const links = linksFromHaCf([
    { keyword: 'udpport', values: ['700'], where: at(1) },
    { keyword: 'ucast', values: ['eth0', '10.0.0.2'], where: at(2) },
    { keyword: 'ucast', values: ['eth0', '10.0.0.3'], where: at(3) },
    { keyword: 'mcast', values: ['eth1', '225.0.0.1', '694', '1', '0'], where: at(4) },
    { keyword: 'bcast', values: ['eth2', 'eth3'], where: at(5) },
    { keyword: 'keepalive', values: ['2'], where: at(6) },
  ]);
  assert.deepEqual(links, [
    { kind: 'ucast', id: 'ucast-eth0', interface: 'eth0', port: 700, peers: [{ address: '10.0.0.2' }, { address: '10.0.0.3' }] },
    { kind: 'mcast', id: 'mcast-eth1', interface: 'eth1', group: '225.0.0.1', port: 694, ttl: 1, loop: false },
    { kind: 'bcast', id: 'bcast-eth2', interface: 'eth2', port: 700 },
    { kind: 'bcast', id: 'bcast-eth3', interface: 'eth3', port: 700 },
  ]);
  assert.equal(linksFromHaCf([{ keyword: 'bcast', values: ['eth0'] }])[0].port, 694, 'default port 694');
});

test('ha.cf media errors name the line and what was expected, all at once', () => {
  const at = (line: number) => ({ file: 'ha.cf', line });
  assert.throws(() => linksFromHaCf([
    { keyword: 'mcast', values: ['eth1', '10.0.0.1', '694', '1', '0'], where: at(3) },
    { keyword: 'ucast', values: ['eth0'], where: at(4) },
    { keyword: 'mcast', values: ['eth1', '225.0.0.1', '694', '0', '2'], where: at(5) },
  ]), (e: unknown) => {
    assert.ok(e instanceof InputErrors);
    assert.deepEqual(e.errors.map((x) => x.where.line), [3, 4, 5]);
    assert.match(e.errors[0].format(), /^ha\.cf:3: mcast: "10\.0\.0\.1" is not an IPv4 multicast group \(expected an address in 224\.0\.0\.0\/4\)$/);
    return true;
  });
  assert.throws(() => linksFromHaCf([{ keyword: 'udpport', values: ['99999'], where: at(1) }]), /not a UDP port/);
});

test('links resolve their local address from the interface table', () => {
  const ifs = { eth0: [{ address: '192.0.2.10', netmask: '255.255.255.0', family: 'IPv4', internal: false }], lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', internal: true }] };
  assert.equal(broadcastAddress('192.0.2.10', '255.255.255.0'), '192.0.2.255');
  assert.equal(broadcastAddress('10.1.2.3', '255.255.0.0'), '10.1.255.255');
  assert.deepEqual(resolveLink({ kind: 'bcast', id: 'b', interface: 'eth0', port: 694 }, ifs), { kind: 'bcast', id: 'b', interface: 'eth0', port: 694, bind: '192.0.2.10', broadcast: '192.0.2.255' });
  assert.equal(resolveLink({ kind: 'ucast', id: 'u', interface: 'eth0', port: 694, peers: [] }, ifs).bind, '192.0.2.10');
  assert.throws(() => resolveLink({ kind: 'ucast', id: 'u', interface: 'eth9', port: 694, peers: [] }, ifs), /eth9 of link u has no IPv4 address/);
});

test('engine settings become this node\'s link specs: own address bound, peers named, extra ucast peers kept', () => {
  const nodes = [
    { name: 'alpha', id: 1, addresses: ['10.0.0.1', '10.1.0.1'], votes: 1 },
    { name: 'beta', id: 2, addresses: ['10.0.0.2', '10.1.0.2'], votes: 1 },
  ];
  const links = [
    { name: 'link0', transport: 'unicast' as const, port: 694, ttl: 1, loop: false, peers: ['10.0.0.1', '10.0.0.9:700'] },
    { name: 'link1', transport: 'multicast' as const, interface: 'eth1', port: 695, group: '239.1.1.1', ttl: 2, loop: true, peers: [] },
  ];
  assert.deepEqual(linkSpecsFromSettings(links, nodes, 'alpha'), [
    { kind: 'ucast', id: 'link0', port: 694, bind: '10.0.0.1', peers: [{ address: '10.0.0.2', port: 694, node: 'beta' }, { address: '10.0.0.9', port: 700 }] },
    { kind: 'mcast', id: 'link1', port: 695, interface: 'eth1', bind: '10.1.0.1', group: '239.1.1.1', ttl: 2, loop: true },
  ]);
  assert.throws(() => linkSpecsFromSettings(links, nodes, 'gamma'), /gamma.*not in the node list/);
});

test('a real ha.cf, parsed by the config layer, maps to link specs', () => {
  const text = [
    'logfacility local0', 'keepalive 2', 'deadtime 30', 'udpport 694',
    'bcast eth1', 'mcast eth0 225.0.0.1 694 1 0', 'ucast eth2 10.0.0.2', 'ucast eth2 10.0.0.3',
    'auto_failback on', 'node alpha', 'node beta', '',
  ].join('\n');
  const cf = parseHaCf(text, '/etc/ha.d/ha.cf');
  assert.deepEqual(linksFromHaCf(cf.directives).map((l) => [l.kind, l.id, l.port]), [
    ['bcast', 'bcast-eth1', 694], ['mcast', 'mcast-eth0', 694], ['ucast', 'ucast-eth2', 694],
  ]);
});
