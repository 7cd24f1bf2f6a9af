/**
 * systemd units, driven through `systemctl` (start/stop wait for the job; monitor is `is-active`).
 * Works only where systemd is PID 1 and running (/run/systemd/system exists).
 */
import { access } from 'node:fs/promises';
import { OcfRc, OpStatus } from '../model/index.js';
import { renderMetadata } from './metadata.js';
import { abnormalEnd } from './rc.js';
import type { AgentContext, AgentDriver, AgentRequest, AgentResult } from './types.js';

/** A unit name as systemctl wants it: a bare name means a service. */
export function unitName(type: string): string {
  return /\.(service|socket|target|mount|timer|path|scope|slice)$/.test(type) ? type : `${type}.service`;
}

function validUnit(type: string): boolean {
  return /^[A-Za-z0-9:_.@\\-]+$/.test(type) && !type.startsWith('-');
}

/** Whether systemd manages this machine (sd_booted's test). */
export async function systemdRunning(): Promise<boolean> {
  try {
    await access('/run/systemd/system');
    return true;
  } catch {
    return false;
  }
}

/** Map `systemctl is-active` output to OCF: active (or still starting/reloading) is running. */
export function activeStateToOcf(state: string): number {
  const s = state.trim();
  if (s === 'active' || s === 'reloading' || s === 'activating' || s === 'refreshing') return OcfRc.Success;
  return OcfRc.NotRunning;
}

async function activeState(req: AgentRequest, ctx: AgentContext): Promise<AgentResult> {
  const unit = unitName(req.agent.type);
  const p = await ctx.run([ctx.settings.systemctl, 'is-active', unit]);
  const bad = abnormalEnd(p, `systemctl is-active ${unit}`);
  if (bad) return bad;
  const state = p.stdout.trim().split('\n').pop() ?? '';
  const rc = activeStateToOcf(state);
  return { rc, status: OpStatus.Done, exitReason: rc === 0 ? undefined : `${unit} is ${state || 'not active'}`, stdout: p.stdout, stderr: p.stderr };
}

export const systemdDriver: AgentDriver = {
  async installed(req, ctx) {
    if (!validUnit(req.agent.type)) return { ok: false, reason: `invalid unit name ${req.agent.type}` };
    if (!(await systemdRunning())) return { ok: false, reason: 'systemd is not running on this node' };
    const unit = unitName(req.agent.type);
    const p = await ctx.run([ctx.settings.systemctl, 'show', '--property=LoadState', '--value', unit], { timeoutMs: 10_000 });
    if (p.exitCode !== 0) return { ok: false, reason: `systemctl show ${unit} failed: ${p.stderr.trim()}` };
    const state = p.stdout.trim();
    return state === 'loaded' ? { ok: true } : { ok: false, reason: `${unit} is ${state || 'unknown'} to systemd` };
  },

  async run(req, ctx): Promise<AgentResult> {
    const unit = unitName(req.agent.type);
    switch (req.action) {
      case 'meta-data':
        return {
          rc: 0, status: OpStatus.Done, stderr: '',
          stdout: renderMetadata({
            name: unit, shortdesc: `systemd unit ${unit}`, parameters: [],
            actions: [{ name: 'start', timeoutMs: 100_000 }, { name: 'stop', timeoutMs: 100_000 },
              { name: 'monitor', timeoutMs: 100_000, intervalMs: 60_000 }, { name: 'meta-data', timeoutMs: 5_000 }],
          }),
        };
      case 'validate-all':
        return { rc: 0, status: OpStatus.Done, stdout: '', stderr: '' };
      case 'monitor':
      case 'status':
        return activeState(req, ctx);
      case 'start':
      case 'stop': {
        const p = await ctx.run([ctx.settings.systemctl, req.action, unit]);
        const bad = abnormalEnd(p, `systemctl ${req.action} ${unit}`);
        if (bad) return bad;
        if (p.exitCode !== 0) {
          return { rc: OcfRc.Error, status: OpStatus.Done, exitReason: `systemctl ${req.action} ${unit} exited with ${p.exitCode}: ${p.stderr.trim()}`, stdout: p.stdout, stderr: p.stderr };
        }
        // The job finished; confirm the state it left.
        const after = await activeState(req, ctx);
        if (req.action === 'start') return after;
        return after.rc === OcfRc.NotRunning
          ? { ...after, rc: OcfRc.Success, exitReason: undefined }
          : { ...after, rc: OcfRc.Error, exitReason: `${unit} is still active after stop` };
      }
      default:
        return { rc: OcfRc.Unimplemented, status: OpStatus.NotSupported, exitReason: `systemd units have no ${req.action} action`, stdout: '', stderr: '' };
    }
  },
};
