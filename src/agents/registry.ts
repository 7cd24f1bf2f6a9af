/**
 * Which driver runs an agent reference: by class, and for built-ins by type.
 */
import type { AgentRef } from '../model/index.js';
import { dummyAgent } from './builtin/dummy.js';
import { processAgent } from './builtin/process.js';
import { vipAgent } from './builtin/vip.js';
import { heartbeatDriver } from './heartbeat.js';
import { lsbDriver } from './lsb.js';
import { ocfDriver } from './ocf.js';
import { serviceDriver } from './service.js';
import { systemdDriver } from './systemd.js';
import type { AgentDriver } from './types.js';

export const BUILTIN_AGENTS: Record<string, AgentDriver> = {
  vip: vipAgent,
  process: processAgent,
  dummy: dummyAgent,
};

/** The driver for an agent, or a reason why there is none. */
export function resolveDriver(ref: AgentRef): AgentDriver | { unsupported: string } {
  switch (ref.class) {
    case 'ocf': return ocfDriver;
    case 'lsb': return lsbDriver;
    case 'systemd': return systemdDriver;
    case 'service': return serviceDriver;
    case 'heartbeat': return heartbeatDriver;
    case 'builtin': return BUILTIN_AGENTS[ref.type] ?? { unsupported: `no built-in agent "${ref.type}" (have: ${Object.keys(BUILTIN_AGENTS).join(', ')})` };
    default: return { unsupported: `agent class ${ref.class} is not supported by the executor` };
  }
}

/** `ocf:heartbeat:IPaddr2`, `lsb:httpd`, `builtin:vip`. */
export function formatAgent(ref: AgentRef): string {
  return ref.class === 'ocf' ? `ocf:${ref.provider ?? 'heartbeat'}:${ref.type}` : `${ref.class}:${ref.type}`;
}

/** Parse the `class:provider:type` / `class:type` form; returns undefined when it is not one. */
export function parseAgent(text: string): AgentRef | undefined {
  const classes = ['ocf', 'lsb', 'systemd', 'service', 'stonith', 'heartbeat', 'builtin', 'nagios', 'upstart'] as const;
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  const cls = text.slice(0, i) as AgentRef['class'];
  if (!(classes as readonly string[]).includes(cls)) return undefined;
  const rest = text.slice(i + 1);
  if (cls === 'ocf') {
    const j = rest.indexOf(':');
    if (j <= 0 || j === rest.length - 1) return undefined;
    return { class: cls, provider: rest.slice(0, j), type: rest.slice(j + 1) };
  }
  return rest === '' ? undefined : { class: cls, type: rest };
}
