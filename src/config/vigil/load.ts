/**
 * vigil.yaml → the cluster model and the engine settings. Three passes, each reporting every
 * error it finds: YAML syntax, the schema (schema.ts), then meaning (unique ids, references to
 * resources and nodes that exist, links that can reach every node).
 */
import type {
  AttributeExpression, Attributes, Cib, ClusterConfig, ClusterStatus, Constraint, DateExpression, FencingLevel, NestedRule,
  Group, NodeConfig, OperationConfig, Primitive, Resource, ResourceSet, Rule,
} from '../../model/cluster.js';
import { InputError, InputErrors, type Warning } from '../../model/errors.js';
import { INFINITY, parseScore } from '../../model/score.js';
import { parseDuration } from '../../model/time.js';
import { parseAgent } from '../agent.js';
import { formatDuration } from '../durations.js';
import { DEFAULTS, type EngineSettings, type LinkSettings, type NodeSettings } from '../settings.js';
import { type FieldPath, keepNumberText, YamlSource } from '../yaml-source.js';
import { issuesToErrors } from './issues.js';
import { rawReferenceErrors, References } from './references.js';
import {
  COMPACT_EXPRESSION, vigilYaml, type ConstraintInput, type GroupInput, type OpInput, type PrimitiveInput, type ResourceInput,
  type RuleInputType, type VigilYaml,
} from './schema.js';

export interface VigilLoadResult {
  config: ClusterConfig;
  /** The configuration with an empty status, for code that wants a Cib. */
  cib: Cib;
  settings: EngineSettings;
  warnings: Warning[];
}

/** Cluster properties that vigil.yaml sets through structured fields, not through `properties`. */
export const OWNED_PROPERTIES: Record<string, string> = {
  'stonith-enabled': 'cluster.fencing.enabled',
  'no-quorum-policy': 'cluster.no_quorum_policy',
  'stonith-watchdog-timeout': 'cluster.fencing.watchdog_timeout',
};

/** Keys whose value is a free-form name/value map (values are text for agents and Pacemaker). */
const ATTRIBUTE_MAPS: ReadonlySet<string> = new Set(['params', 'meta', 'properties', 'attributes', 'utilization', 'resources', 'operations']);

export function emptyStatus(): ClusterStatus {
  return { haveQuorum: false, nodes: [], tickets: {} };
}

export function loadVigilYaml(text: string, file: string): VigilLoadResult {
  const src = new YamlSource(text, file);
  const syntax = src.syntaxErrors();
  if (syntax.length > 0) throw new InputErrors(syntax);
  const data: unknown = src.doc.toJS({ maxAliasCount: 1000 });
  keepNumberText(src, data, ATTRIBUTE_MAPS);
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    throw new InputErrors([src.error([], data == null ? 'the file is empty' : 'the top level is not a mapping', 'a mapping with cluster:, resources:, constraints:')]);
  }
  const parsed = vigilYaml.safeParse(data);
  if (!parsed.success) {
    // Still report broken references, unless that field already has a schema error.
    const schemaErrors = issuesToErrors(src, data, parsed.error.issues);
    const flagged = new Set(schemaErrors.map((e) => e.field));
    throw new InputErrors([...schemaErrors, ...rawReferenceErrors(src, data).filter((e) => !flagged.has(e.field))]);
  }
  const b = new Builder(src, parsed.data);
  const result = b.build();
  if (b.errors.length > 0) throw new InputErrors(b.errors);
  return { ...result, warnings: [...src.syntaxWarnings(), ...b.warnings] };
}

/** Default ids, shared with the emitter so it can leave out ids the loader would generate anyway. */
export function defaultOpId(rsc: string, name: string, intervalMs: number): string {
  return `${rsc}-${name}-interval-${formatDuration(intervalMs)}`;
}

export function defaultConstraintId(c: ConstraintInput, index: number): string {
  if ('location' in c) return c.node !== undefined ? `location-${c.location}-${c.node}` : `location-${c.location}`;
  if ('location_pattern' in c) return `location-pattern-${index + 1}`;
  if ('colocation' in c) return `colocation-${c.colocation}-with-${c.with}`;
  if ('order' in c) return `order-${c.order}-then-${c.then}`;
  if ('colocation_sets' in c) return `colocation-set-${index + 1}`;
  return `order-set-${index + 1}`;
}

