/**
 * Heartbeat v1 `ha.cf`: one directive per line, `keyword value...`, `#` comments. We accept every
 * directive Heartbeat accepted (an unknown one is an error, as it was for Heartbeat), honour the
 * ones that mean something to Vigil, and warn about the rest.
 */
import type { SourceRef } from '../../model/cluster.js';
import { InputError, InputErrors, type Warning } from '../../model/errors.js';
import { parseDuration, type Millis } from '../../model/time.js';
import { didYouMean } from '../suggest.js';

export interface HaCfDirective {
  keyword: string;
  values: string[];
  where: SourceRef;
}

export type HaCfLink =
  | { kind: 'bcast'; interface: string; where: SourceRef }
  | { kind: 'ucast'; interface: string; peer: string; where: SourceRef }
  | { kind: 'mcast'; interface: string; group: string; port: number; ttl: number; loop: boolean; where: SourceRef };

export interface HaCf {
  file: string;
  /** Every directive in file order, for layers that read ha.cf themselves (e.g. transport links). */
  directives: HaCfDirective[];
  nodes: Array<{ name: string; where: SourceRef }>;
  links: HaCfLink[];
  udpport: number;
  keepaliveMs?: Millis;
  deadtimeMs?: Millis;
  warntimeMs?: Millis;
  initdeadMs?: Millis;
  /** on: fail back to the preferred node when it returns; off: stay where it runs. legacy is taken as on. */
  autoFailback: 'on' | 'off' | 'legacy';
  autoFailbackWhere?: SourceRef;
  /** `crm on|yes|respawn`: Heartbeat v2 mode, where haresources is ignored. */
  crm: boolean;
  crmWhere?: SourceRef;
  warnings: Warning[];
}

type Handler = (d: HaCfDirective, cf: HaCf, errors: InputError[]) => void;

const bool = (v: string): boolean | undefined => {
  const t = v.toLowerCase();
  if (['on', 'yes', 'true', 'y', '1'].includes(t)) return true;
  if (['off', 'no', 'false', 'n', '0'].includes(t)) return false;
  return undefined;
};

function expectValues(d: HaCfDirective, n: number, usage: string, errors: InputError[]): boolean {
  if (d.values.length === n) return true;
  errors.push(new InputError(`${d.keyword} takes ${n} value${n === 1 ? '' : 's'}, got ${d.values.length}`, d.where, { field: d.keyword, expected: usage }));
  return false;
}

function time(field: 'keepaliveMs' | 'deadtimeMs' | 'warntimeMs' | 'initdeadMs'): Handler {
  return (d, cf, errors) => {
    if (!expectValues(d, 1, `${d.keyword} <seconds> or ${d.keyword} <n>ms`, errors)) return;
    const v = parseDuration(d.values[0]);
    if (v === undefined || v <= 0) errors.push(new InputError(`"${d.values[0]}" is not a time`, d.where, { field: d.keyword, expected: 'seconds (30) or milliseconds (500ms)' }));
    else cf[field] = v;
  };
}

