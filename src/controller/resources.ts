/**
 * Reading the configuration the way the controller needs it: which primitive a status id names,
 * what an operation request for it looks like (timeout, meta), which recurring monitors follow a
 * start or promote, and which resources are managed.
 */
import type { Attributes, Cib, ClusterConfig, Clone, OperationConfig, Primitive, Role } from '../model/cluster.js';
import { OcfRc } from '../model/cluster.js';
import { parseDuration } from '../model/time.js';
import type { ExecuteRequest } from './types.js';

export const DEFAULT_OPERATION_TIMEOUT_MS = 20_000;

export interface PrimitiveInfo {
  primitive: Primitive;
  /** The clone around it, if any. */
  clone?: Clone;
  /** The group around it, if any. */
  group?: string;
  /** Top-level resource id. */
  top: string;
  /** Meta attributes merged: rsc_defaults, clone, group, primitive. */
  meta: Attributes;
}

/** Part of a promotable clone (configured so, or by the `promotable` meta attribute). */
export function isPromotable(info: PrimitiveInfo | undefined): boolean {
  return !!info?.clone && (info.clone.promotable || truthy(info.meta.promotable));
}

export function truthy(v: string | undefined): boolean {
  if (v === undefined) return false;
  const t = v.trim().toLowerCase();
  return t === 'true' || t === 'yes' || t === 'on' || t === '1' || t === 'y';
}

/** Per configuration object: configurations are never modified in place (a change makes a new one). */
const primitivesCache = new WeakMap<ClusterConfig, ReadonlyMap<string, PrimitiveInfo>>();

/**
 * Every configured primitive by id, with its context. Computed once per configuration object
 * (the controllers ask for it on every step); callers must not modify what it returns.
 */
export function primitives(config: ClusterConfig): ReadonlyMap<string, PrimitiveInfo> {
  const cached = primitivesCache.get(config);
  if (cached) return cached;
  const out = new Map<string, PrimitiveInfo>();
  for (const r of config.resources) {
    const base = { ...config.rscDefaults, ...r.meta };
    if (r.kind === 'primitive') out.set(r.id, { primitive: r, top: r.id, meta: base });
    else if (r.kind === 'group') for (const m of r.members) out.set(m.id, { primitive: m, group: r.id, top: r.id, meta: { ...base, ...m.meta } });
    else {
      const c = r.child;
      if (c.kind === 'primitive') out.set(c.id, { primitive: c, clone: r, top: r.id, meta: { ...base, ...c.meta } });
      else for (const m of c.members) out.set(m.id, { primitive: m, clone: r, group: c.id, top: r.id, meta: { ...base, ...c.meta, ...m.meta } });
    }
  }
  primitivesCache.set(config, out);
  return out;
}

/** The configured primitive id of a status/instance id (`web:2` → `web`). */
export function baseId(id: string): string {
  const i = id.lastIndexOf(':');
  return i > 0 && /^\d+$/.test(id.slice(i + 1)) ? id.slice(0, i) : id;
}

/** Whether the cluster manages this resource (is-managed, resource maintenance, maintenance-mode). */
export function managed(config: ClusterConfig, info: PrimitiveInfo): boolean {
  if (truthy(config.properties['maintenance-mode'])) return false;
  const m = info.meta['is-managed'] ?? info.meta['is_managed'];
  if (m !== undefined && !truthy(m)) return false;
  return !truthy(info.meta.maintenance);
}

/** A clone instance keeps its `:N` in the status only when the clone is globally unique. */
export function statusId(info: PrimitiveInfo, instance: string): string {
  return info.clone && !truthy(info.meta['globally-unique']) ? info.primitive.id : instance;
}

function findOperation(p: Primitive, action: string, intervalMs: number, role?: Role): OperationConfig | undefined {
  const same = p.operations.filter((o) => o.name === action && o.intervalMs === intervalMs);
  const match = same.find((o) => o.role === role) ?? same[0];
  if (match || action !== 'monitor' || intervalMs !== 0) return match;
  // A probe without its own definition uses the first monitor's timeout, as Pacemaker does.
  return p.operations.find((o) => o.name === 'monitor');
}