export function defaultLevelId(target: string, index: number): string {
  return `fl-${target.replace(/[^A-Za-z0-9_.-]/g, '_')}-${index}`;
}

const str = (v: string | number | boolean): string => String(v);
function attrs(a: Record<string, string | number | boolean> | undefined): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(a ?? {})) out[k] = str(v);
  return out;
}
const ms = (d: string | number): number => parseDuration(d) ?? 0;
const scoreOf = (s: string | number): number => parseScore(s) ?? 0;

class Builder {
  readonly errors: InputError[] = [];
  readonly warnings: Warning[] = [];
  /** Resource ids (primitives, members, groups, clones, clone children, fence devices) and node names. */
  private readonly refs: References;
  private readonly opIds = new Map<string, FieldPath>();

  constructor(private readonly src: YamlSource, private readonly y: VigilYaml) {
    this.refs = new References(src, this.errors);
  }

  private get nodeNames(): Set<string> { return this.refs.nodeNames; }

  private err(path: FieldPath, message: string, expected?: string): void {
    this.errors.push(this.src.error(path, message, expected));
  }

  private warn(path: FieldPath, message: string): void {
    this.warnings.push({ where: this.src.where(path), message });
  }

  build(): { config: ClusterConfig; cib: Cib; settings: EngineSettings } {
    const c = this.y.cluster;
    const nodes = this.nodes();
    const resources = (this.y.resources ?? []).map((r, i) => this.resource(r, ['resources', i]));
    const fencing = c.fencing ?? { enabled: true };
    for (const [i, d] of (fencing.devices ?? []).entries()) resources.push(this.fenceDevice(d, ['cluster', 'fencing', 'devices', i]));
    const constraints = this.constraints();
    const properties = attrs(c.properties);
    for (const [k, instead] of Object.entries(OWNED_PROPERTIES)) {
      if (k in properties) this.err(['cluster', 'properties', k], `set ${instead} instead of the property "${k}"`, `no "${k}" here`);
    }
    properties['stonith-enabled'] = String(fencing.enabled);
    properties['no-quorum-policy'] = c.no_quorum_policy;
    if (fencing.watchdog_timeout !== undefined) properties['stonith-watchdog-timeout'] = formatDuration(ms(fencing.watchdog_timeout));
    const config: ClusterConfig = {
      name: c.name,
      nodes,
      resources,
      constraints,
      properties,
      rscDefaults: attrs(this.y.defaults?.resources),
      opDefaults: attrs(this.y.defaults?.operations),
      fencingTopology: this.levels(),
    };
    const settings = this.settings();
    this.safetyWarnings(settings, (fencing.devices ?? []).length > 0);
    return { config, cib: { config, status: emptyStatus() }, settings };
  }

  // ------------------------------------------------------------------------------------------- nodes

  private nodes(): NodeConfig[] {
    const ids = new Map<number, number>();
    return this.y.cluster.nodes.map((n, i) => {
      const path = ['cluster', 'nodes', i];
      this.refs.claimNode(n.name, [...path, 'name']);
      const id = n.id ?? i + 1;
      if (ids.has(id)) this.err(n.id !== undefined ? [...path, 'id'] : path, `node id ${id} is already used by cluster.nodes[${ids.get(id)}]`, 'unique node ids');
      ids.set(id, i);
      return { id: String(id), name: n.name, type: n.type, attributes: attrs(n.attributes), utilization: attrs(n.utilization) };
    });
  }

  // ------------------------------------------------------------------------------------------- resources

  private claimId(id: string, path: FieldPath): void {
    this.refs.claimResource(id, path);
  }

  private resource(r: ResourceInput, path: FieldPath): Resource {
    if ('primitive' in r) return this.primitive(r, path);
    if ('group' in r) return this.group(r, path);
    this.claimId(r.clone, [...path, 'clone']);
    const child = r.resource;
    const childPath = [...path, 'resource'];
    const built = 'primitive' in child ? this.primitive(child, childPath) : this.group(child, childPath);
    return { kind: 'clone', id: r.clone, meta: attrs(r.meta), promotable: r.promotable, child: built, origin: this.src.where(path) };
  }

