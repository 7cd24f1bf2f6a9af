import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findInterface, parseAddrShow } from '../../src/agents/index.js';
import { inSubnet } from '../../src/agents/builtin/vip.js';

const SAMPLE = [
  '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  '2: eth0    inet 192.0.2.10/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever',
  '2: eth0    inet 192.0.2.200/24 scope global secondary eth0:svc\\       valid_lft forever preferred_lft forever',
  '3: eth1@if7    inet 198.51.100.10/24 scope global eth1\\       valid_lft forever preferred_lft forever',
  '3: eth1@if7    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever',
].join('\n');

test('ip -o addr show lines: interface, family, address, prefix and label', () => {
  const addrs = parseAddrShow(SAMPLE);
  assert.deepEqual(addrs.map((a) => [a.ifname, a.family, a.address, a.prefix, a.label]), [
    ['lo', 'inet', '127.0.0.1', 8, undefined],
    ['eth0', 'inet', '192.0.2.10', 24, undefined],
    ['eth0', 'inet', '192.0.2.200', 24, 'eth0:svc'],
    ['eth1', 'inet', '198.51.100.10', 24, undefined],
    ['eth1', 'inet6', 'fe80::1', 64, undefined],
  ]);
});

test('the interface for a VIP is the one whose subnet holds it (not lo, not the VIP itself)', () => {
  const addrs = parseAddrShow(SAMPLE);
  assert.deepEqual(findInterface(addrs, '192.0.2.201'), { ifname: 'eth0', prefix: 24 });
  assert.deepEqual(findInterface(addrs, '198.51.100.99'), { ifname: 'eth1', prefix: 24 });
  assert.equal(findInterface(addrs, '127.0.0.5'), undefined);
  assert.equal(findInterface(addrs, '203.0.113.1'), undefined);
  assert.equal(inSubnet('10.1.2.3', '10.0.0.0', 8), true);
  assert.equal(inSubnet('11.1.2.3', '10.0.0.0', 8), false);
  assert.equal(inSubnet('192.0.2.129', '192.0.2.1', 25), false);
  assert.equal(inSubnet('anything', '10.0.0.0', 0), false);
});