export function operationTimeout(config: ClusterConfig, p: Primitive, action: string, intervalMs: number, role?: Role): number {
  const op = findOperation(p, action, intervalMs, role);
  const dflt = config.opDefaults.timeout !== undefined ? parseDuration(config.opDefaults.timeout) : undefined;
  return op?.timeoutMs ?? dflt ?? DEFAULT_OPERATION_TIMEOUT_MS;
}

/** Meta attributes an agent sees for a clone instance (clone_max, promoted_max, ...), as Pacemaker passes them. */
function cloneMeta(info: PrimitiveInfo, nodeCount: number): Attributes {
  const c = info.clone;
  if (!c) return {};
  const m = info.meta;
  const out: Attributes = {
    'clone-max': m['clone-max'] ?? String(nodeCount),
    'clone-node-max': m['clone-node-max'] ?? '1',
    'globally-unique': truthy(m['globally-unique']) ? 'true' : 'false',
  };
  if (c.promotable || truthy(m.promotable)) {
    out.promotable = 'true';
    out['promoted-max'] = m['promoted-max'] ?? m['master-max'] ?? '1';
    out['promoted-node-max'] = m['promoted-node-max'] ?? m['master-node-max'] ?? '1';
    out['master-max'] = out['promoted-max'];
    out['master-node-max'] = out['promoted-node-max'];
  }
  return out;
}

export function buildRequest(config: ClusterConfig, info: PrimitiveInfo, node: string, resource: string, action: string, intervalMs: number, userData: string, targetRc: number, role?: Role): ExecuteRequest {
  const p = info.primitive;
  const op = findOperation(p, action, intervalMs, role);
  const meta: Attributes = { ...info.meta, ...cloneMeta(info, config.nodes.length), ...(op?.meta ?? {}) };
  const req: ExecuteRequest = {
    node, resource, primitive: p.id, agent: p.agent, action, params: { ...p.params }, meta,
    timeoutMs: operationTimeout(config, p, action, intervalMs, role), intervalMs, userData, targetRc,
    cancelRecurring: intervalMs === 0 && (action === 'stop' || action === 'promote' || action === 'demote'),
  };
  if (role) req.role = role;
  return req;
}

/** The recurring monitors to run in a role (Started covers monitors without a role; Unpromoted also takes those). */
export function recurringMonitors(p: Primitive, role: Role): OperationConfig[] {
  return p.operations.filter((o) => {
    if (o.name !== 'monitor' || o.intervalMs <= 0 || !o.enabled) return false;
    if (o.role === undefined) return role !== 'Promoted' || !p.operations.some((x) => x.name === 'monitor' && x.intervalMs > 0 && x.role === 'Promoted');
    if (o.role === 'Started') return role === 'Started' || role === 'Unpromoted';
    return o.role === role;
  });
}

export function monitorTargetRc(role: Role): number {
  return role === 'Promoted' ? OcfRc.RunningPromoted : OcfRc.Success;
}

/**
 * For a stop: the parameters it was started with where they are recorded (its configuration may
 * have changed since — a virtual IP given a new address must still lose the old one).
 */
export function withStartParams(s: { cib: Cib }, node: string, resource: string, info: PrimitiveInfo): PrimitiveInfo {
  const params = s.cib.status.nodes.find((n) => n.name === node)?.history.find((x) => x.rsc === resource)?.params;
  return params ? { ...info, primitive: { ...info.primitive, params } } : info;
}

/** A resource no longer configured, described by what its history remembers (agent, parameters). */
export function orphanInfo(s: { cib: Cib }, node: string, resource: string): PrimitiveInfo | undefined {
  const h = s.cib.status.nodes.find((n) => n.name === node)?.history.find((x) => x.rsc === resource);
  if (!h?.agent) return undefined;
  const id = baseId(resource);
  return { primitive: { kind: 'primitive', id, agent: h.agent, params: { ...(h.params ?? {}) }, meta: {}, operations: [], utilization: {} }, top: id, meta: {} };
}
