/**
 * The CIB as a state: `applyUpdate(cib, update)` applies one committed log entry and returns the
 * new Cib (the input is never modified). Every node applies the same entries in the same order,
 * so every node holds the same CIB; the scheduler reads it.
 */
import type { CibUpdate } from '../coordination/cib-update.js';
import { historyOrder, type AgentRef, type Attributes, type Cib, type ClusterConfig, type NodeState, type OperationRecord, type Resource, type ResourceHistory } from '../model/cluster.js';
import { INFINITY } from '../model/score.js';
import { isFailure, lastFailureId, recordId } from './records.js';

/** Transient attribute names Pacemaker uses for fail counts (2.1: per operation and interval). */
export function failCountName(rsc: string, operation: string, intervalMs: number): string {
  return `fail-count-${rsc}#${operation}_${intervalMs}`;
}

export function lastFailureName(rsc: string, operation: string, intervalMs: number): string {
  return `last-failure-${rsc}#${operation}_${intervalMs}`;
}

export function applyUpdate(cib: Cib, update: CibUpdate): Cib {
  switch (update.kind) {
    case 'config':
      return bump({ ...cib, config: update.config }, true);
    case 'operation-result':
      return withNode(cib, update.node, (n) => ({ ...n, history: recordResult(n.history, update.rsc, update.record, update.agent, update.params) }));
    case 'node-attribute':
      if (update.lifetime === 'forever') {
        return bump({ ...cib, config: { ...cib.config, nodes: cib.config.nodes.map((n) => (n.name === update.node ? { ...n, attributes: setAttr(n.attributes, update.name, update.value) } : n)) } }, true);
      }
      return withNode(cib, update.node, (n) => ({ ...n, transientAttributes: setAttr(n.transientAttributes, update.name, update.value) }));
    case 'fail-count': {
      const name = failCountName(update.rsc, update.operation, update.intervalMs);
      const last = lastFailureName(update.rsc, update.operation, update.intervalMs);
      return withNode(cib, update.node, (n) => {
        let attrs = setAttr(n.transientAttributes, name, update.count > 0 ? formatCount(update.count) : null);
        if (update.count <= 0) attrs = setAttr(attrs, last, null);
        else if (update.lastFailure !== undefined) attrs = setAttr(attrs, last, String(update.lastFailure));
        return { ...n, transientAttributes: attrs };
      });
    }
    case 'fail-count-increment': {
      const name = failCountName(update.rsc, update.operation, update.intervalMs);
      const last = lastFailureName(update.rsc, update.operation, update.intervalMs);
      return withNode(cib, update.node, (n) => {
        const count = Math.min(INFINITY, parseCount(n.transientAttributes[name]) + Math.max(0, update.by));
        const attrs = setAttr(setAttr(n.transientAttributes, name, formatCount(count)), last, String(update.lastFailure));
        return { ...n, transientAttributes: attrs };
      });
    }
    case 'node-state':
      return withNode(cib, update.node, (n) => nodeStateChange(n, update.state, update.at, inMaintenance(cib, n), update.how));
    case 'resource-cleanup':
      return cleanup(cib, update.rsc, update.node);
    case 'constraint-add': {
      const rest = cib.config.constraints.filter((c) => c.id !== update.constraint.id);
      return bump({ ...cib, config: { ...cib.config, constraints: [...rest, update.constraint] } }, true);
    }
    case 'constraint-remove':
      if (!cib.config.constraints.some((c) => c.id === update.id)) return cib;
      return bump({ ...cib, config: { ...cib.config, constraints: cib.config.constraints.filter((c) => c.id !== update.id) } }, true);
    case 'property':
      return bump({ ...cib, config: { ...cib.config, properties: setAttr(cib.config.properties, update.name, update.value) } }, true);
    case 'resource-meta':
      return bump({ ...cib, config: { ...cib.config, resources: cib.config.resources.map((r) => setMeta(r, update.rsc, update.name, update.value)) } }, true);
    default:
      return cib;
  }
}

/** Apply several committed updates in order. */
export function applyUpdates(cib: Cib, updates: Iterable<CibUpdate>): Cib {
  let c = cib;
  for (const u of updates) c = applyUpdate(c, u);
  return c;
}

// ---------------------------------------------------------------------------------------------

