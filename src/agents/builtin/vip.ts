/**
 * builtin:vip — a virtual IP address. Start adds it with `ip addr add` and announces it with
 * gratuitous ARP (`arping -U`, and/or `-A`) or, for IPv6, unsolicited neighbour advertisements
 * (resource-agents' `send_ua`, where installed); monitor looks for it in `ip -o addr show`, stop
 * removes it. Every command is run with execFile semantics (argv as data).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { OcfRc } from '../../model/index.js';
import { abnormalEnd } from '../rc.js';
import type { AgentContext } from '../types.js';
import { builtinDriver, isTrue, ok, rc, type BuiltinCall } from './define.js';

export interface InterfaceAddress {
  ifname: string;
  family: 'inet' | 'inet6';
  address: string;
  prefix: number;
  label?: string;
}

/** Parse `ip -o addr show` lines: `2: eth0    inet 192.0.2.10/24 brd ... scope global eth0:vip\ ...`. */
export function parseAddrShow(text: string): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[5].split('\\')[0];
    const label = /\bscope \S+ (?:(?:secondary|dynamic|noprefixroute|deprecated|tentative|nodad|temporary)\s+)*(\S+)\s*$/.exec(rest.trim())?.[1];
    out.push({ ifname: m[1], family: m[2] as 'inet' | 'inet6', address: m[3], prefix: Number(m[4]), label: label && label !== m[1] ? label : undefined });
  }
  return out;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => (acc * 256) + Number(o), 0);
}

/** Whether `ip` lies in `net/prefix` (IPv4). */
export function inSubnet(ip: string, net: string, prefix: number): boolean {
  if (!isIPv4(ip) || !isIPv4(net)) return false;
  if (prefix === 0) return true;
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4ToInt(ip) / size) === Math.floor(ipv4ToInt(net) / size);
}

/** The interface (and prefix) whose configured subnet holds `ip`, the way IPaddr2's findif does. */
export function findInterface(addrs: InterfaceAddress[], ip: string): { ifname: string; prefix: number } | undefined {
  const hit = addrs.find((a) => a.family === 'inet' && a.ifname !== 'lo' && a.address !== ip && a.prefix < 32 && inSubnet(ip, a.address, a.prefix));
  return hit ? { ifname: hit.ifname, prefix: hit.prefix } : undefined;
}

async function addresses(ctx: AgentContext, family: '-4' | '-6', dev?: string): Promise<{ addrs?: InterfaceAddress[]; error?: string; missingDev?: boolean }> {
  const argv = ['ip', '-o', family, 'addr', 'show', ...(dev ? ['dev', dev] : [])];
  const p = await ctx.run(argv, { timeoutMs: 10_000 });
  const bad = abnormalEnd(p, 'ip addr show');
  if (bad) return { error: bad.exitReason };
  if (p.exitCode !== 0) {
    if (dev && /does not exist|Cannot find device/i.test(p.stderr)) return { missingDev: true };
    return { error: `ip addr show: ${p.stderr.trim()}` };
  }
  return { addrs: parseAddrShow(p.stdout) };
}

interface Placement { ip: string; family: '-4' | '-6'; nic: string; prefix: number; label?: string }

/** Where the address goes: the configured nic and netmask, or the ones found from existing subnets. */
async function placement(call: BuiltinCall): Promise<Placement | { problem: string; rc: number }> {
  const { ip, nic, cidr_netmask: mask, label } = call.params;
  const family = isIPv6(ip) ? '-6' : '-4';
  if (!isIPv4(ip) && !isIPv6(ip)) return { problem: `ip "${ip}" is not an IP address`, rc: OcfRc.NotConfigured };
  let prefix = mask !== undefined && mask !== '' ? Number(mask) : undefined;
  if (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === '-4' ? 32 : 128))) {
    return { problem: `cidr_netmask "${mask}" is not a prefix length`, rc: OcfRc.NotConfigured };
  }
  let dev = nic || undefined;
  if (!dev || prefix === undefined) {
    const all = await addresses(call.ctx, '-4');
    if (all.error) return { problem: all.error, rc: OcfRc.Error };
    const found = family === '-4' ? findInterface(all.addrs ?? [], ip) : undefined;
    if (!dev) {
      if (!found) return { problem: `no interface has a subnet that contains ${ip}; set nic`, rc: OcfRc.NotConfigured };
      dev = found.ifname;
    }
    prefix ??= found && found.ifname === dev ? found.prefix : (family === '-4' ? 32 : 128);
  }
  const fullLabel = label ? (label.startsWith(`${dev}:`) ? label : `${dev}:${label}`) : undefined;
  return { ip, family, nic: dev, prefix, label: fullLabel };
}