  private group(g: GroupInput, path: FieldPath): Group {
    this.claimId(g.group, [...path, 'group']);
    const members = g.members.map((m, i) => this.primitive(m, [...path, 'members', i]));
    return { kind: 'group', id: g.group, meta: attrs(g.meta), members, origin: this.src.where(path) };
  }

  private primitive(p: PrimitiveInput, path: FieldPath): Primitive {
    this.claimId(p.primitive, [...path, 'primitive']);
    const agent = parseAgent(p.agent) ?? { class: 'ocf' as const, provider: 'heartbeat', type: p.agent };
    const meta = attrs(p.meta);
    if (p.description !== undefined) meta.description = p.description;
    return {
      kind: 'primitive', id: p.primitive, agent, params: attrs(p.params), meta,
      operations: (p.ops ?? []).map((o, i) => this.op(p.primitive, o, [...path, 'ops', i])),
      utilization: attrs(p.utilization), origin: this.src.where(path),
    };
  }

  private op(rsc: string, o: OpInput, path: FieldPath): OperationConfig {
    const intervalMs = o.interval === undefined ? 0 : ms(o.interval);
    let id = o.id ?? defaultOpId(rsc, o.name, intervalMs);
    const first = this.opIds.get(id);
    if (first !== undefined) {
      if (o.id !== undefined) this.err([...path, 'id'], `operation id "${id}" is used twice`, 'unique operation ids');
      else this.err(path, `operation ${o.name} with interval ${formatDuration(intervalMs)} is defined twice for "${rsc}"`, 'one operation per name and interval');
      id = `${id}-dup`;
    }
    this.opIds.set(id, path);
    const op: OperationConfig = { id, name: o.name, intervalMs, enabled: o.enabled ?? true, meta: attrs(o.meta) };
    if (o.timeout !== undefined) op.timeoutMs = ms(o.timeout);
    if (o.role !== undefined) op.role = o.role;
    if (o.on_fail !== undefined) op.onFail = o.on_fail;
    return op;
  }

  private fenceDevice(d: NonNullable<NonNullable<VigilYaml['cluster']['fencing']>['devices']>[number], path: FieldPath): Primitive {
    this.claimId(d.device, [...path, 'device']);
    const params = attrs(d.params);
    if (d.hosts !== undefined) {
      if ('pcmk_host_list' in params) this.err([...path, 'params', 'pcmk_host_list'], 'give the hosts either as hosts: or as params.pcmk_host_list, not both', 'one of them');
      params.pcmk_host_list = d.hosts.join(' ');
      d.hosts.forEach((h, i) => { if (!this.nodeNames.has(h)) this.err([...path, 'hosts', i], `unknown node "${h}"`, `a node from cluster.nodes (${[...this.nodeNames].join(', ')})`); });
    }
    return {
      kind: 'primitive', id: d.device, agent: { class: 'stonith', type: d.agent.replace(/^stonith:/, '') }, params, meta: attrs(d.meta),
      operations: (d.ops ?? []).map((o, i) => this.op(d.device, o, [...path, 'ops', i])), utilization: {}, origin: this.src.where(path),
    };
  }

  // ------------------------------------------------------------------------------------------- constraints

  private constraints(): Constraint[] {
    const list = this.y.constraints ?? [];
    const explicit = new Map<string, number>();
    list.forEach((c, i) => {
      if (c.id === undefined) return;
      if (explicit.has(c.id)) this.err(['constraints', i, 'id'], `constraint id "${c.id}" is used twice (also constraints[${explicit.get(c.id)}])`, 'unique constraint ids');
      else explicit.set(c.id, i);
    });
    const used = new Set(explicit.keys());
    return list.map((c, i) => {
      let id = c.id;
      if (id === undefined) {
        const base = defaultConstraintId(c, i);
        id = base;
        for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
        used.add(id);
      }
      return this.constraint(c, id, ['constraints', i]);
    });
  }

  private ref(id: string, path: FieldPath): void {
    this.refs.resource(id, path);
  }

  private nodeRef(name: string, path: FieldPath): void {
    this.refs.node(name, path);
  }

