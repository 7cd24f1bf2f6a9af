/**
 * Cluster shapes for the whole-cluster simulator, written as vigil.yaml (the same loader the
 * daemon uses), so a shape reads like a user's configuration. Every shape carries the same
 * resource mix: a primitive with a mandatory order after a group, a group of three, an
 * anonymous clone and a promotable clone (promoted-max 1).
 */
import { loadVigilYaml, type VigilLoadResult } from '../../config/index.js';

export interface Shape {
  name: string;
  /** Voting nodes that run resources. */
  nodes: number;
  witness: boolean;
  twoNode: boolean;
  /** A fence device (power switch) for every node; otherwise self-fencing with the watchdog. */
  device: boolean;
  /** watchdog-timeout (ms) when self-fencing is configured. */
  watchdogMs?: number;
  noQuorumPolicy: 'stop' | 'demote' | 'suicide';
}

export const SHAPES: Shape[] = [
  { name: 'two-node', nodes: 2, witness: false, twoNode: true, device: true, noQuorumPolicy: 'stop' },
  { name: 'two-node-witness', nodes: 2, witness: true, twoNode: false, device: false, watchdogMs: 5000, noQuorumPolicy: 'stop' },
  { name: 'three-device', nodes: 3, witness: false, twoNode: false, device: true, noQuorumPolicy: 'stop' },
  { name: 'three-watchdog', nodes: 3, witness: false, twoNode: false, device: false, watchdogMs: 4000, noQuorumPolicy: 'demote' },
  { name: 'five-device', nodes: 5, witness: false, twoNode: false, device: true, watchdogMs: 6000, noQuorumPolicy: 'suicide' },
  { name: 'five-watchdog', nodes: 5, witness: false, twoNode: false, device: false, watchdogMs: 5000, noQuorumPolicy: 'stop' },
];

export function shapeByName(name: string): Shape | undefined {
  return SHAPES.find((s) => s.name === name);
}

/** Operation timeouts of the simulated agents (virtual ms); hung operations end at these. */
export const OP_TIMEOUT_MS = { start: 4000, stop: 4000, monitor: 2000, promote: 4000, demote: 4000 };

export function shapeYaml(s: Shape): string {
  const names = Array.from({ length: s.nodes }, (_, i) => `n${i + 1}`);
  const nodes = names.map((n, i) => `    - { name: ${n}, addresses: [192.0.2.${i + 1}] }`).join('\n');
  const fencing = [
    '  fencing:',
    '    enabled: true',
    ...(s.watchdogMs !== undefined ? [`    watchdog_timeout: ${s.watchdogMs}ms`] : []),
    // The node that keeps its resources in a two-node fence race: n1 is fenced only after a delay.
    ...(s.twoNode ? ['    delay: { n1: 2s }'] : []),
    ...(s.device ? ['    devices:', `      - { device: power, agent: fence_sim, hosts: [${names.join(', ')}] }`] : []),
  ].join('\n');
  const quorum = s.twoNode ? '  quorum: { two_node: true, wait_for_all: true }' : s.witness ? '  quorum: { witness: "192.0.2.100:694" }' : '';
  const ops = (extra = '') => `ops: [ { name: start, timeout: ${OP_TIMEOUT_MS.start}ms }, { name: stop, timeout: ${OP_TIMEOUT_MS.stop}ms }, { name: monitor, interval: 3s, timeout: ${OP_TIMEOUT_MS.monitor}ms }${extra} ]`;
  return `cluster:
  name: sim-${s.name}
  nodes:
${nodes}
  timing: { keepalive: 400ms, warntime: 800ms, deadtime: 1200ms, initdead: 2s }
${quorum}
  no_quorum_policy: ${s.noQuorumPolicy}
${fencing}
resources:
  - primitive: vip
    agent: builtin:dummy
    ${ops()}
  - group: web
    members:
      - { primitive: ip, agent: builtin:dummy, ${ops()} }
      - { primitive: fs, agent: builtin:dummy, ${ops()} }
      - { primitive: app, agent: builtin:dummy, ${ops()} }
  - primitive: report
    agent: builtin:dummy
    ${ops()}
  - clone: pingd
    resource: { primitive: ping, agent: builtin:dummy, ${ops()} }
  - clone: db
    promotable: true
    meta: { promoted-max: "1" }
    resource:
      primitive: dbi
      agent: builtin:dummy
      ops:
        - { name: start, timeout: ${OP_TIMEOUT_MS.start}ms }
        - { name: stop, timeout: ${OP_TIMEOUT_MS.stop}ms }
        - { name: promote, timeout: ${OP_TIMEOUT_MS.promote}ms }
        - { name: demote, timeout: ${OP_TIMEOUT_MS.demote}ms }
        - { name: monitor, interval: 3s, timeout: ${OP_TIMEOUT_MS.monitor}ms, role: Promoted }
        - { name: monitor, interval: 4s, timeout: ${OP_TIMEOUT_MS.monitor}ms, role: Unpromoted }
constraints:
  - { location: vip, node: n1, score: 50 }
  - { location: web, node: ${names[names.length - 1]}, score: 50 }
  - { order: web, then: report }
  - { colocation: report, with: web, score: INFINITY }
  - { location: db, node: n1, score: 20, role: Promoted }
defaults:
  resources: { migration-threshold: "2", failure-timeout: 20s, resource-stickiness: "10" }
`;
}

const loadedShapes = new Map<string, VigilLoadResult>();

/** The shape's vigil.yaml, loaded once per process (nothing modifies a loaded configuration). */
export function loadShape(s: Shape): VigilLoadResult {
  let r = loadedShapes.get(s.name);
  if (!r) {
    r = loadVigilYaml(shapeYaml(s), `<sim shape ${s.name}>`);
    loadedShapes.set(s.name, r);
  }
  return r;
}
