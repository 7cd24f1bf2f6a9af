/**
 * Heartbeat v1 (ha.cf + haresources [+ authkeys]) → the cluster model and engine settings, with
 * Heartbeat v1's behaviour:
 * - each haresources line is a group (start left to right, stop right to left) that prefers the
 *   line's node by a location score of 100;
 * - auto_failback on: no stickiness, so a group moves back when its node returns; off: stickiness
 *   1000 per resource, more than the preference, so it stays where it runs (a finite value, not
 *   INFINITY, so that `vigil resource move` — an INFINITY preference — can still move it);
 * - no fencing and no quorum (no-quorum-policy ignore, two-node): a split can run a group twice.
 * Heartbeat resource scripts stay what they were (class heartbeat, arguments as params 1, 2, ...);
 * with `useOcf` the ones that have an OCF equivalent are translated.
 */
import type { Attributes, Cib, ClusterConfig, Constraint, Group, NodeConfig, Primitive } from '../../model/cluster.js';
import { InputError, InputErrors, type Warning } from '../../model/errors.js';
import { DEFAULTS, type EngineSettings, type LinkSettings } from '../settings.js';
import { emptyStatus } from '../vigil/load.js';
import type { Authkeys } from './authkeys.js';
import type { HaCf } from './ha-cf.js';
import type { HaResource, HaResourceGroup } from './haresources.js';

export const PREFERRED_NODE_SCORE = 100;
export const NO_FAILBACK_STICKINESS = 1000;

export interface HeartbeatOptions {
  /** Translate Heartbeat scripts to their OCF (or LSB) equivalents where one exists. */
  useOcf?: boolean;
  /** The directory the files came from (settings.paths.config, authkeys path). */
  dir?: string;
}

export interface HeartbeatModel {
  config: ClusterConfig;
  cib: Cib;
  settings: EngineSettings;
  warnings: Warning[];
  /** Per resource id: what it was in haresources and its OCF equivalent, for the import output. */
  notes: Map<string, string>;
}

/** Classic scripts of Heartbeat's resource.d; any other name was an init script in /etc/init.d. */
export const HEARTBEAT_SCRIPTS: ReadonlySet<string> = new Set([
  'AudibleAlarm', 'Delay', 'Filesystem', 'ICP', 'IPaddr', 'IPaddr2', 'IPsrcaddr', 'IPv6addr', 'LVM', 'LinuxSCSI', 'MailTo',
  'OCF', 'Raid1', 'SendArp', 'ServeRAID', 'WAS', 'WinPopup', 'Xinetd', 'apache', 'db2', 'drbddisk', 'hto-mapfuncs', 'ids', 'portblock',
]);

interface OcfEquivalent { agent: string; params: Attributes; note?: string }

/** The OCF agent that does what a Heartbeat script did, with its positional arguments named. */
export function ocfEquivalent(r: Pick<HaResource, 'script' | 'args'>): OcfEquivalent | undefined {
  const a = r.args;
  const named = (names: string[]): Attributes => {
    const p: Attributes = {};
    names.forEach((n, i) => { if (a[i] !== undefined && a[i] !== '') p[n] = a[i]; });
    return p;
  };
  switch (r.script) {
    case 'IPaddr':
    case 'IPaddr2': {
      // ip[/netmask_bits[/interface[/broadcast]]]
      const [ip, bits, nic, broadcast] = (a[0] ?? '').split('/');
      const p: Attributes = { ip };
      if (bits) p.cidr_netmask = bits;
      if (nic) p.nic = nic;
      if (broadcast) p.broadcast = broadcast;
      return { agent: 'ocf:heartbeat:IPaddr2', params: p };
    }
    case 'Filesystem': return { agent: 'ocf:heartbeat:Filesystem', params: named(['device', 'directory', 'fstype', 'options']) };
    case 'IPsrcaddr': return { agent: 'ocf:heartbeat:IPsrcaddr', params: named(['ipaddress']) };
    case 'IPv6addr': return { agent: 'ocf:heartbeat:IPv6addr', params: named(['ipv6addr']) };
    case 'MailTo': return { agent: 'ocf:heartbeat:MailTo', params: named(['email', 'subject']) };
    case 'Delay': return { agent: 'ocf:heartbeat:Delay', params: named(['startdelay', 'stopdelay']) };
    case 'LVM': return { agent: 'ocf:heartbeat:LVM', params: named(['volgrpname']) };
    case 'apache': return { agent: 'ocf:heartbeat:apache', params: named(['configfile']) };
    case 'portblock': return { agent: 'ocf:heartbeat:portblock', params: named(['protocol', 'portno', 'action']) };
    case 'SendArp': return { agent: 'ocf:heartbeat:SendArp', params: (() => { const [ip, nic] = (a[0] ?? '').split('/'); const p: Attributes = { ip }; if (nic) p.nic = nic; return p; })() };
    case 'drbddisk': return undefined;
    default:
      if (HEARTBEAT_SCRIPTS.has(r.script)) return undefined;
      return a.length === 0 ? { agent: `lsb:${r.script}`, params: {}, note: 'init script' } : undefined;
  }
}

