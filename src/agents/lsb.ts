/**
 * LSB init scripts: `<lsbDir>/<name> start|stop|status`. `monitor` is `status`, whose exit codes
 * have their own meaning (3 = not running). Meta-data is made from the script's LSB header.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OcfRc, OpStatus } from '../model/index.js';
import { renderMetadata } from './metadata.js';
import { safeName } from './ocf.js';
import { abnormalEnd, lsbToOcf } from './rc.js';
import type { AgentDriver, AgentResult } from './types.js';

const LSB_ACTIONS: Record<string, string> = {
  start: 'start', stop: 'stop', monitor: 'status', status: 'status', restart: 'restart',
  reload: 'force-reload', 'force-reload': 'force-reload',
};

/** The fields of an `### BEGIN INIT INFO` block (Provides, Short-Description, Description, ...). */
export function parseLsbHeader(script: string): Record<string, string> {
  const out: Record<string, string> = {};
  const m = /^### BEGIN INIT INFO\s*$([\s\S]*?)^### END INIT INFO/m.exec(script);
  if (!m) return out;
  let last: string | undefined;
  for (const line of m[1].split('\n')) {
    const field = /^#\s*([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (field) { last = field[1]; out[last] = field[2].trim(); continue; }
    const cont = /^#(?:\t| {2,})(.*)$/.exec(line);
    if (cont && last) out[last] = `${out[last]} ${cont[1].trim()}`;
  }
  return out;
}

export function lsbMetadata(name: string, script: string): string {
  const h = parseLsbHeader(script);
  return renderMetadata({
    name, version: '1.0',
    shortdesc: h['Short-Description'] ?? `LSB init script ${name}`,
    longdesc: h.Description ?? h['Short-Description'] ?? `LSB init script ${name}`,
    parameters: [],
    actions: [
      { name: 'start', timeoutMs: 15_000 }, { name: 'stop', timeoutMs: 15_000 },
      { name: 'status', timeoutMs: 15_000 }, { name: 'restart', timeoutMs: 15_000 },
      { name: 'force-reload', timeoutMs: 15_000 }, { name: 'monitor', timeoutMs: 15_000, intervalMs: 15_000 },
      { name: 'meta-data', timeoutMs: 5_000 },
    ],
  });
}

export function lsbScriptPath(dir: string, name: string): string {
  return join(dir, name);
}

export const lsbDriver: AgentDriver = {
  async installed(req, ctx) {
    if (!safeName(req.agent.type)) return { ok: false, reason: `invalid init script name ${req.agent.type}` };
    const path = lsbScriptPath(ctx.settings.lsbDir, req.agent.type);
    try {
      await access(path, constants.X_OK);
      return { ok: true };
    } catch {
      return { ok: false, reason: `${path} is not an executable file` };
    }
  },

  async run(req, ctx): Promise<AgentResult> {
    const path = lsbScriptPath(ctx.settings.lsbDir, req.agent.type);
    if (req.action === 'meta-data') {
      const script = await readFile(path, 'utf8');
      return { rc: OcfRc.Success, status: OpStatus.Done, stdout: lsbMetadata(req.agent.type, script), stderr: '' };
    }
    if (req.action === 'validate-all') {
      // An init script has no parameters to validate; being installed is all there is.
      return { rc: OcfRc.Success, status: OpStatus.Done, stdout: '', stderr: '' };
    }
    const verb = LSB_ACTIONS[req.action];
    if (!verb) {
      return { rc: OcfRc.Unimplemented, status: OpStatus.NotSupported, exitReason: `LSB scripts have no ${req.action} action`, stdout: '', stderr: '' };
    }
    const outcome = await ctx.run([path, verb]);
    const bad = abnormalEnd(outcome, `lsb:${req.agent.type} ${verb}`);
    if (bad) return bad;
    const rc = lsbToOcf(verb, outcome.exitCode!);
    return {
      rc, status: OpStatus.Done,
      exitReason: rc === OcfRc.Success || rc === OcfRc.NotRunning ? undefined : `init script ${verb} exited with ${outcome.exitCode}`,
      stdout: outcome.stdout, stderr: outcome.stderr,
    };
  },
};