function ignored(why: string): Handler {
  return (d, cf) => { cf.warnings.push({ where: d.where, message: `${d.keyword}: ${why}` }); };
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const NOT_LOGGING = 'not used: Vigil logs structured lines to stderr (the journal under systemd)';

const HANDLERS: Record<string, Handler> = {
  keepalive: time('keepaliveMs'),
  deadtime: time('deadtimeMs'),
  warntime: time('warntimeMs'),
  initdead: time('initdeadMs'),
  udpport: (d, cf, errors) => {
    if (!expectValues(d, 1, 'udpport <port>', errors)) return;
    const p = Number(d.values[0]);
    if (!/^\d+$/.test(d.values[0]) || p < 1 || p > 65535) errors.push(new InputError(`"${d.values[0]}" is not a UDP port`, d.where, { field: 'udpport', expected: 'a port 1..65535' }));
    else cf.udpport = p;
  },
  bcast: (d, cf, errors) => {
    if (d.values.length === 0) { errors.push(new InputError('bcast needs an interface', d.where, { field: 'bcast', expected: 'bcast <interface> [<interface>...]' })); return; }
    for (const i of d.values) cf.links.push({ kind: 'bcast', interface: i, where: d.where });
  },
  ucast: (d, cf, errors) => {
    if (!expectValues(d, 2, 'ucast <interface> <peer-address>', errors)) return;
    if (!IPV4.test(d.values[1])) { errors.push(new InputError(`"${d.values[1]}" is not an IPv4 address`, d.where, { field: 'ucast', expected: 'ucast <interface> <peer-address>' })); return; }
    cf.links.push({ kind: 'ucast', interface: d.values[0], peer: d.values[1], where: d.where });
  },
  mcast: (d, cf, errors) => {
    if (!expectValues(d, 5, 'mcast <interface> <group> <port> <ttl> <loop>', errors)) return;
    const [iface, group, port, ttl, loop] = d.values;
    const first = Number(group.split('.')[0]);
    const bad = (what: string, expected: string): void => { errors.push(new InputError(`${what} in mcast`, d.where, { field: 'mcast', expected })); };
    if (!IPV4.test(group) || first < 224 || first > 239) return bad(`"${group}" is not a multicast group`, 'an IPv4 address in 224.0.0.0/4');
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) return bad(`"${port}" is not a port`, 'a port 1..65535');
    if (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > 255) return bad(`"${ttl}" is not a TTL`, 'a TTL 1..255');
    if (loop !== '0' && loop !== '1') return bad(`"${loop}" is not a loop flag`, '0 or 1');
    cf.links.push({ kind: 'mcast', interface: iface, group, port: Number(port), ttl: Number(ttl), loop: loop === '1', where: d.where });
  },
  mcast6: ignored('IPv6 multicast links are not supported yet; use mcast, ucast or bcast'),
  serial: ignored('serial links are not supported; Vigil needs at least one UDP link (bcast, mcast or ucast)'),
  baud: ignored('serial links are not supported'),
  node: (d, cf, errors) => {
    if (d.values.length === 0) { errors.push(new InputError('node needs a node name', d.where, { field: 'node', expected: 'node <uname -n> [...]' })); return; }
    for (const name of d.values) {
      if (cf.nodes.some((n) => n.name === name)) errors.push(new InputError(`node "${name}" is listed twice`, d.where, { field: 'node', expected: 'each node once' }));
      else cf.nodes.push({ name, where: d.where });
    }
  },
  auto_failback: (d, cf, errors) => {
    if (!expectValues(d, 1, 'auto_failback on|off|legacy', errors)) return;
    const v = d.values[0].toLowerCase();
    const b = bool(v);
    if (v === 'legacy') {
      cf.autoFailback = 'legacy';
      cf.warnings.push({ where: d.where, message: 'auto_failback legacy (for mixed Heartbeat versions) is taken as on' });
    } else if (b === undefined) {
      errors.push(new InputError(`"${d.values[0]}" is not on, off or legacy`, d.where, { field: 'auto_failback', expected: 'on, off or legacy' }));
      return;
    } else cf.autoFailback = b ? 'on' : 'off';
    cf.autoFailbackWhere = d.where;
  },
  nice_failback: (d, cf, errors) => {
    if (!expectValues(d, 1, 'nice_failback on|off', errors)) return;
    const b = bool(d.values[0]);
    if (b === undefined) { errors.push(new InputError(`"${d.values[0]}" is not on or off`, d.where, { field: 'nice_failback', expected: 'on or off' })); return; }
    cf.autoFailback = b ? 'off' : 'on';
    cf.autoFailbackWhere = d.where;
    cf.warnings.push({ where: d.where, message: `nice_failback is the old name of auto_failback (nice_failback ${d.values[0]} = auto_failback ${b ? 'off' : 'on'})` });
  },
  crm: (d, cf, errors) => {
    if (!expectValues(d, 1, 'crm on|off|respawn', errors)) return;
    const v = d.values[0].toLowerCase();
    const b = v === 'respawn' ? true : bool(v);
    if (b === undefined) { errors.push(new InputError(`"${d.values[0]}" is not on, off or respawn`, d.where, { field: 'crm', expected: 'on, off or respawn' })); return; }
    cf.crm = b;
    cf.crmWhere = d.where;
    if (b) cf.warnings.push({ where: d.where, message: 'crm on: Heartbeat v2 kept its resources in the CIB, not in haresources; import that with `vigil import cib FILE` (haresources, if present, is still read)' });
  },
  pacemaker: (d, cf) => { HANDLERS.crm({ ...d, keyword: 'crm' }, cf, []); },
  stonith: ignored('Heartbeat STONITH plugins are not run; fencing stays off — configure fence devices in vigil.yaml (cluster.fencing)'),
  stonith_host: ignored('Heartbeat STONITH plugins are not run; fencing stays off — configure fence devices in vigil.yaml (cluster.fencing)'),
  watchdog: ignored('Heartbeat\'s watchdog device is not used as such; set cluster.fencing.watchdog_timeout in vigil.yaml for self-fencing'),
  logfacility: ignored(NOT_LOGGING),
  logfile: ignored(NOT_LOGGING),
  debugfile: ignored(NOT_LOGGING),
  use_logd: ignored(NOT_LOGGING),
  conn_logd_time: ignored(NOT_LOGGING),
  syslogmsgfmt: ignored(NOT_LOGGING),
  debug: ignored('use VIGIL_LOG_LEVEL=debug'),
  ping: ignored('ping nodes are not supported; use a monitored resource for reachability'),
  ping_group: ignored('ping nodes are not supported; use a monitored resource for reachability'),
  hbaping: ignored('ping nodes are not supported'),
  deadping: ignored('ping nodes are not supported'),
  respawn: ignored('Vigil does not respawn helper processes; run them as resources or systemd units'),
  apiauth: ignored('the Heartbeat client API does not exist in Vigil'),
  compression: ignored('not needed: Vigil chunks large messages itself'),
  compression_threshold: ignored('not needed: Vigil chunks large messages itself'),
  traditional_compression: ignored('not needed'),
  msgfmt: ignored('Vigil has its own message format'),
  autojoin: ignored('nodes must be listed: Vigil does not let unknown nodes join'),
  realtime: ignored('not used'),
  rtprio: ignored('not used'),
  coredumps: ignored('not used'),
  hopfudge: ignored('not used'),
  generation_method: ignored('not used'),
  uuidfrom: ignored('not used: Vigil numbers nodes in the order they are listed'),
  max_rexmit_delay: ignored('not used'),
  client_children: ignored('not used'),
  record_config_changes: ignored('not used'),
  record_pengine_inputs: ignored('not used'),
  enable_config_writes: ignored('not used'),
  memreserve: ignored('not used'),
  quorum_server: ignored('use a Vigil witness (cluster.quorum.witness)'),
  register_to_apphbd: ignored('not used'),
};

