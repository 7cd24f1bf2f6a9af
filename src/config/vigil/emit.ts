/**
 * The cluster model (and engine settings) → vigil.yaml text. Used by `vigil import` and by
 * `vigil config show`; `loadVigilYaml(toVigilYaml(x))` gives back x for anything the loader can
 * produce (a property test checks this). Ids the loader would generate are left out; what YAML
 * cannot express is reported as a warning rather than dropped silently.
 */
import { Document, isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import type {
  Attributes, ClusterConfig, Constraint, FencingLevel, OperationConfig, Primitive, Resource, Rule, ResourceSet,
} from '../../model/cluster.js';
import type { Warning } from '../../model/errors.js';
import { formatScore, INFINITY, type Score } from '../../model/score.js';
import { parseDuration } from '../../model/time.js';
import { formatAgent } from '../agent.js';
import { formatDuration } from '../durations.js';
import { DEFAULTS, type EngineSettings, type LinkSettings, type NoQuorumPolicy } from '../settings.js';
import { defaultConstraintId, defaultLevelId, defaultOpId, OWNED_PROPERTIES } from './load.js';
import { COMPACT_EXPRESSION, type ConstraintInput } from './schema.js';

export interface EmitOptions {
  /** A comment for the top of the file (without leading #). */
  header?: string;
  /** Comments to put above resources, by resource id. */
  comments?: ReadonlyMap<string, string>;
}

export interface EmitResult {
  text: string;
  /** Things the model holds that vigil.yaml cannot express (they are left out). */
  warnings: Warning[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const NO_QUORUM: readonly NoQuorumPolicy[] = ['stop', 'freeze', 'ignore', 'suicide', 'demote'];

export function toVigilYaml(config: ClusterConfig, settings?: EngineSettings, options: EmitOptions = {}): string {
  return emitVigilYaml(config, settings, options).text;
}

export function emitVigilYaml(config: ClusterConfig, settings?: EngineSettings, options: EmitOptions = {}): EmitResult {
  const warnings: Warning[] = [];
  const warn = (message: string): void => { warnings.push({ message }); };
  const out: Obj = { cluster: cluster(config, settings, warn) };
  if (config.resources.length > 0) out.resources = config.resources.map((r) => resource(r));
  const constraints = emitConstraints(config.constraints, warn);
  if (constraints.length > 0) out.constraints = constraints;
  const defaults: Obj = {};
  if (Object.keys(config.rscDefaults).length > 0) defaults.resources = attrs(config.rscDefaults);
  if (Object.keys(config.opDefaults).length > 0) defaults.operations = attrs(config.opDefaults);
  if (Object.keys(defaults).length > 0) out.defaults = defaults;

  const doc = new Document(out);
  if (options.header !== undefined) doc.commentBefore = prefix(options.header);
  style(doc, options.comments ?? new Map());
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: true }), warnings };
}

const prefix = (text: string): string => text.split('\n').map((l) => (l === '' ? '' : ` ${l}`)).join('\n');

function attrs(a: Attributes): Obj {
  return { ...a };
}

function scoreText(s: Score): Json {
  return s >= INFINITY || s <= -INFINITY ? formatScore(s) : s;
}

// --------------------------------------------------------------------------------------------- cluster