/** Where the address is configured now: on the configured nic, or (nic not given) on any interface. */
async function findAddress(call: BuiltinCall, p: Placement): Promise<{ found?: InterfaceAddress[]; error?: string; missingDev?: boolean }> {
  const r = await addresses(call.ctx, p.family, call.params.nic || undefined);
  if (r.missingDev) return { found: [], missingDev: true };
  if (r.error) return { error: r.error };
  return { found: (r.addrs ?? []).filter((a) => a.address === p.ip) };
}

async function present(call: BuiltinCall, p: Placement): Promise<{ up?: boolean; error?: string; missingDev?: boolean }> {
  const r = await findAddress(call, p);
  return r.error ? { error: r.error } : { up: (r.found ?? []).length > 0, missingDev: r.missingDev };
}

/** Running announcers, per resource, so stop can end them and they never outlive the address. */
const announcers = new Map<string, ChildProcess[]>();

function stopAnnouncer(resource: string): void {
  for (const child of announcers.get(resource) ?? []) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
  }
  announcers.delete(resource);
}

/** iputils arping takes whole seconds for -i. */
function arpingArgv(p: Placement, mode: '-U' | '-A', count: number, intervalS: number): string[] {
  return ['arping', '-q', mode, '-c', String(count), '-i', String(intervalS), '-I', p.nic, '-s', p.ip, p.ip];
}

/** resource-agents' sender of unsolicited neighbour advertisements, IPv6's gratuitous ARP (IPaddr2 uses it). */
const SEND_UA = ['/usr/libexec/heartbeat/send_ua', '/usr/lib/heartbeat/send_ua'];

/** How long an announcer gets to fail visibly (bad device, bad arguments) before start returns. */
const EARLY_FAILURE_MS = 150;

/**
 * Tell the neighbours that the address now lives here. arping sends its first packet at once but
 * then waits an interval before exiting, so it runs in the background (as IPaddr2 does by
 * default): start returns after a short look for an immediate failure, not after the repeats.
 */
async function announce(call: BuiltinCall, p: Placement): Promise<string | undefined> {
  const count = Math.max(0, Math.round(Number(call.params.arp_count)));
  if (count === 0) return undefined;
  const interval = Math.max(1, Math.round(Number(call.params.arp_interval)));
  const senders: Array<{ what: string; argv: string[] }> = [];
  if (p.family === '-4') {
    const modes: Array<'-U' | '-A'> = call.params.arp_mode === 'reply' ? ['-A'] : call.params.arp_mode === 'both' ? ['-U', '-A'] : ['-U'];
    for (const mode of modes) senders.push({ what: `arping ${mode}`, argv: arpingArgv(p, mode, count, interval) });
  } else {
    // Without send_ua the neighbours find the address when their entry for it goes stale.
    const sendUa = SEND_UA.find((f) => existsSync(f));
    if (!sendUa) return undefined;
    senders.push({ what: 'send_ua', argv: [sendUa, '-i', String(interval * 1000), '-c', String(count), p.ip, String(p.prefix), p.nic] });
  }
  stopAnnouncer(call.req.resource);
  const children: ChildProcess[] = [];
  const early: Array<Promise<string | undefined>> = [];
  for (const { what, argv: cmd } of senders) {
    const argv = [...call.ctx.settings.commandPrefix, ...cmd];
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: call.ctx.settings.baseEnv });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    children.push(child);
    early.push(new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), EARLY_FAILURE_MS);
      child.once('error', (e) => { clearTimeout(t); resolve(`${what}: ${e.message}`); });
      child.once('exit', (code, sig) => {
        clearTimeout(t);
        resolve(code === 0 ? undefined : `${what} failed (${code ?? sig}): ${stderr.trim()}`);
      });
    }));
    child.unref();
    // The pipe is a socket handle: let it not keep the daemon's event loop alive either.
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  }
  announcers.set(call.req.resource, children);
  const problems = (await Promise.all(early)).filter((x): x is string => x !== undefined);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

async function start(call: BuiltinCall) {
  const p = await placement(call);
  if ('problem' in p) return rc(p.rc, p.problem);
  const st = await present(call, p);
  if (st.error) return rc(OcfRc.Error, st.error);
  if (st.missingDev) return rc(OcfRc.NotConfigured, `interface ${p.nic} does not exist`);
  if (!st.up) {
    // IPv6: usable at once (nodad), as a failover needs; fencing, not DAD, keeps it unique.
    const argv = ['ip', p.family, 'addr', 'add', `${p.ip}/${p.prefix}`, 'dev', p.nic, ...(p.label ? ['label', p.label] : []), ...(p.family === '-6' ? ['nodad'] : [])];
    const r = await call.ctx.run(argv, { timeoutMs: 10_000 });
    const bad = abnormalEnd(r, 'ip addr add');
    if (bad) return bad;
    if (r.exitCode !== 0) return rc(OcfRc.Error, `ip addr add ${p.ip}/${p.prefix} dev ${p.nic}: ${r.stderr.trim()}`, r.stdout, r.stderr);
  }
  if (!isTrue(call.params.no_announce)) {
    const problem = await announce(call, p);
    if (problem) return rc(OcfRc.Error, problem);
  }
  return ok();
}