function idFor(r: HaResource): string {
  const base = r.script === 'IPaddr' || r.script === 'IPaddr2' ? (r.args[0] ?? '').split('/')[0] : r.args[0];
  const tail = base === undefined ? '' : base.replace(/[^A-Za-z0-9_.]+/g, '-').replace(/^-+|-+$/g, '');
  const id = tail ? `${r.script}-${tail}` : r.script;
  return /^[A-Za-z_]/.test(id) ? id : `r-${id}`;
}

export function heartbeatToModel(cf: HaCf, groups: HaResourceGroup[], authkeys: Authkeys | undefined, options: HeartbeatOptions = {}): HeartbeatModel {
  const errors: InputError[] = [];
  const warnings: Warning[] = [...cf.warnings, ...(authkeys?.warnings ?? [])];
  const notes = new Map<string, string>();
  const nodeNames = cf.nodes.map((n) => n.name);
  const nodes: NodeConfig[] = cf.nodes.map((n, i) => ({ id: String(i + 1), name: n.name, type: 'member', attributes: {}, utilization: {} }));

  const usedIds = new Set<string>();
  const seenText = new Map<string, HaResource>();
  const unique = (base: string): string => {
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
    usedIds.add(id);
    return id;
  };
  const resources: Group[] = [];
  const constraints: Constraint[] = [];
  groups.forEach((g, gi) => {
    if (!nodeNames.includes(g.node)) {
      errors.push(new InputError(`node "${g.node}" is not a node in ${cf.file}`, g.where, { field: g.node, expected: `one of ${nodeNames.join(', ')}` }));
    }
    const members: Primitive[] = [];
    for (const r of g.resources) {
      const first = seenText.get(r.text);
      if (first) {
        errors.push(new InputError(`resource "${r.text}" is already in the group on line ${first.where.line}`, r.where, { field: r.text, expected: 'each resource in one line only' }));
        continue;
      }
      seenText.set(r.text, r);
      const id = unique(idFor(r));
      const eq = ocfEquivalent(r);
      const asWritten = r.args.length ? `${r.script} ${r.args.join(' ')}` : r.script;
      const params: Attributes = {};
      r.args.forEach((a, i) => { params[String(i + 1)] = a; });
      let agent: Primitive['agent'] = { class: 'heartbeat', type: r.script };
      let p = params;
      if (options.useOcf && eq) {
        const [cls, provider, type] = eq.agent.split(':');
        agent = cls === 'ocf' ? { class: 'ocf', provider, type } : { class: 'lsb', type: provider };
        p = eq.params;
        notes.set(id, `haresources line ${r.where.line}: ${r.text} (Heartbeat script ${asWritten}), translated to ${eq.agent}`);
      } else if (eq) {
        const ps = Object.entries(eq.params).map(([k, v]) => `${k}=${v}`).join(' ');
        notes.set(id, `haresources line ${r.where.line}: ${r.text}. ${eq.note === 'init script' ? `Run as Heartbeat did (resource.d, else /etc/init.d); LSB equivalent: ${eq.agent}` : `OCF equivalent: ${eq.agent}${ps ? ` ${ps}` : ''}`} (--ocf uses it)`);
      } else {
        notes.set(id, `haresources line ${r.where.line}: ${r.text} (Heartbeat script ${r.script}; no OCF equivalent is known${r.script === 'drbddisk' ? ' — the OCF way is ocf:linbit:drbd as a promotable clone' : ''})`);
      }
      members.push({ kind: 'primitive', id, agent, params: p, meta: {}, operations: [], utilization: {}, origin: r.where });
    }
    if (members.length === 0) return;
    const groupId = unique(`group-${gi + 1}`);
    resources.push({ kind: 'group', id: groupId, meta: {}, members, origin: g.where });
    if (nodeNames.includes(g.node)) {
      constraints.push({ kind: 'location', id: `location-${groupId}-${g.node}`, rsc: groupId, node: g.node, score: PREFERRED_NODE_SCORE, rules: [], origin: g.where });
    }
  });
  if (errors.length > 0) throw new InputErrors(errors);
  if (groups.length > 0) warnings.push({ where: { file: groups[0].where.file }, message: 'Heartbeat v1 did not monitor resources and neither will Vigil for these: add monitor operations (ops:) to have failures detected' });

  const failback = cf.autoFailback !== 'off';
  const rscDefaults: Attributes = { 'resource-stickiness': failback ? '0' : String(NO_FAILBACK_STICKINESS) };
  const config: ClusterConfig = {
    name: 'heartbeat',
    nodes,
    resources,
    constraints,
    properties: { 'stonith-enabled': 'false', 'no-quorum-policy': 'ignore' },
    rscDefaults,
    opDefaults: {},
    fencingTopology: [],
  };
  const settings = heartbeatSettings(cf, options.dir, warnings);
  warnings.push({
    where: { file: cf.file },
    message: 'Heartbeat v1 semantics: no fencing and no quorum (no_quorum_policy ignore). If the nodes lose contact while both are up, BOTH run the resources (split-brain: two owners of the virtual IP, a file system mounted twice). Configure fencing (cluster.fencing) or a witness before relying on this.',
  });
  return { config, cib: { config, status: emptyStatus() }, settings, warnings, notes };
}