  private constraint(c: ConstraintInput, id: string, path: FieldPath): Constraint {
    const origin = this.src.where(path);
    if ('location' in c || 'location_pattern' in c) {
      const isPattern = 'location_pattern' in c;
      if (!isPattern) this.ref(c.location, [...path, 'location']);
      if (isPattern) {
        try { new RegExp(c.location_pattern); } catch { this.err([...path, 'location_pattern'], `invalid regular expression ${JSON.stringify(c.location_pattern)}`, 'a regular expression'); }
      }
      if (c.node !== undefined) this.nodeRef(c.node, [...path, 'node']);
      if ((c.node === undefined) === (c.rules === undefined)) this.err(path, c.node === undefined ? 'a location constraint needs node: (with score:) or rules:' : 'give either node: or rules:, not both', 'node: + score:, or rules:');
      if (c.rules !== undefined && c.score !== undefined) this.err([...path, 'score'], 'with rules, put the score on each rule', 'score inside rules[]');
      return {
        kind: 'location', id, rsc: isPattern ? '' : c.location,
        ...(isPattern ? { rscPattern: c.location_pattern } : {}),
        ...(c.role !== undefined ? { role: c.role } : {}),
        ...(c.node !== undefined ? { node: c.node, score: c.score === undefined ? INFINITY : scoreOf(c.score) } : {}),
        rules: (c.rules ?? []).map((r, i) => this.rule(r, [...path, 'rules', i])),
        ...(c.discovery !== undefined ? { resourceDiscovery: c.discovery } : {}),
        origin,
      };
    }
    if ('colocation' in c) {
      this.ref(c.colocation, [...path, 'colocation']);
      this.ref(c.with, [...path, 'with']);
      if (c.colocation === c.with) this.err([...path, 'with'], 'a resource cannot be colocated with itself', 'another resource');
      return {
        kind: 'colocation', id, rsc: c.colocation, withRsc: c.with, score: c.score === undefined ? INFINITY : scoreOf(c.score),
        ...(c.role !== undefined ? { rscRole: c.role } : {}), ...(c.with_role !== undefined ? { withRscRole: c.with_role } : {}),
        ...(c.node_attribute !== undefined ? { nodeAttribute: c.node_attribute } : {}), ...(c.influence !== undefined ? { influence: c.influence } : {}),
        origin,
      };
    }
    if ('order' in c) {
      this.ref(c.order, [...path, 'order']);
      this.ref(c.then, [...path, 'then']);
      const kind = c.kind ?? 'Mandatory';
      const firstAction = c.first_action ?? 'start';
      if (c.order === c.then && firstAction === (c.then_action ?? firstAction)) this.err([...path, 'then'], `${c.order} ${firstAction} cannot be ordered after itself`, 'another resource or another action');
      return {
        kind: 'order', id, first: c.order, then: c.then, firstAction, thenAction: c.then_action ?? firstAction, orderKind: kind,
        symmetrical: c.symmetrical ?? kind !== 'Serialize', origin,
      };
    }
    const setsKey = 'colocation_sets' in c ? 'colocation_sets' : 'order_sets';
    const rawSets = 'colocation_sets' in c ? c.colocation_sets : c.order_sets;
    const sets: ResourceSet[] = rawSets.map((s, i) => {
      s.resources.forEach((r, j) => this.ref(r, [...path, setsKey, i, 'resources', j]));
      return {
        id: s.id ?? `${id}-set-${i + 1}`, resources: s.resources, sequential: s.sequential ?? true, requireAll: s.require_all ?? true,
        ...(s.role !== undefined ? { role: s.role } : {}), ...(s.action !== undefined ? { action: s.action } : {}),
        ...(s.score !== undefined ? { score: scoreOf(s.score) } : {}),
      };
    });
    if ('colocation_sets' in c) return { kind: 'colocation-set', id, sets, score: c.score === undefined ? INFINITY : scoreOf(c.score), origin };
    const kind = c.kind ?? 'Mandatory';
    return { kind: 'order-set', id, sets, orderKind: kind, symmetrical: c.symmetrical ?? kind !== 'Serialize', origin };
  }