function cluster(config: ClusterConfig, s: EngineSettings | undefined, warn: (m: string) => void): Obj {
  const props = { ...config.properties };
  const c: Obj = { name: config.name ?? s?.clusterName ?? props['cluster-name'] ?? 'cluster' };
  c.nodes = config.nodes.map((n, i) => {
    const ns = s?.nodes.find((x) => x.name === n.name);
    const o: Obj = { name: n.name };
    const id = ns?.id ?? (/^\d+$/.test(n.id) ? Number(n.id) : undefined);
    if (id === undefined) warn(`node ${n.name}: id "${n.id}" is not a number; vigil.yaml numbers nodes itself (${i + 1})`);
    else if (id !== i + 1) o.id = id;
    if (ns && ns.addresses.length > 0) o.addresses = [...ns.addresses];
    if (ns && ns.votes !== 1) o.votes = ns.votes;
    if (n.type !== 'member') o.type = n.type;
    if (Object.keys(n.attributes).length > 0) o.attributes = attrs(n.attributes);
    if (Object.keys(n.utilization).length > 0) o.utilization = attrs(n.utilization);
    return o;
  });
  if (s) {
    if (!isDefaultLinks(s.transport.links)) c.links = s.transport.links.map((l, i) => link(l, i));
    if (s.transport.authkeyFile !== DEFAULTS.authkeyFile) c.authkey = s.transport.authkeyFile;
    const crypto: Obj = {};
    if (s.transport.cipher !== 'none') crypto.cipher = s.transport.cipher;
    if (s.transport.keyFormat !== 'vigil') crypto.key_format = s.transport.keyFormat;
    if (Object.keys(crypto).length > 0) c.crypto = crypto;
    const m = s.membership;
    c.timing = { keepalive: formatDuration(m.keepaliveMs), warntime: formatDuration(m.warntimeMs), deadtime: formatDuration(m.deadtimeMs), initdead: formatDuration(m.initdeadMs) };
    const q: Obj = {};
    if (s.quorum.expectedVotes !== undefined) q.expected_votes = s.quorum.expectedVotes;
    if (s.quorum.twoNode) q.two_node = true;
    if (s.quorum.waitForAll !== s.quorum.twoNode) q.wait_for_all = s.quorum.waitForAll;
    if (s.quorum.witness) {
      const a = s.quorum.witness.address.includes(':') ? `[${s.quorum.witness.address}]` : s.quorum.witness.address;
      q.witness = s.quorum.witness.port === DEFAULTS.witnessPort ? a : `${a}:${s.quorum.witness.port}`;
    }
    if (Object.keys(q).length > 0) c.quorum = q;
    const p: Obj = {};
    if (s.paths.stateDir !== DEFAULTS.stateDir) p.state_dir = s.paths.stateDir;
    if (s.paths.runtimeDir !== DEFAULTS.runtimeDir) p.runtime_dir = s.paths.runtimeDir;
    if (Object.keys(p).length > 0) c.paths = p;
  }
  // Fencing and no-quorum-policy live in properties in the model; vigil.yaml gives them fields.
  const fencing: Obj = { enabled: s?.fencing.enabled ?? isTrue(props['stonith-enabled'] ?? 'true') };
  const wdText = props['stonith-watchdog-timeout'];
  const wd = s?.fencing.watchdogTimeoutMs ?? (wdText !== undefined ? parseDuration(wdText) : undefined);
  if (wd !== undefined && wd > 0) fencing.watchdog_timeout = formatDuration(wd);
  else if (wdText !== undefined && wd === undefined) warn(`stonith-watchdog-timeout "${wdText}" (automatic) has no vigil.yaml equivalent; set cluster.fencing.watchdog_timeout`);
  if (s && Object.keys(s.fencing.delayMs).length > 0) fencing.delay = Object.fromEntries(Object.entries(s.fencing.delayMs).map(([k, v]) => [k, formatDuration(v)]));
  if (config.fencingTopology.length > 0) fencing.levels = config.fencingTopology.map((l) => level(l));
  c.fencing = fencing;
  const nqText = props['no-quorum-policy'];
  let nq: NoQuorumPolicy = s?.noQuorumPolicy ?? DEFAULTS.noQuorumPolicy;
  if (!s && nqText !== undefined) {
    if ((NO_QUORUM as readonly string[]).includes(nqText)) nq = nqText as NoQuorumPolicy;
    else warn(`no-quorum-policy "${nqText}" is not one of ${NO_QUORUM.join(', ')}; using stop`);
  }
  c.no_quorum_policy = nq;
  for (const k of Object.keys(OWNED_PROPERTIES)) delete props[k];
  if (Object.keys(props).length > 0) c.properties = attrs(props);
  return c;
}

