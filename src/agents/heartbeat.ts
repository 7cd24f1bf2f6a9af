/**
 * Heartbeat v1 resource scripts: `<heartbeatDir>/<name> [args...] start|stop|status`, with the
 * arguments written into the haresources line after `::` (`IPaddr::10.0.0.5/24/eth0`,
 * `Filesystem::/dev/sdb1::/data::ext4`). A name not found there is an init script, as Heartbeat
 * did. Heartbeat judged `status` by what the script printed, not by its exit code: "running" or
 * "OK" means running; anything else ("stopped", "not running") means stopped.
 */
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { OcfRc, OpStatus } from '../model/index.js';
import { renderMetadata } from './metadata.js';
import { safeName } from './ocf.js';
import { abnormalEnd, lsbToOcf } from './rc.js';
import type { AgentContext, AgentDriver, AgentRequest, AgentResult } from './types.js';
import { vipAgent } from './builtin/vip.js';

/** Heartbeat's address scripts, run by builtin:vip when the script itself is not installed. */
const ADDRESS_SCRIPTS = new Set(['IPaddr', 'IPaddr2']);

/**
 * `10.0.0.5/24/eth0[/broadcast]` (IPaddr's argument) as builtin:vip parameters. The netmask may
 * also be dotted (255.255.255.0).
 */
export function ipaddrArgsToVip(arg: string): Record<string, string> | undefined {
  const [ip, mask, nic] = arg.split('/');
  if (!ip) return undefined;
  const params: Record<string, string> = { ip };
  if (mask) {
    if (/^\d+$/.test(mask)) params.cidr_netmask = mask;
    else if (/^\d+\.\d+\.\d+\.\d+$/.test(mask)) {
      const bits = mask.split('.').map(Number).reduce((n, o) => n + (o >>> 0).toString(2).split('').filter((b) => b === '1').length, 0);
      params.cidr_netmask = String(bits);
    } else return undefined;
  }
  if (nic) params.nic = nic;
  return params;
}

/** The builtin:vip request standing in for a missing IPaddr/IPaddr2 script, if this is one. */
function vipStandIn(req: AgentRequest, spec: HeartbeatResourceSpec): AgentRequest | undefined {
  if (!ADDRESS_SCRIPTS.has(spec.name) || spec.args.length === 0) return undefined;
  const params = ipaddrArgsToVip(spec.args[0]);
  return params ? { ...req, agent: { class: 'builtin', type: 'vip' }, params } : undefined;
}

export interface HeartbeatResourceSpec {
  name: string;
  args: string[];
}

/**
 * Split a haresources word into script name and arguments. Arguments may also come as
 * parameters named 1, 2, ... (as Pacemaker's heartbeat class passes them); `::` ones come first.
 */
export function parseHeartbeatResource(type: string, params: Record<string, string> = {}): HeartbeatResourceSpec {
  const [name, ...args] = type.split('::');
  const positional = Object.keys(params).filter((k) => /^[1-9]\d*$/.test(k)).sort((a, b) => Number(a) - Number(b)).map((k) => params[k]);
  return { name, args: [...args, ...positional] };
}

/** Heartbeat's reading of `status` output. */
export function heartbeatStatusRunning(output: string): boolean {
  if (/\b(not running|stopped|dead|inactive)\b/i.test(output)) return false;
  return /\brunning\b/i.test(output) || /\bOK\b/.test(output);
}

async function locate(spec: HeartbeatResourceSpec, ctx: AgentContext): Promise<{ path: string; kind: 'heartbeat' | 'lsb' } | undefined> {
  for (const [dir, kind] of [[ctx.settings.heartbeatDir, 'heartbeat'], [ctx.settings.lsbDir, 'lsb']] as const) {
    const path = join(dir, spec.name);
    try {
      await access(path, constants.X_OK);
      return { path, kind };
    } catch { /* try the next place */ }
  }
  return undefined;
}

function result(rc: number, p: { stdout: string; stderr: string }, exitReason?: string): AgentResult {
  return { rc, status: OpStatus.Done, exitReason, stdout: p.stdout, stderr: p.stderr };
}

export const heartbeatDriver: AgentDriver = {
  async installed(req: AgentRequest, ctx: AgentContext) {
    const spec = parseHeartbeatResource(req.agent.type, req.params);
    if (!safeName(spec.name)) return { ok: false, reason: `invalid resource script name ${spec.name}` };
    return (await locate(spec, ctx)) || vipStandIn(req, spec)
      ? { ok: true }
      : { ok: false, reason: `no executable ${spec.name} in ${ctx.settings.heartbeatDir} or ${ctx.settings.lsbDir}` };
  },

  async run(req, ctx): Promise<AgentResult> {
    const spec = parseHeartbeatResource(req.agent.type, req.params);
    if (req.action === 'meta-data') {
      return result(0, {
        stdout: renderMetadata({
          name: spec.name, shortdesc: `Heartbeat v1 resource script ${spec.name}`,
          parameters: [{ name: '1', required: false, unique: false, reloadable: false, type: 'string', shortdesc: 'first positional argument' }],
          actions: [{ name: 'start', timeoutMs: 20_000 }, { name: 'stop', timeoutMs: 20_000 }, { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000 }],
        }),
        stderr: '',
      });
    }
    if (req.action === 'validate-all') return result(0, { stdout: '', stderr: '' });
    const verb = req.action === 'monitor' ? 'status' : req.action;
    if (!['start', 'stop', 'status'].includes(verb)) {
      return { rc: OcfRc.Unimplemented, status: OpStatus.NotSupported, exitReason: `Heartbeat resource scripts have no ${req.action} action`, stdout: '', stderr: '' };
    }
    const where = await locate(spec, ctx);
    // Modern systems have no Heartbeat scripts; an address is then managed by builtin:vip.
    const standIn = where ? undefined : vipStandIn(req, spec);
    if (standIn) return vipAgent.run({ ...standIn, action: req.action }, ctx);
    if (!where) return { rc: OcfRc.NotInstalled, status: OpStatus.NotInstalled, exitReason: `resource script ${spec.name} not found`, stdout: '', stderr: '' };
    const p = await ctx.run([where.path, ...spec.args, verb]);
    const bad = abnormalEnd(p, `${spec.name} ${verb}`);
    if (bad) return bad;
    if (verb === 'status') {
      if (where.kind === 'lsb') return result(lsbToOcf('status', p.exitCode!), p);
      return result(heartbeatStatusRunning(p.stdout) ? OcfRc.Success : OcfRc.NotRunning, p);
    }
    return p.exitCode === 0 ? result(OcfRc.Success, p) : result(OcfRc.Error, p, `${spec.name} ${verb} exited with ${p.exitCode}`);
  },
};