export const HA_CF_KEYWORDS: readonly string[] = Object.keys(HANDLERS);

/** Parse ha.cf text. Throws InputError(s) naming file and line; returns warnings for what Vigil does not honour. */
export function parseHaCf(text: string, file: string): HaCf {
  const cf: HaCf = { file, directives: [], nodes: [], links: [], udpport: 694, autoFailback: 'legacy', crm: false, warnings: [] };
  const errors: InputError[] = [];
  let sawFailback = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const [keyword, ...values] = line.split(/\s+/);
    const where: SourceRef = { file, line: i + 1, column: raw.indexOf(keyword) + 1 };
    const d: HaCfDirective = { keyword: keyword.toLowerCase(), values, where };
    cf.directives.push(d);
    const handler = HANDLERS[d.keyword];
    if (!handler) {
      errors.push(new InputError(`unknown directive "${keyword}"${didYouMean(d.keyword, HA_CF_KEYWORDS)}`, where, { field: keyword, expected: 'a Heartbeat ha.cf directive' }));
      return;
    }
    if (d.keyword === 'auto_failback' || d.keyword === 'nice_failback') sawFailback = true;
    handler(d, cf, errors);
  });
  if (!sawFailback) {
    // Heartbeat's own default was "legacy"; say what that means here.
    cf.warnings.push({ where: { file }, message: 'no auto_failback line: Heartbeat\'s default "legacy" is taken as auto_failback on (resources move back to their preferred node)' });
  }
  if (cf.nodes.length === 0) errors.push(new InputError('no node lines', { file }, { field: 'node', expected: 'one "node <uname -n>" line per cluster node' }));
  if (cf.links.length === 0) errors.push(new InputError('no bcast, mcast or ucast line: the nodes would have no way to hear each other', { file }, { field: 'bcast/mcast/ucast', expected: 'e.g. "bcast eth0" or "ucast eth0 10.0.0.2"' }));
  if (errors.length > 0) throw new InputErrors(errors);
  return cf;
}