function bump(cib: Cib, configChanged: boolean): Cib {
  const v = cib.version ?? { adminEpoch: 0, epoch: 0, numUpdates: 0 };
  return { ...cib, version: configChanged ? { ...v, epoch: v.epoch + 1, numUpdates: 0 } : { ...v, numUpdates: v.numUpdates + 1 } };
}

function setAttr(attrs: Record<string, string>, name: string, value: string | null): Record<string, string> {
  if (value === null) {
    if (!(name in attrs)) return attrs;
    const copy = { ...attrs };
    delete copy[name];
    return copy;
  }
  if (attrs[name] === value) return attrs;
  return { ...attrs, [name]: value };
}

function parseCount(v: string | undefined): number {
  if (v === undefined) return 0;
  const t = v.trim().toLowerCase();
  if (t === 'infinity' || t === '+infinity') return INFINITY;
  const n = Number.parseInt(t, 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, INFINITY) : 0;
}

function formatCount(n: number): string {
  return n >= INFINITY ? 'INFINITY' : String(Math.trunc(n));
}

/** A status entry for a node not seen before: down until a node-state update says otherwise. */
function blankNodeState(cib: Cib, name: string): NodeState {
  const conf = cib.config.nodes.find((n) => n.name === name);
  return { id: conf?.id ?? name, name, inCluster: false, controllerOnline: false, join: 'down', expected: undefined, transientAttributes: {}, history: [] };
}

function withNode(cib: Cib, name: string, f: (n: NodeState) => NodeState): Cib {
  const idx = cib.status.nodes.findIndex((n) => n.name === name);
  const before = idx >= 0 ? cib.status.nodes[idx] : blankNodeState(cib, name);
  const after = f(before);
  if (after === before && idx >= 0) return cib;
  const nodes = cib.status.nodes.slice();
  if (idx >= 0) nodes[idx] = after;
  else nodes.push(after);
  return bump({ ...cib, status: { ...cib.status, nodes } }, false);
}

/** Maintenance: only what is unknown is probed there, so what is recorded is kept. */
function inMaintenance(cib: Cib, n: NodeState): boolean {
  const yes = (v: string | undefined): boolean => v !== undefined && ['true', 'on', 'yes', '1', 'y'].includes(v.trim().toLowerCase());
  return yes(cib.config.properties['maintenance-mode']) || yes(cib.config.nodes.find((c) => c.name === n.name)?.attributes.maintenance) || yes(n.transientAttributes.maintenance);
}

function nodeStateChange(n: NodeState, state: CibUpdate & { kind: 'node-state' } extends { state: infer S } ? S : never, at: number | undefined, maintenance: boolean, how?: string): NodeState {
  switch (state) {
    case 'joined': {
      const { unclean: _u, shutdown: _s, ...rest } = n;
      // A node that was away (restarted, or cut off) may have changed anything meanwhile: forget
      // its history; the DC probes it. Not in maintenance: only what is unknown is probed there,
      // and what is recorded is the best anyone knows.
      const history = n.inCluster || maintenance ? n.history : [];
      return { ...rest, history, inCluster: true, controllerOnline: true, join: 'member', expected: 'member' };
    }
    case 'left':
      // A clean shutdown: the node stopped its resources first; transient attributes go with it.
      return { ...n, inCluster: false, controllerOnline: false, join: 'down', expected: 'down', transientAttributes: {}, ...(at !== undefined ? { shutdown: at } : {}) };
    case 'lost':
      // Still expected to be a member: the scheduler sees it as unclean when fencing is enabled.
      return { ...n, inCluster: false, controllerOnline: false, join: 'down', expected: 'member' };
    case 'fenced': {
      // Confirmed down: nothing runs there any more, so its history and transient attributes go.
      const { unclean: _u, ...rest } = n;
      return {
        ...rest, inCluster: false, controllerOnline: false, join: 'down', expected: 'down', transientAttributes: {}, history: [],
        ...(at !== undefined ? { shutdown: at } : {}), ...(how !== undefined ? { lastFence: { ...(at !== undefined ? { at } : {}), how } } : {}),
      };
    }
    case 'unclean':
      return { ...n, unclean: true };
    default:
      return n;
  }
}