  private rule(r: RuleInputType, path: FieldPath): Rule {
    const rule: Rule = { booleanOp: r.boolean ?? 'and', expressions: [] };
    if (r.id !== undefined) rule.id = r.id;
    if (r.score !== undefined) rule.score = scoreOf(r.score);
    if (r.score_attribute !== undefined) rule.scoreAttribute = r.score_attribute;
    if (r.score !== undefined && r.score_attribute !== undefined) this.err([...path, 'score_attribute'], 'give score or score_attribute, not both', 'one of them');
    if (r.role !== undefined) rule.role = r.role;
    rule.expressions = r.match.map((e, i): Rule['expressions'][number] => {
      if (typeof e === 'string') return compactExpression(e);
      if ('rule' in e) return { kind: 'rule', rule: this.rule(e.rule, [...path, 'match', i, 'rule']) } satisfies NestedRule;
      if ('attribute' in e) {
        const x: AttributeExpression = { kind: 'attribute', attribute: e.attribute, operation: e.operation };
        if (e.id !== undefined) x.id = e.id;
        if (e.value !== undefined) x.value = str(e.value);
        else if (e.operation !== 'defined' && e.operation !== 'not_defined') this.err([...path, 'match', i, 'value'], `operation ${e.operation} needs a value`, 'value:');
        if (e.type !== undefined) x.type = e.type;
        if (e.value_source !== undefined) x.valueSource = e.value_source;
        return x;
      }
      const x: DateExpression = { kind: 'date', operation: e.date };
      if (e.id !== undefined) x.id = e.id;
      if (e.start !== undefined) x.start = e.start;
      if (e.end !== undefined) x.end = e.end;
      if (e.duration !== undefined) x.duration = { ...e.duration };
      if (e.spec !== undefined) x.dateSpec = Object.fromEntries(Object.entries(e.spec).map(([k, v]) => [k, str(v)]));
      const p = [...path, 'match', i];
      if (e.date === 'gt' && e.start === undefined) this.err([...p, 'start'], 'date gt needs start', 'start: an ISO 8601 date');
      if (e.date === 'lt' && e.end === undefined) this.err([...p, 'end'], 'date lt needs end', 'end: an ISO 8601 date');
      if (e.date === 'in_range' && e.end === undefined && e.duration === undefined) this.err(p, 'date in_range needs end or duration', 'end: or duration:');
      if (e.date === 'date_spec' && e.spec === undefined) this.err([...p, 'spec'], 'date_spec needs spec', 'spec: {hours: 9-17, ...}');
      for (const k of ['start', 'end'] as const) {
        const v = e[k];
        if (v !== undefined && Number.isNaN(Date.parse(v))) this.err([...p, k], `invalid date ${JSON.stringify(v)}`, 'an ISO 8601 date such as 2026-01-31 or 2026-01-31T08:00:00Z');
      }
      return x;
    });
    return rule;
  }

  private levels(): FencingLevel[] {
    const levels = this.y.cluster.fencing?.levels ?? [];
    const seen = new Set<string>();
    return levels.map((l, i) => {
      const path = ['cluster', 'fencing', 'levels', i];
      const targets = [l.node, l.pattern, l.attribute].filter((t) => t !== undefined);
      if (targets.length !== 1) this.err(path, 'a fencing level targets exactly one of node:, pattern:, attribute:', 'one of node:, pattern:, attribute:');
      // A level for a node that is not (yet) configured is legal in Pacemaker: it just never applies.
      if (l.node !== undefined && !this.nodeNames.has(l.node)) this.warn([...path, 'node'], `fencing level for "${l.node}", which is not in cluster.nodes: it applies only if such a node joins`);
      const target = l.node ?? l.pattern ?? l.attribute ?? '';
      const targetKind = l.node !== undefined ? 'node' : l.pattern !== undefined ? 'pattern' : 'attribute';
      l.devices.forEach((d, j) => {
        this.ref(d, [...path, 'devices', j]);
      });
      const key = `${targetKind}:${target}:${l.index}`;
      if (seen.has(key)) this.err([...path, 'index'], `level ${l.index} for ${target} is defined twice`, 'one level per target and index');
      seen.add(key);
      return { id: l.id ?? defaultLevelId(target, l.index), target, targetKind, index: l.index, devices: l.devices };
    });
  }

  // ------------------------------------------------------------------------------------------- settings