function heartbeatSettings(cf: HaCf, dir: string | undefined, warnings: Warning[]): EngineSettings {
  const links: LinkSettings[] = [];
  const base = { ttl: DEFAULTS.ttl, loop: false, peers: [] as string[] };
  for (const l of cf.links) {
    if (l.kind === 'bcast') {
      if (!links.some((x) => x.transport === 'broadcast' && x.interface === l.interface)) links.push({ ...base, name: `bcast-${l.interface}`, transport: 'broadcast', interface: l.interface, port: cf.udpport });
    } else if (l.kind === 'ucast') {
      let link = links.find((x) => x.transport === 'unicast' && x.interface === l.interface);
      if (!link) { link = { ...base, peers: [], name: `ucast-${l.interface}`, transport: 'unicast', interface: l.interface, port: cf.udpport }; links.push(link); }
      if (!link.peers.includes(l.peer)) link.peers.push(l.peer);
    } else {
      const n = links.filter((x) => x.transport === 'multicast' && x.interface === l.interface).length;
      links.push({ ...base, name: `mcast-${l.interface}${n ? `-${n + 1}` : ''}`, transport: 'multicast', interface: l.interface, port: l.port, group: l.group, ttl: l.ttl, loop: l.loop });
    }
  }
  // Heartbeat's own defaults where ha.cf is silent.
  const keepaliveMs = cf.keepaliveMs ?? 2000;
  let deadtimeMs = cf.deadtimeMs ?? 30_000;
  if (deadtimeMs < keepaliveMs * 2) {
    warnings.push({ where: { file: cf.file }, message: `deadtime (${deadtimeMs} ms) is less than two keepalives; using ${keepaliveMs * 2} ms` });
    deadtimeMs = keepaliveMs * 2;
  }
  let warntimeMs = cf.warntimeMs ?? Math.max(keepaliveMs, Math.round(deadtimeMs / 2));
  if (warntimeMs > deadtimeMs || warntimeMs < keepaliveMs) {
    const fixed = Math.min(deadtimeMs, Math.max(keepaliveMs, warntimeMs));
    warnings.push({ where: { file: cf.file }, message: `warntime (${warntimeMs} ms) must lie between keepalive and deadtime; using ${fixed} ms` });
    warntimeMs = fixed;
  }
  let initdeadMs = cf.initdeadMs ?? 2 * deadtimeMs;
  if (initdeadMs < deadtimeMs) {
    warnings.push({ where: { file: cf.file }, message: `initdead (${initdeadMs} ms) is shorter than deadtime; using deadtime` });
    initdeadMs = deadtimeMs;
  }
  const where = dir ?? cf.file.replace(/\/?[^/]*$/, '') ?? '.';
  return {
    source: 'heartbeat',
    clusterName: 'heartbeat',
    nodes: cf.nodes.map((n, i) => ({ name: n.name, id: i + 1, addresses: [], votes: 1 })),
    transport: { links, authkeyFile: `${where || '.'}/authkeys`, keyFormat: 'heartbeat-authkeys', auth: 'hmac-sha256', cipher: 'none' },
    membership: { keepaliveMs, warntimeMs, deadtimeMs, initdeadMs },
    quorum: { twoNode: cf.nodes.length === 2, waitForAll: false },
    fencing: { enabled: false, delayMs: {} },
    noQuorumPolicy: 'ignore',
    paths: { config: where || '.', stateDir: DEFAULTS.stateDir, runtimeDir: DEFAULTS.runtimeDir },
  };
}
