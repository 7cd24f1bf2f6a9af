/**
 * Link specifications: the redundant network paths between nodes ("rings" in Corosync). A node
 * may have several links of any kind; every message goes out on all of them.
 *
 * - ucast: send to a list of peer addresses (Heartbeat `ucast eth0 10.0.0.2`)
 * - mcast: send to a multicast group (Heartbeat `mcast eth0 225.0.0.1 694 1 0`)
 * - bcast: send to the interface's broadcast address (Heartbeat `bcast eth1`)
 *
 * Pure: `linksFromHaCf` maps parsed ha.cf directives to specs; `resolveLink` fills in the local
 * addresses from an interface table (os.networkInterfaces() in the shell).
 */
import { InputError, InputErrors } from '../model/index.js';
import type { NodeId, SourceRef } from '../model/index.js';
import { DEFAULT_PORT } from './frame.js';

export type LinkId = string;

export interface UcastPeer {
  address: string;
  port?: number;
  /** The node at this address, when known; unicast messages then go only there. Learned otherwise. */
  node?: NodeId;
}

interface LinkBase {
  id: LinkId;
  /** Network interface name (eth0); used to find the local address when `bind` is not given. */
  interface?: string;
  /** Local IPv4 address to bind (and send from). */
  bind?: string;
  /** UDP port to listen on (default 694). */
  port: number;
}

export interface UcastLink extends LinkBase { kind: 'ucast'; peers: UcastPeer[] }
export interface McastLink extends LinkBase { kind: 'mcast'; group: string; ttl: number; loop: boolean }
export interface BcastLink extends LinkBase { kind: 'bcast'; /** Broadcast address; from the interface when absent. */ broadcast?: string }
export type LinkSpec = UcastLink | McastLink | BcastLink;

/** One ha.cf line as a loader parsed it: the keyword and its whitespace-separated values. */
export interface HaCfDirective {
  keyword: string;
  values: string[];
  where?: SourceRef;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

export function isMulticastIpv4(s: string): boolean {
  if (!isIpv4(s)) return false;
  const first = Number(s.split('.')[0]);
  return first >= 224 && first <= 239;
}

function parsePort(text: string, where: SourceRef, field: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new InputError(`"${text}" is not a UDP port`, where, { field, expected: 'an integer 1..65535' });
  return n;
}

/**
 * Map Heartbeat's ha.cf media directives to link specs. `udpport` sets the port of ucast and bcast
 * links (Heartbeat's rule; mcast names its own). ucast lines on one interface form one link with a
 * peer list; each bcast interface and each mcast line is its own link. All errors are reported together.
 */
export function linksFromHaCf(directives: readonly HaCfDirective[]): LinkSpec[] {
  const errors: InputError[] = [];
  let port = DEFAULT_PORT;
  const noWhere: SourceRef = { file: 'ha.cf' };
  for (const d of directives) {
    if (d.keyword === 'udpport') {
      try {
        if (d.values.length !== 1) throw new InputError('udpport takes one port', d.where ?? noWhere, { field: 'udpport', expected: 'udpport <port>' });
        port = parsePort(d.values[0], d.where ?? noWhere, 'udpport');
      } catch (e) { errors.push(e as InputError); }
    }
  }
  const links: LinkSpec[] = [];
  const ucastByIf = new Map<string, UcastLink>();
  let mcastN = 0;
  for (const d of directives) {
    const where = d.where ?? noWhere;
    try {
      switch (d.keyword) {
        case 'ucast': {
          if (d.values.length !== 2) throw new InputError('ucast takes an interface and a peer address', where, { field: 'ucast', expected: 'ucast <interface> <peer-address>' });
          const [ifname, addr] = d.values;
          let link = ucastByIf.get(ifname);
          if (!link) {
            link = { kind: 'ucast', id: `ucast-${ifname}`, interface: ifname, port, peers: [] };
            ucastByIf.set(ifname, link);
            links.push(link);
          }
          if (!link.peers.some((p) => p.address === addr)) link.peers.push({ address: addr });
          break;
        }
        case 'mcast': {
          if (d.values.length !== 5) throw new InputError('mcast takes five values', where, { field: 'mcast', expected: 'mcast <interface> <group> <port> <ttl> <loop>' });
          const [ifname, group, portText, ttlText, loopText] = d.values;
          if (!isMulticastIpv4(group)) throw new InputError(`"${group}" is not an IPv4 multicast group`, where, { field: 'mcast', expected: 'an address in 224.0.0.0/4' });
          const p = parsePort(portText, where, 'mcast port');
          const ttl = Number(ttlText);
          if (!/^\d+$/.test(ttlText) || ttl < 1 || ttl > 255) throw new InputError(`"${ttlText}" is not a TTL`, where, { field: 'mcast ttl', expected: '1..255' });
          if (loopText !== '0' && loopText !== '1') throw new InputError(`"${loopText}" is not 0 or 1`, where, { field: 'mcast loop', expected: '0 or 1' });
          mcastN += 1;
          links.push({ kind: 'mcast', id: `mcast-${ifname}${mcastN > 1 ? `-${mcastN}` : ''}`, interface: ifname, group, port: p, ttl, loop: loopText === '1' });
          break;
        }
        case 'bcast': {
          if (d.values.length === 0) throw new InputError('bcast takes one or more interfaces', where, { field: 'bcast', expected: 'bcast <interface> [<interface>...]' });
          for (const ifname of d.values) {
            if (!links.some((l) => l.id === `bcast-${ifname}`)) links.push({ kind: 'bcast', id: `bcast-${ifname}`, interface: ifname, port });
          }
          break;
        }
        default:
          break;
      }
    } catch (e) { errors.push(e as InputError); }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new InputErrors(errors);
  return links;
}

/** The shape of os.networkInterfaces(), reduced to what we read. */
export type InterfaceTable = Record<string, Array<{ address: string; netmask: string; family: string | number; internal: boolean }> | undefined>;

/** IPv4 directed broadcast address of address/netmask. */
export function broadcastAddress(address: string, netmask: string): string {
  const a = address.split('.').map(Number);
  const m = netmask.split('.').map(Number);
  return a.map((o, i) => (o | (~m[i] & 0xff)) & 0xff).join('.');
}

/**
 * Fill in `bind` (and a bcast link's broadcast address) from the interface table. Returns the
 * link unchanged when it already says where to bind.
 */
export function resolveLink(link: LinkSpec, interfaces: InterfaceTable, where: SourceRef = { file: 'links' }): LinkSpec {
  if (link.bind && (link.kind !== 'bcast' || link.broadcast)) return link;
  if (!link.interface) {
    if (link.bind) return { ...link, broadcast: '255.255.255.255' } as LinkSpec;
    throw new InputError(`link ${link.id} names neither an interface nor a bind address`, where, { field: 'bind', expected: 'an interface name or an IPv4 address' });
  }
  const v4 = (interfaces[link.interface] ?? []).find((a) => a.family === 'IPv4' || a.family === 4);
  if (!v4) throw new InputError(`interface ${link.interface} of link ${link.id} has no IPv4 address`, where, { field: 'interface', expected: `one of: ${Object.keys(interfaces).join(', ')}` });
  const bind = link.bind ?? v4.address;
  if (link.kind === 'bcast') return { ...link, bind, broadcast: link.broadcast ?? broadcastAddress(v4.address, v4.netmask) };
  return { ...link, bind };
}