  private settings(): EngineSettings {
    const c = this.y.cluster;
    const links: LinkSettings[] = (c.links ?? [{ transport: 'unicast', port: DEFAULTS.port, ttl: DEFAULTS.ttl, loop: false }]).map((l, i) => {
      const s: LinkSettings = { name: l.name ?? `link${i}`, transport: l.transport, port: l.port, ttl: l.ttl, loop: l.loop, peers: l.peers ?? [] };
      if (l.interface !== undefined) s.interface = l.interface;
      if (l.group !== undefined) s.group = l.group;
      const path = ['cluster', 'links', i];
      if (l.transport === 'multicast' && l.group === undefined) this.err([...path, 'group'], 'a multicast link needs a group address', 'group: e.g. 239.255.0.1');
      if (l.transport !== 'multicast' && l.group !== undefined) this.err([...path, 'group'], `group is only for multicast links (this one is ${l.transport})`, 'transport: multicast');
      if (l.transport === 'broadcast' && l.interface === undefined) this.err([...path, 'interface'], 'a broadcast link needs an interface', 'interface: e.g. eth0');
      return s;
    });
    const names = new Set<string>();
    links.forEach((l, i) => {
      if (names.has(l.name)) this.err(['cluster', 'links', i, 'name'], `link name "${l.name}" is used twice`, 'unique link names');
      names.add(l.name);
    });
    const nodes: NodeSettings[] = c.nodes.map((n, i) => {
      const addresses = n.addresses ?? [];
      if (n.addresses !== undefined && addresses.length !== links.length) {
        this.err(['cluster', 'nodes', i, 'addresses'], `${addresses.length} address(es) for ${links.length} link(s)`, 'one address per link, in the order of cluster.links');
      }
      return { name: n.name, id: n.id ?? i + 1, addresses, votes: n.votes };
    });
    links.forEach((l, i) => {
      if (l.transport !== 'unicast') return;
      const missing = nodes.filter((n) => n.addresses[i] === undefined);
      if (missing.length > 0 && l.peers.length === 0 && nodes.length > 1) {
        this.err(c.links ? ['cluster', 'links', i] : ['cluster', 'nodes'], `unicast link ${l.name} has no address for node(s) ${missing.map((n) => n.name).join(', ')}`, 'addresses: on every node (one per link), or peers: on the link');
      }
    });
    const fencing = c.fencing ?? { enabled: true };
    const delayMs: Record<string, number> = {};
    for (const [node, d] of Object.entries(fencing.delay ?? {})) {
      this.nodeRef(node, ['cluster', 'fencing', 'delay', node]);
      delayMs[node] = ms(d);
    }
    const t = c.timing;
    const timing = {
      keepaliveMs: t ? ms(t.keepalive) : DEFAULTS.keepaliveMs,
      warntimeMs: t ? ms(t.warntime) : DEFAULTS.warntimeMs,
      deadtimeMs: t ? ms(t.deadtime) : DEFAULTS.deadtimeMs,
      initdeadMs: t ? ms(t.initdead) : DEFAULTS.initdeadMs,
    };
    const tp = ['cluster', 'timing'];
    if (timing.keepaliveMs <= 0) this.err([...tp, 'keepalive'], 'keepalive must be more than 0', 'a positive duration');
    if (timing.warntimeMs < timing.keepaliveMs) this.err([...tp, 'warntime'], `warntime (${formatDuration(timing.warntimeMs)}) is shorter than keepalive (${formatDuration(timing.keepaliveMs)})`, 'keepalive <= warntime <= deadtime');
    if (timing.deadtimeMs < timing.warntimeMs) this.err([...tp, 'deadtime'], `deadtime (${formatDuration(timing.deadtimeMs)}) is shorter than warntime (${formatDuration(timing.warntimeMs)})`, 'keepalive <= warntime <= deadtime');
    else if (timing.deadtimeMs < 2 * timing.keepaliveMs) this.warn([...tp, 'deadtime'], 'deadtime is less than two keepalives: one lost packet will declare a node dead');
    if (timing.initdeadMs < timing.deadtimeMs) this.err([...tp, 'initdead'], `initdead (${formatDuration(timing.initdeadMs)}) is shorter than deadtime`, 'initdead >= deadtime');
    const q = c.quorum ?? { two_node: false };
    const quorum: EngineSettings['quorum'] = { twoNode: q.two_node, waitForAll: q.wait_for_all ?? q.two_node };
    if (q.expected_votes !== undefined) quorum.expectedVotes = q.expected_votes;
    if (q.witness !== undefined) {
      const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(q.witness);
      const port = m?.[3] !== undefined ? Number(m[3]) : DEFAULTS.witnessPort;
      if (port < 1 || port > 65535) this.err(['cluster', 'quorum', 'witness'], `port ${port} is out of range`, 'a port from 1 to 65535');
      quorum.witness = { address: m?.[1] ?? m?.[2] ?? q.witness, port };
    }
    if (q.two_node) {
      const voters = nodes.filter((n) => n.votes > 0).length;
      if (voters !== 2) this.err(['cluster', 'quorum', 'two_node'], `two_node needs exactly two voting nodes (there are ${voters})`, 'two_node: false, or two voting nodes');
      if (q.witness !== undefined) this.err(['cluster', 'quorum', 'witness'], 'use a witness or two_node, not both', 'one of them');
    }
    const paths = c.paths ?? { state_dir: DEFAULTS.stateDir, runtime_dir: DEFAULTS.runtimeDir };
    const cr = c.crypto ?? { auth: 'hmac-sha256' as const, cipher: 'none' as const, key_format: 'vigil' as const };
    const settings: EngineSettings = {
      source: 'vigil.yaml',
      clusterName: c.name,
      nodes,
      transport: { links, authkeyFile: c.authkey, keyFormat: cr.key_format, auth: cr.auth, cipher: cr.cipher },
      membership: timing,
      quorum,
      fencing: { enabled: fencing.enabled, delayMs },
      noQuorumPolicy: c.no_quorum_policy,
      paths: { config: paths.config ?? this.src.file, stateDir: paths.state_dir, runtimeDir: paths.runtime_dir },
    };
    if (fencing.watchdog_timeout !== undefined) settings.fencing.watchdogTimeoutMs = ms(fencing.watchdog_timeout);
    return settings;
  }

