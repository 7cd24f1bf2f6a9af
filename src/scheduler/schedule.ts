/**
 * The scheduler: a pure function from the CIB (configuration + status) and the time to the
 * placement of every resource instance and the transition that gets there, with reasons.
 */
import type { Cib } from '../model/cluster.js';
import { INFINITY } from '../model/score.js';
import { allocateAll } from './allocate.js';
import { buildNodes, nodeStatus } from './nodes.js';
import { readOptions } from './options.js';
import { addColocation, attachConstraints, buildResources } from './resources.js';
import { buildScoreTables } from './scores.js';
import { unpackResourceStatus, type PendingBan } from './status.js';
import { finalPlacements, stoppedIds, transitionSummary, type FenceEntry, type Placement, type SummaryEntry } from './summary.js';
import { buildTransition, type Transition } from './transition.js';
import type { NodeStatus, SchedRsc, WorkingSet } from './working-set.js';

export interface ScheduleOptions {
  /** Keep the working set in the result (for `explain`). Default false. */
  keepWorkingSet?: boolean;
}

export interface SchedulerResult {
  now: number;
  nodes: Record<string, { before: NodeStatus; after: NodeStatus }>;
  /** Where each instance is before the transition. */
  current: Placement[];
  /** Where each instance is after the transition (every runnable action taken to succeed). */
  placements: Placement[];
  stopped: string[];
  summary: Array<SummaryEntry | FenceEntry>;
  transition: Transition;
  warnings: string[];
  workingSet?: WorkingSet;
}

export function schedule(cib: Cib, now: number, opts: ScheduleOptions = {}): SchedulerResult {
  const options = readOptions(cib.config.properties);
  const nodes = buildNodes(cib, options);
  const ws: WorkingSet = {
    now, options, haveQuorum: cib.status.haveQuorum, nodes, nodeList: [...nodes.values()], resources: [], byId: new Map(),
    rscDefaults: cib.config.rscDefaults, opDefaults: cib.config.opDefaults, warnings: [], haveStonithResource: false,
    fencing: new Map(), configById: new Map(cib.config.resources.map((r) => [r.id, r])),
  };
  if (cib.config.properties['migration-threshold'] !== undefined) ws.legacyMigrationThreshold = cib.config.properties['migration-threshold'];
  buildResources(cib, ws);
  for (const r of [...ws.byId.values()]) {
    if (r.variant === 'primitive' || r.variant === 'group') {
      if (r.targetRole === 'Stopped') { r.nextRole = 'Stopped'; r.nextRoleReason = 'target-role=Stopped'; }
      else if (r.targetRole === 'Unpromoted' && r.parent) r.nextRole = 'Unpromoted';
    }
    if (r.variant === 'group') internalColocations(ws, r);
  }
  attachConstraints(cib, ws);
  if (options.stonithEnabled && !ws.haveStonithResource && ws.resources.length > 0) {
    ws.warnings.push('stonith-enabled is true but no fencing device is configured: resources are left as they are (configure a fencing device, or set stonith-enabled=false)');
  }
  const bans: PendingBan[] = [];
  unpackResourceStatus(cib, ws, bans);
  const before = new Map([...nodes.values()].map((n) => [n.name, nodeStatus(n)]));
  const current = currentPlacements(ws);
  buildScoreTables(ws, bans);
  allocateAll(ws);
  const transition = buildTransition(cib, ws);
  const placements = finalPlacements(ws, transition);
  const nodeResult: SchedulerResult['nodes'] = {};
  for (const n of ws.nodeList) {
    let after = nodeStatus(n);
    if (ws.fencing.has(n.name)) after = 'offline';
    nodeResult[n.name] = { before: before.get(n.name) ?? 'offline', after };
  }
  const result: SchedulerResult = {
    now, nodes: nodeResult, current, placements, stopped: stoppedIds(ws, placements), summary: transitionSummary(ws, transition), transition, warnings: ws.warnings,
  };
  if (opts.keepWorkingSet) result.workingSet = ws;
  return result;
}

function internalColocations(ws: WorkingSet, g: SchedRsc): void {
  for (let i = 1; i < g.children.length; i++) {
    addColocation(ws, { id: `${g.id} (group)`, dependent: g.children[i], primary: g.children[i - 1], score: INFINITY, nodeAttribute: '#uname', influence: true });
  }
}

function currentPlacements(ws: WorkingSet): Placement[] {
  const out: Placement[] = [];
  for (const p of ws.byId.values()) {
    if (p.variant !== 'primitive') continue;
    for (const n of p.runningOn) {
      const clone = p.parent?.variant === 'clone' ? p.parent : p.parent?.parent?.variant === 'clone' ? p.parent.parent : undefined;
      let role = p.roleOn.get(n) ?? 'Started';
      if (clone?.promotable && role === 'Started') role = 'Unpromoted';
      const flags: string[] = [];
      if (p.failedOn.has(n)) flags.push('failed');
      if (!p.managed) flags.push('unmanaged');
      if (p.orphan) flags.push('orphaned');
      out.push({ rsc: clone && !clone.unique ? p.baseId : p.id, instance: p.id, role, node: n, flags });
    }
  }
  return out;
}