async function stop(call: BuiltinCall) {
  stopAnnouncer(call.req.resource);
  const p = await placement(call);
  if ('problem' in p) return ok(); // never configured here, so nothing to remove
  const r = await findAddress(call, p);
  if (r.error) return rc(OcfRc.Error, r.error);
  // Remove it wherever it is, with the prefix it actually has (the kernel matches on both).
  for (const a of r.found ?? []) {
    const del = await call.ctx.run(['ip', p.family, 'addr', 'del', `${a.address}/${a.prefix}`, 'dev', a.ifname], { timeoutMs: 10_000 });
    const bad = abnormalEnd(del, 'ip addr del');
    if (bad) return bad;
  }
  const after = await present(call, p);
  if (after.error) return rc(OcfRc.Error, after.error);
  if (after.up) return rc(OcfRc.Error, `${p.ip} is still configured after ip addr del`);
  return ok();
}

async function monitor(call: BuiltinCall) {
  const p = await placement(call);
  // Unplaceable here (no matching interface) means it cannot be running here.
  if ('problem' in p) return p.rc === OcfRc.NotConfigured ? rc(OcfRc.NotRunning) : rc(p.rc, p.problem);
  const st = await present(call, p);
  if (st.error) return rc(OcfRc.Error, st.error);
  return st.up ? ok() : rc(OcfRc.NotRunning);
}

async function reannounce(call: BuiltinCall) {
  const p = await placement(call);
  if ('problem' in p) return rc(p.rc, p.problem);
  const st = await present(call, p);
  if (!st.up) return rc(OcfRc.NotRunning, `${p.ip} is not configured here`);
  const problem = await announce(call, p);
  return problem ? rc(OcfRc.Error, problem) : ok();
}

export const vipAgent = builtinDriver({
  metadata: () => ({
    name: 'vip', version: '1.0',
    shortdesc: 'A virtual IP address, announced with gratuitous ARP',
    longdesc: 'Adds ip/cidr_netmask to nic (found from the subnets configured when not given) with ip addr, announces it with arping (IPv6: unsolicited neighbour advertisements with send_ua from resource-agents, where installed; the address is added without duplicate address detection), and removes it on stop. The extra action "announce" repeats the announcement (after a partition heals).',
    parameters: [
      { name: 'ip', required: true, unique: true, reloadable: false, type: 'string', shortdesc: 'IPv4 or IPv6 address' },
      { name: 'cidr_netmask', required: false, unique: false, reloadable: false, type: 'integer', shortdesc: 'Prefix length (default: that of the matching subnet, else 32)' },
      { name: 'nic', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'Interface (default: the one whose subnet holds ip)' },
      { name: 'label', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'Address label (nic:label)' },
      { name: 'arp_count', required: false, unique: false, reloadable: true, type: 'integer', default: '5', shortdesc: 'Gratuitous ARP packets per mode' },
      { name: 'arp_interval', required: false, unique: false, reloadable: true, type: 'integer', default: '1', shortdesc: 'Seconds between repeated gratuitous ARP packets (arping takes whole seconds)' },
      { name: 'arp_mode', required: false, unique: false, reloadable: true, type: 'select', default: 'both', options: ['unsolicited', 'reply', 'both'], shortdesc: 'arping -U, -A or both' },
      { name: 'no_announce', required: false, unique: false, reloadable: true, type: 'boolean', default: 'false', shortdesc: 'Do not send gratuitous ARP' },
    ],
    actions: [
      { name: 'start', timeoutMs: 20_000 }, { name: 'stop', timeoutMs: 20_000 },
      { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000 }, { name: 'announce', timeoutMs: 20_000 },
      { name: 'validate-all', timeoutMs: 5_000 }, { name: 'meta-data', timeoutMs: 5_000 },
    ],
  }),
  async validate(call) {
    const ip = call.params.ip ?? '';
    return ip === '' || isIPv4(ip) || isIPv6(ip) ? [] : [`ip "${ip}" is not an IP address`];
  },
  actions: { start, stop, monitor, announce: reannounce },
});