  private safetyWarnings(s: EngineSettings, fenceDevices: boolean): void {
    if (!s.fencing.enabled) this.warn(['cluster', 'fencing', 'enabled'], 'fencing is disabled: a node that stops answering but still runs its resources can cause split-brain (both sides run them)');
    if (s.noQuorumPolicy === 'ignore') this.warn(['cluster', 'no_quorum_policy'], 'no_quorum_policy ignore: a partition without quorum keeps running its resources, so both sides of a split can run them (split-brain)');
    const voters = s.nodes.filter((n) => n.votes > 0).length;
    if (voters === 2 && !s.quorum.twoNode && s.quorum.witness === undefined && s.quorum.expectedVotes === undefined) {
      this.warn(['cluster', 'nodes'], 'two voting nodes without two_node or a witness: when either node fails the other loses quorum');
    }
    // The two-node fence race: with the same delay for both, a split of the links has each node
    // fence the other at once, and both go down.
    const delays = s.nodes.filter((n) => n.votes > 0).map((n) => s.fencing.delayMs[n.name] ?? 0);
    if (s.quorum.twoNode && s.fencing.enabled && fenceDevices && delays.length === 2 && delays[0] === delays[1]) {
      this.warn(['cluster', 'fencing'], 'two_node with fence devices and the same fencing.delay for both nodes: if the link between them fails, each fences the other at once and both go down; set fencing.delay for the node that should survive, longer than a fence takes');
    }
  }
}

function compactExpression(text: string): AttributeExpression {
  const m = COMPACT_EXPRESSION.exec(text.trim());
  if (!m) return { kind: 'attribute', attribute: text, operation: 'defined' }; // unreachable: the schema checked the form
  if (m[1] !== undefined) return { kind: 'attribute', attribute: m[2], operation: m[1] as 'defined' | 'not_defined' };
  if (m[6] !== undefined) return { kind: 'attribute', attribute: m[6], operation: m[7] as 'defined' | 'not_defined' };
  return { kind: 'attribute', attribute: m[3], operation: m[4] as AttributeExpression['operation'], value: m[5] };
}