function isTrue(v: string): boolean {
  return ['true', 'yes', 'on', 'y', '1'].includes(v.trim().toLowerCase());
}

function isDefaultLinks(links: LinkSettings[]): boolean {
  if (links.length !== 1) return false;
  const l = links[0];
  return l.name === 'link0' && l.transport === 'unicast' && l.port === DEFAULTS.port && l.ttl === DEFAULTS.ttl && !l.loop
    && l.peers.length === 0 && l.interface === undefined && l.group === undefined;
}

function link(l: LinkSettings, i: number): Obj {
  const o: Obj = {};
  if (l.name !== `link${i}`) o.name = l.name;
  o.transport = l.transport;
  if (l.interface !== undefined) o.interface = l.interface;
  o.port = l.port;
  if (l.group !== undefined) o.group = l.group;
  if (l.ttl !== DEFAULTS.ttl) o.ttl = l.ttl;
  if (l.loop) o.loop = true;
  if (l.peers.length > 0) o.peers = [...l.peers];
  return o;
}

function level(l: FencingLevel): Obj {
  const o: Obj = { index: l.index };
  o[l.targetKind === 'node' ? 'node' : l.targetKind] = l.target;
  o.devices = [...l.devices];
  if (l.id !== defaultLevelId(l.target, l.index)) o.id = l.id;
  return o;
}

// --------------------------------------------------------------------------------------------- resources

function resource(r: Resource): Obj {
  switch (r.kind) {
    case 'primitive': return primitive(r);
    case 'group': {
      const o: Obj = { group: r.id, members: r.members.map((m) => primitive(m)) };
      if (Object.keys(r.meta).length > 0) o.meta = attrs(r.meta);
      return o;
    }
    case 'clone': {
      const o: Obj = { clone: r.id };
      if (r.promotable) o.promotable = true;
      if (Object.keys(r.meta).length > 0) o.meta = attrs(r.meta);
      o.resource = resource(r.child);
      return o;
    }
  }
}

function primitive(p: Primitive): Obj {
  const o: Obj = { primitive: p.id, agent: formatAgent(p.agent) };
  if (Object.keys(p.params).length > 0) o.params = attrs(p.params);
  if (Object.keys(p.meta).length > 0) o.meta = attrs(p.meta);
  if (p.operations.length > 0) {
    const defaults = p.operations.map((op) => defaultOpId(p.id, op.name, op.intervalMs));
    o.ops = p.operations.map((op, i) => operation(op, defaults[i] === op.id && defaults.filter((d) => d === op.id).length === 1 && !p.operations.some((x, j) => j !== i && x.id === op.id)));
  }
  if (Object.keys(p.utilization).length > 0) o.utilization = attrs(p.utilization);
  return o;
}

function operation(op: OperationConfig, omitId: boolean): Obj {
  const o: Obj = { name: op.name };
  if (op.intervalMs !== 0) o.interval = formatDuration(op.intervalMs);
  if (op.timeoutMs !== undefined) o.timeout = formatDuration(op.timeoutMs);
  if (op.role !== undefined) o.role = op.role;
  if (op.onFail !== undefined) o.on_fail = op.onFail;
  if (!op.enabled) o.enabled = false;
  if (!omitId) o.id = op.id;
  if (Object.keys(op.meta).length > 0) o.meta = attrs(op.meta);
  return o;
}

// --------------------------------------------------------------------------------------------- constraints

