/**
 * Which agents this node has: OCF agents under $OCF_ROOT/resource.d, init scripts, Heartbeat
 * resource scripts, systemd services (when systemd runs), and the built-in ones.
 */
import { execFile } from 'node:child_process';
import { access, constants, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AgentRef } from '../model/index.js';
import { BUILTIN_AGENTS } from './registry.js';
import { systemdRunning } from './systemd.js';
import type { AgentSettings } from './types.js';

const run = promisify(execFile);

async function executables(dir: string): Promise<string[]> {
  let names: string[];
  try { names = await readdir(dir); } catch { return []; }
  const out: string[] = [];
  for (const n of names.sort()) {
    if (n.startsWith('.') || n.endsWith('.sh') || n.endsWith('.py') || n === '__pycache__') continue;
    try {
      await access(join(dir, n), constants.X_OK);
      out.push(n);
    } catch { /* not an agent */ }
  }
  return out;
}

export async function listAgents(settings: AgentSettings, cls?: AgentRef['class']): Promise<AgentRef[]> {
  const out: AgentRef[] = [];
  const want = (c: AgentRef['class']): boolean => cls === undefined || cls === c;
  if (want('ocf')) {
    const base = join(settings.ocfRoot, 'resource.d');
    const providers = await readdir(base).catch(() => [] as string[]);
    for (const provider of providers.sort()) {
      for (const type of await executables(join(base, provider))) out.push({ class: 'ocf', provider, type });
    }
  }
  if (want('lsb')) for (const type of await executables(settings.lsbDir)) out.push({ class: 'lsb', type });
  if (want('heartbeat')) for (const type of await executables(settings.heartbeatDir)) out.push({ class: 'heartbeat', type });
  if (want('systemd') && (await systemdRunning())) {
    try {
      const { stdout } = await run(settings.systemctl, ['list-unit-files', '--type=service', '--no-legend', '--no-pager'], { timeout: 10_000 });
      for (const line of stdout.split('\n')) {
        const unit = line.trim().split(/\s+/)[0];
        if (unit && !unit.includes('@')) out.push({ class: 'systemd', type: unit.replace(/\.service$/, '') });
      }
    } catch { /* systemctl failed: list nothing for systemd */ }
  }
  if (want('builtin')) for (const type of Object.keys(BUILTIN_AGENTS)) out.push({ class: 'builtin', type });
  return out;
}