/**
 * Store one result: recurring operations under their own id, one-off operations as `_last_0`
 * (never replaced by an older call), failures also as `_last_failure_0`. A stop, promote or
 * demote cancels the recurring operations of the resource there, so their entries go. A probe
 * supersedes them too: it is the latest word on the resource (Pacemaker probes only a history it
 * erased first), and a recurring entry from before it may describe a role the resource no longer
 * has — a promoted monitor's rc 8 after the node demoted it on its own while no DC could hear it.
 * (The DC asks for the monitors again when the probe finds the resource running.)
 */
export function recordResult(history: ResourceHistory[], rsc: string, record: OperationRecord, agent?: AgentRef, params?: Attributes): ResourceHistory[] {
  const idx = history.findIndex((h) => h.rsc === rsc);
  let h: ResourceHistory = idx >= 0 ? history[idx] : { rsc, ops: [] };
  if (agent) h = { ...h, agent };
  if (params) h = { ...h, params };
  let ops = h.ops.slice();
  const id = recordId(rsc, record.operation, record.intervalMs);
  const put = (r: OperationRecord): void => {
    const i = ops.findIndex((o) => o.id === r.id);
    if (i < 0) { ops.push(r); return; }
    const old = ops[i];
    // Results can arrive out of order (a late result of an earlier call): keep the newer one.
    if (old.callId >= 0 && r.callId >= 0 && historyOrder(r) < historyOrder(old)) return;
    ops[i] = r;
  };
  const cancelsRecurring = record.intervalMs === 0 && (record.operation === 'stop' || record.operation === 'promote' || record.operation === 'demote' || record.operation === 'monitor');
  if (cancelsRecurring) ops = ops.filter((o) => o.intervalMs === 0 || o.id === lastFailureId(rsc) || historyOrder(o) > historyOrder(record));
  put({ ...record, id });
  if (isFailure(record)) put({ ...record, id: lastFailureId(rsc) });
  const next: ResourceHistory = { ...h, ops };
  const out = history.slice();
  if (idx >= 0) out[idx] = next;
  else out.push(next);
  return out;
}

/** History ids that belong to a configured resource: itself, its clone instances, its members. */
function historyIdsOf(config: ClusterConfig, rsc: string): (id: string) => boolean {
  const bases = new Set<string>([rsc]);
  const add = (r: Resource): void => {
    bases.add(r.id);
    if (r.kind === 'group') r.members.forEach(add);
    if (r.kind === 'clone') add(r.child);
  };
  const find = (r: Resource): Resource | undefined => {
    if (r.id === rsc) return r;
    if (r.kind === 'group') return r.members.find((m) => m.id === rsc);
    if (r.kind === 'clone') return find(r.child);
    return undefined;
  };
  for (const r of config.resources) {
    const hit = find(r);
    if (hit) add(hit);
  }
  return (id: string): boolean => bases.has(id) || bases.has(id.replace(/:\d+$/, ''));
}

function cleanup(cib: Cib, rsc: string, node: string | undefined): Cib {
  const match = historyIdsOf(cib.config, rsc);
  const attrMatch = (k: string): boolean => {
    const m = /^(?:fail-count|last-failure)-(.+?)(?:#.*)?$/.exec(k);
    return !!m && match(m[1]);
  };
  let changed = false;
  const nodes = cib.status.nodes.map((n) => {
    if (node !== undefined && n.name !== node) return n;
    const history = n.history.filter((h) => !match(h.rsc));
    const keys = Object.keys(n.transientAttributes).filter(attrMatch);
    if (history.length === n.history.length && keys.length === 0) return n;
    changed = true;
    const attrs = { ...n.transientAttributes };
    for (const k of keys) delete attrs[k];
    return { ...n, history, transientAttributes: attrs };
  });
  return changed ? bump({ ...cib, status: { ...cib.status, nodes } }, false) : cib;
}

function setMeta(r: Resource, id: string, name: string, value: string | null): Resource {
  if (r.id === id) return { ...r, meta: setAttr(r.meta, name, value) } as Resource;
  if (r.kind === 'group') {
    const members = r.members.map((m) => setMeta(m, id, name, value)) as typeof r.members;
    return members.some((m, i) => m !== r.members[i]) ? { ...r, members } : r;
  }
  if (r.kind === 'clone') {
    const child = setMeta(r.child, id, name, value) as typeof r.child;
    return child !== r.child ? { ...r, child } : r;
  }
  return r;
}