function emitConstraints(list: Constraint[], warn: (m: string) => void): Obj[] {
  const emitted: Array<{ o: Obj; id: string }> = [];
  for (const c of list) {
    const o = constraint(c, warn);
    if (o) emitted.push({ o, id: c.id });
  }
  // Leave out an id when the loader would generate exactly it (and nothing else could claim it).
  const bases = emitted.map((e, i) => defaultConstraintId(e.o as unknown as ConstraintInput, i));
  const baseCount = new Map<string, number>();
  for (const b of bases) baseCount.set(b, (baseCount.get(b) ?? 0) + 1);
  const idCount = new Map<string, number>();
  for (const e of emitted) idCount.set(e.id, (idCount.get(e.id) ?? 0) + 1);
  return emitted.map((e, i) => {
    const base = bases[i];
    // Omit only if no other constraint has this base or this id (so the loader generates exactly it).
    const unique = baseCount.get(base) === 1 && (idCount.get(base) ?? 0) === (e.id === base ? 1 : 0);
    return e.id === base && unique ? e.o : { ...e.o, id: e.id };
  });
}

function constraint(c: Constraint, warn: (m: string) => void): Obj | undefined {
  switch (c.kind) {
    case 'location': {
      const o: Obj = c.rscPattern !== undefined ? { location_pattern: c.rscPattern } : { location: c.rsc };
      if (c.role !== undefined) o.role = c.role;
      if (c.node !== undefined && c.rules.length === 0) {
        o.node = c.node;
        if (c.score !== INFINITY) o.score = scoreText(c.score ?? 0);
      } else if (c.rules.length > 0) {
        if (c.node !== undefined) warn(`constraint ${c.id}: has both a node and rules; only the rules are kept`);
        const rules = c.rules.map((r) => rule(r, c.id, warn)).filter((r): r is Obj => r !== undefined);
        if (rules.length === 0) return undefined;
        o.rules = rules;
      } else {
        warn(`constraint ${c.id}: location with neither node nor rules left out`);
        return undefined;
      }
      if (c.resourceDiscovery !== undefined) o.discovery = c.resourceDiscovery;
      return o;
    }
    case 'colocation': {
      const o: Obj = { colocation: c.rsc, with: c.withRsc };
      if (c.score !== INFINITY) o.score = scoreText(c.score);
      if (c.rscRole !== undefined) o.role = c.rscRole;
      if (c.withRscRole !== undefined) o.with_role = c.withRscRole;
      if (c.nodeAttribute !== undefined) o.node_attribute = c.nodeAttribute;
      if (c.influence !== undefined) o.influence = c.influence;
      return o;
    }
    case 'order': {
      const o: Obj = { order: c.first, then: c.then };
      if (c.firstAction !== 'start') o.first_action = c.firstAction;
      if (c.thenAction !== c.firstAction) o.then_action = c.thenAction;
      if (c.orderKind !== 'Mandatory') o.kind = c.orderKind;
      if (c.symmetrical !== (c.orderKind !== 'Serialize')) o.symmetrical = c.symmetrical;
      return o;
    }
    case 'colocation-set': {
      const o: Obj = { colocation_sets: c.sets.map((s) => set(s)) };
      if (c.score !== undefined && c.score !== INFINITY) o.score = scoreText(c.score);
      return o;
    }
    case 'order-set': {
      const o: Obj = { order_sets: c.sets.map((s) => set(s)) };
      const kind = c.orderKind ?? 'Mandatory';
      if (kind !== 'Mandatory') o.kind = kind;
      if (c.symmetrical !== undefined && c.symmetrical !== (kind !== 'Serialize')) o.symmetrical = c.symmetrical;
      return o;
    }
  }
}

function set(s: ResourceSet): Obj {
  const o: Obj = { resources: [...s.resources] };
  if (!s.sequential) o.sequential = false;
  if (!s.requireAll) o.require_all = false;
  if (s.role !== undefined) o.role = s.role;
  if (s.action !== undefined) o.action = s.action;
  if (s.score !== undefined) o.score = scoreText(s.score);
  o.id = s.id;
  return o;
}

