/**
 * Operator commands as changes to the configuration, checked before they are proposed:
 *
 *   node standby|online|maintenance|ready  → the node attribute standby / maintenance
 *   resource move RSC NODE   → location cli-prefer-RSC (INFINITY on NODE), like crm_resource --move
 *   resource ban RSC NODE    → location cli-ban-RSC-on-NODE (-INFINITY)
 *   resource clear RSC       → removes the cli-* constraints of RSC
 *   resource start|stop RSC  → meta target-role Started / Stopped
 *
 * A move is scheduled first, on the current CIB with the constraint added: if the resource would
 * not end up on NODE, the move is refused with the scheduler's reasons and nothing is changed
 * (no stray constraint). Pure functions: the daemon proposes what they return.
 */
import type { Cib, ClusterConfig, Constraint, LocationConstraint, Resource } from '../model/cluster.js';
import { INFINITY, formatScore } from '../model/score.js';
import { schedule } from '../scheduler/index.js';
import type { CibUpdate } from '../coordination/index.js';
import { ApiInputError, type NodeAdminAction } from '../api/protocol.js';

export function findResource(config: ClusterConfig, id: string): { top: Resource; self: Resource } | undefined {
  for (const r of config.resources) {
    if (r.id === id) return { top: r, self: r };
    if (r.kind === 'group') {
      const m = r.members.find((x) => x.id === id);
      if (m) return { top: r, self: m };
    }
    if (r.kind === 'clone') {
      if (r.child.id === id) return { top: r, self: r.child };
      if (r.child.kind === 'group') {
        const m = r.child.members.find((x) => x.id === id);
        if (m) return { top: r, self: m };
      }
    }
  }
  return undefined;
}

function requireResource(config: ClusterConfig, id: string): { top: Resource; self: Resource } {
  const f = findResource(config, id);
  if (!f) throw new ApiInputError(`no resource "${id}" (resources: ${config.resources.map((r) => r.id).join(', ') || 'none'})`);
  return f;
}

function requireNode(config: ClusterConfig, node: string): void {
  if (!config.nodes.some((n) => n.name === node)) throw new ApiInputError(`no node "${node}" (nodes: ${config.nodes.map((n) => n.name).join(', ')})`);
}

/** standby/maintenance are permanent node attributes (they survive a restart of the node). */
export function nodeAdmin(config: ClusterConfig, action: NodeAdminAction, node: string): CibUpdate[] {
  requireNode(config, node);
  const attr = (name: string, value: string | null): CibUpdate => ({ kind: 'node-attribute', node, name, value, lifetime: 'forever' });
  if (action === 'standby') return [attr('standby', 'on')];
  if (action === 'online') return [attr('standby', null), attr('maintenance', null)];
  if (action === 'maintenance') return [attr('maintenance', 'on')];
  return [attr('maintenance', null)];
}

const preferId = (rsc: string): string => `cli-prefer-${rsc}`;
const banId = (rsc: string, node: string): string => `cli-ban-${rsc}-on-${node}`;

function isCliConstraintOf(c: Constraint, rsc: string): boolean {
  return c.kind === 'location' && c.rsc === rsc && (c.id === preferId(rsc) || c.id.startsWith(`cli-ban-${rsc}-on-`));
}

/** Where the resource (its top-level parent's primitives) runs after scheduling this CIB. */
function placementsOf(cib: Cib, rscTop: Resource, now: number): { nodes: string[]; reasons: string[] } {
  const r = schedule(cib, now);
  const prims = new Set<string>();
  const walk = (x: Resource): void => {
    if (x.kind === 'primitive') prims.add(x.id);
    else if (x.kind === 'group') x.members.forEach(walk);
    else walk(x.child);
  };
  walk(rscTop);
  const nodes = [...new Set(r.placements.filter((p) => prims.has(p.rsc) && p.role !== 'Stopped').map((p) => p.node))];
  const reasons: string[] = [];
  for (const s of r.summary) if (s.action !== 'fence' && prims.has(s.rsc) && s.reason) reasons.push(`${s.rsc}: ${s.reason}`);
  return { nodes, reasons: [...reasons, ...r.warnings.filter((w) => [...prims].some((p) => w.includes(p)))] };
}

export interface ResourceChange { updates: CibUpdate[]; note: string }

