/**
 * The canonical `pcmk-sched-result/1` object (see the scheduler corpus README): final node
 * states, final placements, stopped ids and the transition summary as a multiset of actions.
 */
import type { SchedulerResult } from './schedule.js';

export interface CanonicalResult {
  format: 'pcmk-sched-result/1';
  nodes: Record<string, string>;
  placements: Array<{ rsc: string; role: string; node: string; flags: string[] }>;
  stopped: string[];
  actions: Array<Record<string, unknown>>;
}

export function toCanonical(r: SchedulerResult): CanonicalResult {
  const nodes: Record<string, string> = {};
  for (const [name, s] of Object.entries(r.nodes)) nodes[name] = s.after;
  return {
    format: 'pcmk-sched-result/1',
    nodes,
    placements: r.placements.map((p) => ({ rsc: p.rsc, role: p.role, node: p.node, flags: p.flags })),
    stopped: r.stopped,
    actions: r.summary.map((a) => (a.action === 'fence'
      ? { action: 'fence', type: a.type, node: a.node, reason: a.reason }
      : { action: a.action, rsc: a.rsc, from: a.from, to: a.to, role_from: a.roleFrom, role_to: a.roleTo, blocked: a.blocked, reason: a.reason })),
  };
}