function rule(r: Rule, where: string, warn: (m: string) => void): Obj | undefined {
  const o: Obj = {};
  if (r.score !== undefined) o.score = scoreText(r.score);
  if (r.scoreAttribute !== undefined) o.score_attribute = r.scoreAttribute;
  if (r.booleanOp !== 'and') o.boolean = r.booleanOp;
  if (r.role !== undefined) o.role = r.role;
  if (r.id !== undefined) o.id = r.id;
  const match: Json[] = [];
  for (const e of r.expressions) {
    switch (e.kind) {
      case 'attribute': {
        const compact = e.id === undefined && e.type === undefined && e.valueSource === undefined && !/\s/.test(e.attribute)
          && e.attribute !== 'defined' && e.attribute !== 'not_defined';
        if (compact && (e.operation === 'defined' || e.operation === 'not_defined') && e.value === undefined) { match.push(`${e.operation} ${e.attribute}`); break; }
        const text = `${e.attribute} ${e.operation} ${e.value ?? ''}`;
        if (compact && e.value !== undefined && e.value !== '' && e.value === e.value.trim() && COMPACT_EXPRESSION.test(text)) { match.push(text); break; }
        const x: Obj = { attribute: e.attribute, operation: e.operation };
        if (e.value !== undefined) x.value = e.value;
        if (e.type !== undefined) x.type = e.type;
        if (e.valueSource !== undefined) x.value_source = e.valueSource;
        if (e.id !== undefined) x.id = e.id;
        match.push(x);
        break;
      }
      case 'date': {
        const x: Obj = { date: e.operation };
        if (e.start !== undefined) x.start = e.start;
        if (e.end !== undefined) x.end = e.end;
        if (e.duration !== undefined) x.duration = { ...e.duration } as Obj;
        if (e.dateSpec !== undefined) x.spec = { ...e.dateSpec } as Obj;
        if (e.id !== undefined) x.id = e.id;
        match.push(x);
        break;
      }
      case 'rule': {
        const nested = rule(e.rule, where, warn);
        if (nested) match.push({ rule: nested });
        break;
      }
      default:
        warn(`constraint ${where}: a ${e.kind} expression in a location rule has no meaning there and is left out`);
    }
  }
  if (match.length === 0) { warn(`constraint ${where}: a rule without expressions is left out`); return undefined; }
  o.match = match;
  return o;
}

// --------------------------------------------------------------------------------------------- layout

/** Short maps on one line (ops, params), comments above commented resources. */
function style(doc: Document, comments: ReadonlyMap<string, string>): void {
  const contents = doc.contents;
  if (!isMap(contents)) return;
  const flowIfShort = (m: unknown): void => {
    if (!isMap(m)) return;
    const text = JSON.stringify(m.toJSON());
    if (m.items.length <= 4 && text.length <= 72 && m.items.every((p) => isScalar(p.value))) m.flow = true;
  };
  const visitPrimitive = (item: YAMLMap): void => {
    const id = item.get('primitive') ?? item.get('group') ?? item.get('clone');
    if (typeof id === 'string' && comments.has(id)) item.commentBefore = prefix(comments.get(id) ?? '');
    flowIfShort(item.get('params', true));
    flowIfShort(item.get('meta', true));
    const ops = item.get('ops', true);
    if (isSeq(ops)) for (const op of ops.items) if (isMap(op)) op.flow = true;
    const members = item.get('members', true);
    if (isSeq(members)) for (const m of members.items) if (isMap(m)) visitPrimitive(m);
    const child = item.get('resource', true);
    if (isMap(child)) visitPrimitive(child);
  };
  const resources = contents.get('resources', true);
  if (isSeq(resources)) for (const r of resources.items) if (isMap(r)) visitPrimitive(r);
  const clusterNode = contents.get('cluster', true);
  if (isMap(clusterNode)) {
    flowIfShort(clusterNode.get('timing', true));
    const nodes = clusterNode.get('nodes', true);
    if (isSeq(nodes)) {
      for (const n of nodes.items) {
        if (!isMap(n)) continue;
        const a = n.get('addresses', true);
        if (isSeq(a)) a.flow = true;
        flowIfShort(n.get('attributes', true));
      }
    }
  }
}