export function resourceMove(cib: Cib, rsc: string, node: string | undefined, now: number, currentNodes: string[]): ResourceChange {
  const { top } = requireResource(cib.config, rsc);
  if (top.kind === 'clone') throw new ApiInputError(`${rsc} is a clone: it runs on several nodes; use ban to keep it off one`);
  const c = structuredClone(cib.config);
  c.constraints = c.constraints.filter((x) => !(x.kind === 'location' && x.rsc === top.id && x.id === preferId(top.id)));
  let constraint: LocationConstraint;
  let target: string;
  if (node) {
    requireNode(c, node);
    target = node;
    constraint = { kind: 'location', id: preferId(top.id), rsc: top.id, node, score: INFINITY, rules: [] };
  } else {
    // Move away from where it runs now: a ban on its current node.
    if (currentNodes.length !== 1) throw new ApiInputError(`${rsc} is not running on exactly one node; say where to move it`);
    target = `not ${currentNodes[0]}`;
    constraint = { kind: 'location', id: banId(top.id, currentNodes[0]), rsc: top.id, node: currentNodes[0], score: -INFINITY, rules: [] };
  }
  c.constraints.push(constraint);
  const after = placementsOf({ ...cib, config: c }, top, now);
  const ok = node ? after.nodes.includes(node) : after.nodes.length > 0 && !after.nodes.includes(currentNodes[0]);
  if (!ok) {
    const why = after.reasons.length ? after.reasons.join('; ') : 'no node can run it with the constraints, scores and node states in place';
    throw new ApiInputError(`cannot move ${rsc} to ${target}: ${why}${after.nodes.length ? ` (it would run on ${after.nodes.join(', ')})` : ' (it would be stopped)'}; nothing was changed`);
  }
  return { updates: [{ kind: 'constraint-add', constraint }], note: `added ${constraint.id} (${formatScore(constraint.score!)} on ${constraint.node}); \`vigil resource clear ${top.id}\` removes it` };
}

export function resourceBan(config: ClusterConfig, rsc: string, node: string): ResourceChange {
  const { top } = requireResource(config, rsc);
  requireNode(config, node);
  const id = banId(top.id, node);
  return { updates: [{ kind: 'constraint-add', constraint: { kind: 'location', id, rsc: top.id, node, score: -INFINITY, rules: [] } }], note: `added ${id}; \`vigil resource clear ${top.id}\` removes it` };
}

export function resourceClear(config: ClusterConfig, rsc: string): ResourceChange {
  const { top } = requireResource(config, rsc);
  const removed = config.constraints.filter((x) => isCliConstraintOf(x, top.id)).map((x) => x.id);
  return { updates: removed.map((id) => ({ kind: 'constraint-remove', id })), note: removed.length ? `removed ${removed.join(', ')}` : 'no move/ban constraints to remove' };
}

export function resourceTargetRole(config: ClusterConfig, rsc: string, role: 'Started' | 'Stopped'): ResourceChange {
  const { top } = requireResource(config, rsc);
  return { updates: [{ kind: 'resource-meta', rsc: top.id, name: 'target-role', value: role === 'Started' ? null : 'Stopped' }], note: `${top.id}: target-role ${role}` };
}

/** A readable plan: what differs between two configurations. */
export function configPlan(before: ClusterConfig, after: ClusterConfig): string[] {
  const out: string[] = [];
  const byId = <T extends { id: string }>(xs: T[]): Map<string, T> => new Map(xs.map((x) => [x.id, x]));
  const diff = <T extends { id: string }>(what: string, a: T[], b: T[]): void => {
    const A = byId(a); const B = byId(b);
    for (const [id, x] of B) {
      if (!A.has(id)) out.push(`+ ${what} ${id}`);
      else if (JSON.stringify(stripOrigin(A.get(id))) !== JSON.stringify(stripOrigin(x))) out.push(`~ ${what} ${id}`);
    }
    for (const id of A.keys()) if (!B.has(id)) out.push(`- ${what} ${id}`);
  };
  diff('node', before.nodes, after.nodes);
  diff('resource', before.resources, after.resources);
  diff('constraint', before.constraints, after.constraints);
  const props = new Set([...Object.keys(before.properties), ...Object.keys(after.properties)]);
  for (const p of props) {
    if (before.properties[p] !== after.properties[p]) out.push(`~ property ${p}: ${before.properties[p] ?? '(unset)'} → ${after.properties[p] ?? '(unset)'}`);
  }
  for (const [what, a, b] of [['resource default', before.rscDefaults, after.rscDefaults], ['operation default', before.opDefaults, after.opDefaults]] as const) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[k] !== b[k]) out.push(`~ ${what} ${k}: ${a[k] ?? '(unset)'} → ${b[k] ?? '(unset)'}`);
  }
  if (JSON.stringify(before.fencingTopology) !== JSON.stringify(after.fencingTopology)) out.push('~ fencing levels');
  return out;
}

function stripOrigin(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'origin' ? undefined : v)));
}
