/** Small builders for scheduler tests: a Cib from a few lines of intent. */
import type { Cib, Constraint, NodeState, OperationRecord, Primitive, Resource } from '../../src/model/cluster.js';
import { OpStatus } from '../../src/model/cluster.js';

export function prim(id: string, meta: Record<string, string> = {}, cls: Primitive['agent']['class'] = 'ocf'): Primitive {
  return { kind: 'primitive', id, agent: { class: cls, provider: 'heartbeat', type: 'Dummy' }, params: {}, meta, operations: [], utilization: {} };
}

let call = 1;
export function op(operation: string, rc = 0, opts: Partial<OperationRecord> = {}): OperationRecord {
  const target = operation === 'monitor' && (opts.intervalMs ?? 0) === 0 ? 7 : 0;
  return { id: `${operation}-${call}`, operation, callId: call++, rc, opStatus: rc === target || (operation === 'monitor' && rc === 7 && target === 7) ? OpStatus.Done : OpStatus.Error, intervalMs: 0, transitionKey: `1:1:${target}:test`, ...opts };
}

export interface ClusterSpec {
  nodes: string[];
  offline?: string[];
  /** Lost nodes: still members as far as the DC expected, but gone (need fencing). */
  lost?: string[];
  standby?: string[];
  resources: Resource[];
  constraints?: Constraint[];
  properties?: Record<string, string>;
  rscDefaults?: Record<string, string>;
  /** node → resource id → recorded operations. */
  history?: Record<string, Record<string, OperationRecord[]>>;
  nodeAttrs?: Record<string, Record<string, string>>;
  quorum?: boolean;
}

export function cluster(s: ClusterSpec): Cib {
  const states: NodeState[] = s.nodes.map((name) => {
    const offline = s.offline?.includes(name) ?? false;
    const lost = s.lost?.includes(name) ?? false;
    return {
      id: name, name, inCluster: !offline && !lost, controllerOnline: !offline && !lost, join: offline || lost ? 'down' : 'member',
      expected: offline ? 'down' : 'member', transientAttributes: s.nodeAttrs?.[name] ?? {},
      history: Object.entries(s.history?.[name] ?? {}).map(([rsc, ops]) => ({ rsc, ops })),
    };
  });
  return {
    config: {
      nodes: s.nodes.map((name) => ({ id: name, name, type: 'member' as const, attributes: s.standby?.includes(name) ? { standby: 'on' } as Record<string, string> : {}, utilization: {} })),
      resources: s.resources,
      constraints: s.constraints ?? [],
      properties: { 'stonith-enabled': 'false', ...s.properties },
      rscDefaults: s.rscDefaults ?? {},
      opDefaults: {},
      fencingTopology: [],
    },
    status: { haveQuorum: s.quorum ?? true, nodes: states, tickets: {} },
  };
}

export const running = (...extra: OperationRecord[]): OperationRecord[] => [op('start'), ...extra];

export function loc(id: string, rsc: string, node: string, score: number): Constraint {
  return { kind: 'location', id, rsc, node, score, rules: [] };
}

export function coloc(id: string, rsc: string, withRsc: string, score: number, extra: Partial<Constraint & { kind: 'colocation' }> = {}): Constraint {
  return { kind: 'colocation', id, rsc, withRsc, score, ...extra } as Constraint;
}

export function order(id: string, first: string, then: string, orderKind: 'Mandatory' | 'Optional' = 'Mandatory', symmetrical = true): Constraint {
  return { kind: 'order', id, first, then, firstAction: 'start', thenAction: 'start', orderKind, symmetrical };
}
