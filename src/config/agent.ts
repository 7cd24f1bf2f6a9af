import type { AgentClass, AgentRef } from '../model/cluster.js';

const CLASSES: readonly AgentClass[] = ['ocf', 'lsb', 'systemd', 'service', 'stonith', 'heartbeat', 'builtin', 'nagios', 'upstart'];

/** Text form of an agent as operators write it: `ocf:heartbeat:IPaddr2`, `lsb:httpd`, `systemd:nginx`, `builtin:vip`. */
export const AGENT_PATTERN = /^(?:ocf:[A-Za-z0-9_.-]+:[A-Za-z0-9_.@-]+|(?:lsb|systemd|service|stonith|heartbeat|builtin|nagios|upstart):[A-Za-z0-9_.@:/-]+)$/;

/** Parse `class:provider:type` / `class:type`; undefined when it is not one of the known forms. */
export function parseAgent(text: string): AgentRef | undefined {
  if (!AGENT_PATTERN.test(text)) return undefined;
  const first = text.indexOf(':');
  const cls = text.slice(0, first) as AgentClass;
  if (!CLASSES.includes(cls)) return undefined;
  const rest = text.slice(first + 1);
  if (cls === 'ocf') {
    const second = rest.indexOf(':');
    return { class: cls, provider: rest.slice(0, second), type: rest.slice(second + 1) };
  }
  return { class: cls, type: rest };
}

export function formatAgent(a: AgentRef): string {
  return a.class === 'ocf' ? `ocf:${a.provider ?? 'heartbeat'}:${a.type}` : `${a.class}:${a.type}`;
}
