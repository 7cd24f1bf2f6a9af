/**
 * Pacemaker CIB XML → the typed cluster model (configuration and status, as Pacemaker records them).
 * Semantic problems (missing ids, bad scores, unknown kinds) are collected and thrown together as
 * InputErrors naming file, line and field; things we accept but do not honour become warnings.
 */
import type {
  AgentClass, AgentRef, Attributes, AttributeExpression, Cib, Clone, ClusterConfig, ClusterStatus, CompareOp, Constraint,
  DateExpression, DateSpec, FencingLevel, Group, NodeConfig, NodeState, NodeType, OnFail, OperationConfig,
  OperationRecord, OrderAction, OrderKind, Primitive, Resource, ResourceHistory, ResourceSet, Role, Rule, ValueType,
} from '../../model/cluster.js';
import { InputError, InputErrors, type Warning } from '../../model/errors.js';
import { parseScore, type Score } from '../../model/score.js';
import { parseDuration } from '../../model/time.js';
import { parseXmlTree, type XmlElement } from './xml-tree.js';

export interface CibLoadResult {
  cib: Cib;
  warnings: Warning[];
}

/** Load a CIB; throws InputError(s) for malformed or invalid input. */
export function loadCibXml(text: string, file: string, options: CibLoadOptions = {}): Cib {
  return loadCibXmlWithWarnings(text, file, options).cib;
}

export interface CibLoadOptions {
  /**
   * Accept what Pacemaker itself tolerates with a logged configuration error (an unknown order
   * kind is taken as Mandatory, an unparsable op timeout is ignored, a node_state without id uses
   * its uname): these become warnings instead of errors. `vigil simulate` uses this to run
   * Pacemaker's own test inputs; `vigil import` stays strict.
   */
  lenient?: boolean;
}

export function loadCibXmlWithWarnings(text: string, file: string, options: CibLoadOptions = {}): CibLoadResult {
  const root = parseXmlTree(text, file);
  const ctx = new LoadContext(file, root, options.lenient === true);
  const cib = ctx.loadCib();
  if (ctx.errors.length > 0) throw ctx.errors.length === 1 ? ctx.errors[0] : new InputErrors(ctx.errors);
  return { cib, warnings: ctx.warnings };
}

/** Pacemaker 1.x role names → 2.1 names. */
export function normalizeRole(text: string | undefined): Role | 'Unknown' | undefined {
  if (text === undefined || text === '') return undefined;
  switch (text.toLowerCase()) {
    case 'master': case 'promoted': return 'Promoted';
    case 'slave': case 'unpromoted': return 'Unpromoted';
    case 'started': return 'Started';
    case 'stopped': return 'Stopped';
    case 'unknown': return 'Unknown';
    default: return undefined;
  }
}

const AGENT_CLASSES: ReadonlySet<string> = new Set(['ocf', 'lsb', 'systemd', 'service', 'stonith', 'heartbeat', 'builtin', 'nagios', 'upstart']);
const ON_FAIL: ReadonlySet<string> = new Set(['ignore', 'block', 'stop', 'restart', 'standby', 'fence', 'demote', 'restart-container']);
const COMPARE_OPS: ReadonlySet<string> = new Set(['lt', 'gt', 'lte', 'gte', 'eq', 'ne', 'defined', 'not_defined']);
const ORDER_ACTIONS: ReadonlySet<string> = new Set(['start', 'stop', 'promote', 'demote']);

/** "true"/"yes"/"on"/"1" as Pacemaker's crm_is_true reads them. */
export function isTrue(v: string | undefined): boolean {
  if (v === undefined) return false;
  const t = v.toLowerCase();
  return t === 'true' || t === 'yes' || t === 'on' || t === '1' || t === 'y';
}

class LoadContext {
  readonly errors: InputError[] = [];
  readonly warnings: Warning[] = [];
  private readonly ids = new Map<string, XmlElement>();

  constructor(private readonly file: string, private readonly root: XmlElement, private readonly lenient: boolean) {
    this.indexIds(root);
  }

  private indexIds(el: XmlElement): void {
    const id = el.attrs.id;
    if (id !== undefined && el.attrs['id-ref'] === undefined && !this.ids.has(`${el.name}\0${id}`)) this.ids.set(`${el.name}\0${id}`, el);
    for (const c of el.children) this.indexIds(c);
  }

  private error(el: XmlElement, field: string, message: string, expected?: string): void {
    this.errors.push(new InputError(message, { file: this.file, line: el.line }, { field, expected }));
  }

  /** An error Pacemaker tolerates: a warning in lenient mode. */
  private tolerated(el: XmlElement, field: string, message: string, expected?: string): void {
    if (this.lenient) this.warn(el, `${field}: ${message}${expected ? ` (expected ${expected})` : ''}`);
    else this.error(el, field, message, expected);
  }

  private warn(el: XmlElement, message: string): void {
    this.warnings.push({ where: { file: this.file, line: el.line }, message });
  }

  /** Follow an id-ref to the element it names (same element kind). */
  private deref(el: XmlElement): XmlElement {
    const ref = el.attrs['id-ref'];
    if (ref === undefined) return el;
    const target = this.ids.get(`${el.name}\0${ref}`);
    if (!target) {
      this.error(el, `${el.name}.id-ref`, `id-ref "${ref}" names no <${el.name}>`);
      return { ...el, children: [] };
    }
    return target;
  }

  private requireId(el: XmlElement, what: string): string {
    const id = el.attrs.id;
    if (id === undefined || id === '') {
      this.error(el, `${what}.id`, `<${el.name}> has no id`, 'a non-empty id attribute');
      return `(line ${el.line})`;
    }
    return id;
  }

  private score(el: XmlElement, field: string, text: string): Score | undefined {
    const s = parseScore(text);
    if (s === undefined) this.error(el, field, `bad score "${text}"`, 'an integer, INFINITY or -INFINITY');
    return s;
  }

  loadCib(): Cib {
    const root = this.root;
    if (root.name !== 'cib') this.error(root, 'cib', `root element is <${root.name}>`, '<cib>');
    const configuration = child(root, 'configuration');
    if (!configuration) this.error(root, 'cib.configuration', 'no <configuration> section', '<configuration>');
    const config = this.loadConfiguration(configuration ?? { name: 'configuration', attrs: {}, children: [], line: root.line });
    const status = this.loadStatus(root, config);
    const num = (k: string): number => Number.parseInt(root.attrs[k] ?? '0', 10) || 0;
    return { config, status, version: { adminEpoch: num('admin_epoch'), epoch: num('epoch'), numUpdates: num('num_updates') } };
  }

  // -------------------------------------------------------------------------------------------
  // configuration

  private loadConfiguration(conf: XmlElement): ClusterConfig {
    const properties = this.propertySets(children(child(conf, 'crm_config'), 'cluster_property_set'));
    const rscDefaults = this.propertySets(children(child(conf, 'rsc_defaults'), 'meta_attributes'));
    const opDefaults = this.propertySets(children(child(conf, 'op_defaults'), 'meta_attributes'));
    const nodes = children(child(conf, 'nodes'), 'node').map((n) => this.loadNode(n));
    const resources: Resource[] = [];
    for (const el of child(conf, 'resources')?.children ?? []) {
      const r = this.loadResource(el);
      if (r) resources.push(r);
    }
    const constraints: Constraint[] = [];
    for (const el of child(conf, 'constraints')?.children ?? []) constraints.push(...this.loadConstraint(el));
    const fencingTopology = children(child(conf, 'fencing-topology'), 'fencing-level').map((f) => this.loadFencingLevel(f));
    const name = properties['cluster-name'];
    return { ...(name !== undefined ? { name } : {}), nodes, resources, constraints, properties, rscDefaults, opDefaults, fencingTopology };
  }

  /** Merge name/value sets; sets guarded by rules are evaluated by nobody here, so they are warned and skipped. */
  private propertySets(sets: XmlElement[]): Attributes {
    const out: Attributes = {};
    const ordered = sets.map((s) => this.deref(s));
    for (const set of ordered) {
      if (child(set, 'rule')) {
        this.warn(set, `<${set.name} id="${set.attrs.id ?? ''}"> has a rule; rule-guarded attribute sets are not evaluated and are ignored`);
        continue;
      }
      for (const nv of children(set, 'nvpair')) {
        const pair = this.deref(nv);
        const name = nv.attrs.name ?? pair.attrs.name;
        const value = pair.attrs.value;
        if (name === undefined) {
          this.error(nv, 'nvpair.name', 'nvpair has no name', 'a name attribute');
          continue;
        }
        // The first set that defines a name wins, as in Pacemaker (without explicit set scores).
        if (!(name in out) && value !== undefined) out[name] = value;
      }
    }
    return out;
  }

  private loadNode(el: XmlElement): NodeConfig {
    const id = this.requireId(el, 'node');
    const t = el.attrs.type ?? 'member';
    let type: NodeType = 'member';
    if (t === 'remote' || t === 'ping') type = t;
    else if (t !== 'member' && t !== 'normal') this.error(el, 'node.type', `unknown node type "${t}"`, 'member, remote or ping');
    return {
      id,
      name: el.attrs.uname ?? id,
      type,
      attributes: this.propertySets(children(el, 'instance_attributes')),
      utilization: this.propertySets(children(el, 'utilization')),
    };
  }

  private loadResource(el: XmlElement): Resource | undefined {
    switch (el.name) {
      case 'primitive': return this.loadPrimitive(el);
      case 'group': return this.loadGroup(el);
      case 'clone': case 'master': return this.loadClone(el);
      case 'template':
        this.warn(el, `resource template "${el.attrs.id ?? ''}" is not supported; ignored`);
        return undefined;
      case 'bundle':
        this.warn(el, `bundle "${el.attrs.id ?? ''}" is not supported; ignored`);
        return undefined;
      default:
        this.error(el, 'resources', `unknown resource element <${el.name}>`, 'primitive, group, clone or master');
        return undefined;
    }
  }

  private origin(el: XmlElement): { file: string; line: number } {
    return { file: this.file, line: el.line };
  }

  private loadPrimitive(el: XmlElement): Primitive {
    const id = this.requireId(el, 'primitive');
    if (el.attrs.template !== undefined) this.warn(el, `primitive "${id}" uses template "${el.attrs.template}", which is not supported; the template is ignored`);
    const cls = el.attrs.class ?? '';
    let agentClass: AgentClass = 'ocf';
    if (AGENT_CLASSES.has(cls)) agentClass = cls as AgentClass;
    else if (el.attrs.template === undefined) this.error(el, 'primitive.class', `unknown resource class "${cls}"`, [...AGENT_CLASSES].join(', '));
    const agent: AgentRef = { class: agentClass, type: el.attrs.type ?? '' };
    if (el.attrs.provider !== undefined) agent.provider = el.attrs.provider;
    const operations = children(child(el, 'operations'), 'op').map((o) => this.loadOperation(this.deref(o), id));
    return {
      kind: 'primitive', id, agent,
      params: this.propertySets(children(el, 'instance_attributes')),
      meta: this.propertySets(children(el, 'meta_attributes')),
      operations,
      utilization: this.propertySets(children(el, 'utilization')),
      origin: this.origin(el),
    };
  }

  private loadOperation(el: XmlElement, rsc: string): OperationConfig {
    const id = this.requireId(el, 'op');
    const name = el.attrs.name;
    if (!name) this.error(el, 'op.name', `operation "${id}" of "${rsc}" has no name`, 'start, stop, monitor, ...');
    const meta = this.propertySets([...children(el, 'meta_attributes'), ...children(el, 'instance_attributes')]);
    const intervalText = el.attrs.interval ?? '0';
    const intervalMs = parseInterval(intervalText);
    if (intervalMs === undefined) this.error(el, 'op.interval', `bad interval "${intervalText}"`, 'a duration such as 10s or 5min');
    const op: OperationConfig = { id, name: name ?? '', intervalMs: intervalMs ?? 0, enabled: el.attrs.enabled === undefined || isTrue(el.attrs.enabled), meta };
    const timeout = el.attrs.timeout ?? meta.timeout;
    if (timeout !== undefined) {
      const t = parseDuration(timeout);
      if (t === undefined) this.tolerated(el, 'op.timeout', `bad timeout "${timeout}"`, 'a duration');
      else op.timeoutMs = t;
    }
    const role = normalizeRole(el.attrs.role);
    if (el.attrs.role !== undefined) {
      if (role === undefined || role === 'Unknown') this.error(el, 'op.role', `unknown role "${el.attrs.role}"`, 'Started, Stopped, Promoted or Unpromoted');
      else op.role = role;
    }
    const onFail = el.attrs['on-fail'] ?? meta['on-fail'];
    if (onFail !== undefined) {
      if (ON_FAIL.has(onFail)) op.onFail = onFail as OnFail;
      else this.error(el, 'op.on-fail', `unknown on-fail "${onFail}"`, [...ON_FAIL].join(', '));
    }
    for (const k of ['start-delay', 'record-pending', 'interval-origin', 'requires', 'description']) {
      if (el.attrs[k] !== undefined && meta[k] === undefined) meta[k] = el.attrs[k];
    }
    return op;
  }

  private loadGroup(el: XmlElement): Group {
    const id = this.requireId(el, 'group');
    const members: Primitive[] = [];
    for (const c of el.children) {
      if (c.name === 'primitive') members.push(this.loadPrimitive(c));
      else if (c.name !== 'meta_attributes' && c.name !== 'instance_attributes' && c.name !== 'utilization') {
        this.error(c, 'group', `group "${id}" may only contain primitives, not <${c.name}>`, '<primitive>');
      }
    }
    return { kind: 'group', id, members, meta: this.propertySets(children(el, 'meta_attributes')), origin: this.origin(el) };
  }

  private loadClone(el: XmlElement): Clone | undefined {
    const id = this.requireId(el, el.name);
    const meta = this.propertySets(children(el, 'meta_attributes'));
    const inner = el.children.find((c) => c.name === 'primitive' || c.name === 'group');
    if (!inner) {
      this.error(el, el.name, `${el.name} "${id}" contains no primitive or group`, '<primitive> or <group>');
      return undefined;
    }
    const childRes = inner.name === 'primitive' ? this.loadPrimitive(inner) : this.loadGroup(inner);
    return { kind: 'clone', id, promotable: el.name === 'master' || isTrue(meta.promotable), child: childRes, meta, origin: this.origin(el) };
  }

  // constraints

  private loadConstraint(el: XmlElement): Constraint[] {
    switch (el.name) {
      case 'rsc_location': return this.loadLocation(el);
      case 'rsc_colocation': return this.loadColocation(el);
      case 'rsc_order': return this.loadOrder(el);
      case 'rsc_ticket':
        this.warn(el, `ticket constraint "${el.attrs.id ?? ''}" is not supported; ignored`);
        return [];
      default:
        this.error(el, 'constraints', `unknown constraint <${el.name}>`, 'rsc_location, rsc_colocation or rsc_order');
        return [];
    }
  }

  private role(el: XmlElement, field: string): Role | undefined {
    const text = el.attrs[field];
    if (text === undefined) return undefined;
    const r = normalizeRole(text);
    if (r === undefined || r === 'Unknown') {
      this.error(el, field, `unknown role "${text}"`, 'Started, Stopped, Promoted or Unpromoted');
      return undefined;
    }
    return r;
  }

  private loadLocation(el: XmlElement): Constraint[] {
    const id = this.requireId(el, 'rsc_location');
    const role = this.role(el, 'role');
    const rules = children(el, 'rule').map((r) => this.loadRule(this.deref(r), true));
    let score: Score | undefined;
    if (el.attrs.score !== undefined) score = this.score(el, 'rsc_location.score', el.attrs.score);
    else if (el.attrs['score-attribute'] !== undefined) this.warn(el, `location "${id}": score-attribute without a rule is not supported`);
    const node = el.attrs.node;
    if (node !== undefined && score === undefined && el.attrs.score === undefined) this.error(el, 'rsc_location.score', `location "${id}" names a node but no score`, 'a score');
    if (node === undefined && rules.length === 0) this.error(el, 'rsc_location', `location "${id}" has neither node nor rule`, 'node+score or a <rule>');
    const discovery = el.attrs['resource-discovery'];
    const base = {
      kind: 'location' as const, id, rules,
      ...(role ? { role } : {}),
      ...(node !== undefined ? { node } : {}),
      ...(score !== undefined ? { score } : {}),
      ...(discovery === 'always' || discovery === 'never' || discovery === 'exclusive' ? { resourceDiscovery: discovery as 'always' | 'never' | 'exclusive' } : {}),
      origin: this.origin(el),
    };
    const sets = children(el, 'resource_set');
    if (sets.length > 0) {
      const out: Constraint[] = [];
      for (const s of sets) for (const r of this.loadSet(this.deref(s)).resources) out.push({ ...base, id: `${id}-${r}`, rsc: r, ...(role ? {} : this.setRole(s)) });
      return out;
    }
    if (el.attrs.rsc === undefined && el.attrs['rsc-pattern'] === undefined) {
      this.error(el, 'rsc_location.rsc', `location "${id}" names no resource`, 'rsc, rsc-pattern or a resource_set');
      return [];
    }
    return [{ ...base, rsc: el.attrs.rsc ?? '', ...(el.attrs['rsc-pattern'] !== undefined ? { rscPattern: el.attrs['rsc-pattern'] } : {}) }];
  }

  private setRole(s: XmlElement): { role?: Role } {
    const r = this.role(s, 'role');
    return r ? { role: r } : {};
  }

  private loadRule(el: XmlElement, withScore: boolean): Rule {
    const rule: Rule = { booleanOp: el.attrs['boolean-op'] === 'or' ? 'or' : 'and', expressions: [] };
    if (el.attrs.id !== undefined) rule.id = el.attrs.id;
    const bop = el.attrs['boolean-op'];
    if (bop !== undefined && bop !== 'and' && bop !== 'or') this.error(el, 'rule.boolean-op', `unknown boolean-op "${bop}"`, 'and or or');
    if (withScore) {
      if (el.attrs.score !== undefined) {
        const s = this.score(el, 'rule.score', el.attrs.score);
        if (s !== undefined) rule.score = s;
      } else if (el.attrs['score-attribute'] !== undefined) rule.scoreAttribute = el.attrs['score-attribute'];
    }
    const role = this.role(el, 'role');
    if (role) rule.role = role;
    for (const c0 of el.children) {
      const c = this.deref(c0);
      switch (c.name) {
        case 'expression': {
          const op = c.attrs.operation ?? '';
          if (!COMPARE_OPS.has(op)) this.error(c, 'expression.operation', `unknown operation "${op}"`, [...COMPARE_OPS].join(', '));
          if (c.attrs.attribute === undefined) this.error(c, 'expression.attribute', 'expression has no attribute', 'an attribute name');
          const e: AttributeExpression = { kind: 'attribute', attribute: c.attrs.attribute ?? '', operation: (COMPARE_OPS.has(op) ? op : 'eq') as CompareOp };
          if (c.attrs.id !== undefined) e.id = c.attrs.id;
          if (c.attrs.value !== undefined) e.value = c.attrs.value;
          const t = c.attrs.type;
          if (t === 'string' || t === 'integer' || t === 'number' || t === 'version') e.type = t as ValueType;
          else if (t !== undefined) this.error(c, 'expression.type', `unknown type "${t}"`, 'string, integer, number or version');
          const vs = c.attrs['value-source'];
          if (vs === 'param' || vs === 'meta' || vs === 'literal') e.valueSource = vs;
          rule.expressions.push(e);
          break;
        }
        case 'date_expression': rule.expressions.push(this.loadDateExpression(c)); break;
        case 'rsc_expression': {
          const e = { kind: 'rsc' as const, ...pick(c.attrs, ['id', 'class', 'provider', 'type']) };
          rule.expressions.push(e);
          break;
        }
        case 'op_expression': {
          const iv = c.attrs.interval !== undefined ? parseDuration(c.attrs.interval) : undefined;
          rule.expressions.push({ kind: 'op', name: c.attrs.name ?? '', ...(c.attrs.id ? { id: c.attrs.id } : {}), ...(iv !== undefined ? { intervalMs: iv } : {}) });
          break;
        }
        case 'rule': rule.expressions.push({ kind: 'rule', rule: this.loadRule(c, false) }); break;
        default: this.error(c, 'rule', `unknown rule element <${c.name}>`, 'expression, date_expression, rsc_expression, op_expression or rule');
      }
    }
    return rule;
  }

  private loadDateExpression(el: XmlElement): DateExpression {
    const op = el.attrs.operation ?? 'in_range';
    if (op !== 'gt' && op !== 'lt' && op !== 'in_range' && op !== 'date_spec') this.error(el, 'date_expression.operation', `unknown operation "${op}"`, 'gt, lt, in_range or date_spec');
    const e: DateExpression = { kind: 'date', operation: (['gt', 'lt', 'in_range', 'date_spec'].includes(op) ? op : 'in_range') as DateExpression['operation'] };
    if (el.attrs.id !== undefined) e.id = el.attrs.id;
    if (el.attrs.start !== undefined) e.start = el.attrs.start;
    if (el.attrs.end !== undefined) e.end = el.attrs.end;
    const dur = child(el, 'duration');
    if (dur) {
      const d: NonNullable<DateExpression['duration']> = {};
      for (const k of ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const) {
        if (dur.attrs[k] !== undefined) {
          const n = Number(dur.attrs[k]);
          if (!Number.isFinite(n)) this.error(dur, `duration.${k}`, `bad number "${dur.attrs[k]}"`, 'an integer');
          else d[k] = n;
        }
      }
      e.duration = d;
    }
    const spec = child(el, 'date_spec');
    if (spec) e.dateSpec = pick(spec.attrs, ['hours', 'monthdays', 'weekdays', 'yeardays', 'months', 'weeks', 'years', 'weekyears', 'moon', 'minutes', 'seconds']) as DateSpec;
    return e;
  }

  private loadSet(el: XmlElement): ResourceSet {
    const set: ResourceSet = {
      id: this.requireId(el, 'resource_set'),
      resources: children(el, 'resource_ref').map((r) => r.attrs.id ?? ''),
      sequential: el.attrs.sequential === undefined || isTrue(el.attrs.sequential),
      requireAll: el.attrs['require-all'] === undefined || isTrue(el.attrs['require-all']),
    };
    const role = this.role(el, 'role');
    if (role) set.role = role;
    const action = el.attrs.action;
    if (action !== undefined) {
      if (ORDER_ACTIONS.has(action)) set.action = action as OrderAction;
      else this.error(el, 'resource_set.action', `unknown action "${action}"`, 'start, stop, promote or demote');
    }
    if (el.attrs.score !== undefined) {
      const s = this.score(el, 'resource_set.score', el.attrs.score);
      if (s !== undefined) set.score = s;
    }
    return set;
  }

  private loadColocation(el: XmlElement): Constraint[] {
    const id = this.requireId(el, 'rsc_colocation');
    const scoreText = el.attrs.score ?? el.attrs['score-attribute'];
    const score = scoreText !== undefined ? this.score(el, 'rsc_colocation.score', scoreText) : undefined;
    const sets = children(el, 'resource_set');
    if (sets.length > 0) {
      return [{ kind: 'colocation-set', id, sets: sets.map((s) => this.loadSet(this.deref(s))), ...(score !== undefined ? { score } : {}), origin: this.origin(el) }];
    }
    if (scoreText === undefined) this.error(el, 'rsc_colocation.score', `colocation "${id}" has no score`, 'a score');
    const rsc = el.attrs.rsc;
    const withRsc = el.attrs['with-rsc'];
    if (rsc === undefined) this.error(el, 'rsc_colocation.rsc', `colocation "${id}" has no rsc`, 'a resource id');
    if (withRsc === undefined) this.error(el, 'rsc_colocation.with-rsc', `colocation "${id}" has no with-rsc`, 'a resource id');
    const rscRole = this.role(el, 'rsc-role');
    const withRole = this.role(el, 'with-rsc-role');
    return [{
      kind: 'colocation', id, rsc: rsc ?? '', withRsc: withRsc ?? '', score: score ?? 0,
      ...(rscRole ? { rscRole } : {}), ...(withRole ? { withRscRole: withRole } : {}),
      ...(el.attrs['node-attribute'] !== undefined ? { nodeAttribute: el.attrs['node-attribute'] } : {}),
      ...(el.attrs.influence !== undefined ? { influence: isTrue(el.attrs.influence) } : {}),
      origin: this.origin(el),
    }];
  }

  private loadOrder(el: XmlElement): Constraint[] {
    const id = this.requireId(el, 'rsc_order');
    let orderKind: OrderKind = 'Mandatory';
    const kind = el.attrs.kind;
    if (kind !== undefined) {
      const k = kind.toLowerCase();
      if (k === 'mandatory') orderKind = 'Mandatory';
      else if (k === 'optional') orderKind = 'Optional';
      else if (k === 'serialize') orderKind = 'Serialize';
      else this.tolerated(el, 'rsc_order.kind', `unknown kind "${kind}"`, 'Mandatory, Optional or Serialize');
    } else if (el.attrs.score !== undefined) {
      // Deprecated score form: 0 means optional, anything else mandatory.
      const s = this.score(el, 'rsc_order.score', el.attrs.score);
      if (s === 0) orderKind = 'Optional';
    }
    const symmetrical = el.attrs.symmetrical === undefined ? orderKind !== 'Serialize' : isTrue(el.attrs.symmetrical);
    const sets = children(el, 'resource_set');
    if (sets.length > 0) {
      return [{ kind: 'order-set', id, sets: sets.map((s) => this.loadSet(this.deref(s))), orderKind, symmetrical, origin: this.origin(el) }];
    }
    const action = (field: string): OrderAction => {
      const a = el.attrs[field];
      if (a === undefined) return 'start';
      if (!ORDER_ACTIONS.has(a)) {
        this.error(el, `rsc_order.${field}`, `unknown action "${a}"`, 'start, stop, promote or demote');
        return 'start';
      }
      return a as OrderAction;
    };
    const first = el.attrs.first;
    const then = el.attrs.then;
    if (first === undefined) this.error(el, 'rsc_order.first', `order "${id}" has no first`, 'a resource id');
    if (then === undefined) this.error(el, 'rsc_order.then', `order "${id}" has no then`, 'a resource id');
    const firstAction = action('first-action');
    const thenAction = el.attrs['then-action'] === undefined ? firstAction : action('then-action');
    return [{ kind: 'order', id, first: first ?? '', then: then ?? '', firstAction, thenAction, orderKind, symmetrical, origin: this.origin(el) }];
  }

  private loadFencingLevel(el: XmlElement): FencingLevel {
    const id = this.requireId(el, 'fencing-level');
    const index = Number.parseInt(el.attrs.index ?? '', 10);
    if (!Number.isInteger(index) || index < 1) this.error(el, 'fencing-level.index', `bad index "${el.attrs.index ?? ''}"`, 'a positive integer');
    let target = el.attrs.target;
    let targetKind: FencingLevel['targetKind'] = 'node';
    if (target === undefined && el.attrs['target-pattern'] !== undefined) { target = el.attrs['target-pattern']; targetKind = 'pattern'; }
    if (target === undefined && el.attrs['target-attribute'] !== undefined) { target = `${el.attrs['target-attribute']}=${el.attrs['target-value'] ?? ''}`; targetKind = 'attribute'; }
    if (target === undefined) this.error(el, 'fencing-level.target', `fencing level "${id}" has no target`, 'target, target-pattern or target-attribute');
    return { id, target: target ?? '', targetKind, index: index || 0, devices: (el.attrs.devices ?? '').split(',').filter((d) => d !== '') };
  }

  // -------------------------------------------------------------------------------------------
  // status

  private loadStatus(root: XmlElement, config: ClusterConfig): ClusterStatus {
    const status: ClusterStatus = { haveQuorum: isTrue(root.attrs['have-quorum']), nodes: [], tickets: {} };
    const nameById = new Map(config.nodes.map((n) => [n.id, n.name]));
    const dcId = root.attrs['dc-uuid'];
    if (dcId !== undefined && nameById.has(dcId)) status.dc = nameById.get(dcId);
    const exec = root.attrs['execution-date'];
    if (exec !== undefined) {
      const n = Number(exec);
      if (Number.isFinite(n)) status.executionDate = n;
      else this.error(root, 'cib.execution-date', `bad execution-date "${exec}"`, 'epoch seconds');
    }
    const st = child(root, 'status');
    for (const ns of children(st, 'node_state')) status.nodes.push(this.loadNodeState(ns, nameById));
    for (const t of children(child(st, 'tickets'), 'ticket_state')) {
      const lg = t.attrs['last-granted'];
      status.tickets[t.attrs.id ?? ''] = { granted: isTrue(t.attrs.granted), standby: isTrue(t.attrs.standby), ...(lg !== undefined ? { lastGranted: Number(lg) } : {}) };
    }
    return status;
  }

  private loadNodeState(el: XmlElement, nameById: Map<string, string>): NodeState {
    if (el.attrs.id === undefined && el.attrs.uname !== undefined) this.tolerated(el, 'node_state.id', `node_state "${el.attrs.uname}" has no id`, 'an id attribute');
    const id = el.attrs.id === undefined && el.attrs.uname !== undefined ? el.attrs.uname : this.requireId(el, 'node_state');
    const a = el.attrs;
    // in_ccm/crmd may be a timestamp of when the node joined (newer Pacemaker): that counts as true/online.
    const inCcm = a.in_ccm === undefined ? false : isTrue(a.in_ccm) || /^\d+$/.test(a.in_ccm) && a.in_ccm !== '0';
    const crmd = a.crmd === undefined ? false : a.crmd === 'online' || /^\d+$/.test(a.crmd) && a.crmd !== '0';
    const join = a.join === 'member' || a.join === 'down' || a.join === 'pending' || a.join === 'banned' ? a.join : 'down';
    const expected = a.expected === 'member' || a.expected === 'down' ? a.expected : undefined;
    const transientAttributes = this.propertySets(children(child(el, 'transient_attributes'), 'instance_attributes'));
    const history: ResourceHistory[] = [];
    for (const lr of children(child(child(el, 'lrm'), 'lrm_resources'), 'lrm_resource')) history.push(this.loadHistory(lr));
    const node: NodeState = {
      id, name: a.uname ?? nameById.get(id) ?? id,
      inCluster: inCcm, controllerOnline: crmd, join, expected, transientAttributes, history,
    };
    if (a['remote_node'] !== undefined && isTrue(a['remote_node'])) node.remoteNodeConnection = true;
    if (a.shutdown !== undefined && /^\d+$/.test(a.shutdown) && a.shutdown !== '0') node.shutdown = Number(a.shutdown);
    return node;
  }

  private loadHistory(el: XmlElement): ResourceHistory {
    const rsc = this.requireId(el, 'lrm_resource');
    const h: ResourceHistory = { rsc, ops: [] };
    if (el.attrs.class !== undefined) {
      h.agent = { class: (AGENT_CLASSES.has(el.attrs.class) ? el.attrs.class : 'ocf') as AgentClass, type: el.attrs.type ?? '' };
      if (el.attrs.provider !== undefined) h.agent.provider = el.attrs.provider;
    }
    if (el.attrs.container !== undefined) h.container = el.attrs.container;
    for (const op of children(el, 'lrm_rsc_op')) h.ops.push(this.loadOpRecord(op, rsc));
    return h;
  }

  private loadOpRecord(el: XmlElement, rsc: string): OperationRecord {
    const a = el.attrs;
    const int = (field: string, fallback: number): number => {
      const t = a[field];
      if (t === undefined) return fallback;
      const n = Number.parseInt(t, 10);
      if (!Number.isFinite(n)) {
        this.error(el, `lrm_rsc_op.${field}`, `bad ${field} "${t}" in history of "${rsc}"`, 'an integer');
        return fallback;
      }
      return n;
    };
    if (a.operation === undefined) this.error(el, 'lrm_rsc_op.operation', `operation record of "${rsc}" has no operation`, 'an operation name');
    const rec: OperationRecord = {
      id: a.id ?? '', operation: a.operation ?? '', callId: int('call-id', 0), rc: int('rc-code', 0),
      opStatus: int('op-status', 0), intervalMs: int('interval', 0),
    };
    const opt = (field: string): number | undefined => (a[field] !== undefined ? int(field, 0) : undefined);
    const setNum = <K extends keyof OperationRecord>(k: K, field: string): void => {
      const v = opt(field);
      if (v !== undefined) (rec as unknown as Record<string, number>)[k] = v;
    };
    setNum('lastRcChange', 'last-rc-change');
    setNum('lastRun', 'last-run');
    setNum('execTimeMs', 'exec-time');
    setNum('queueTimeMs', 'queue-time');
    const str: Array<[keyof OperationRecord, string]> = [
      ['transitionKey', 'transition-key'], ['transitionMagic', 'transition-magic'], ['opDigest', 'op-digest'],
      ['opRestartDigest', 'op-restart-digest'], ['opSecureDigest', 'op-secure-digest'], ['exitReason', 'exit-reason'],
      ['onNode', 'on_node'], ['migrateSource', 'migrate_source'], ['migrateTarget', 'migrate_target'],
    ];
    for (const [k, f] of str) if (a[f] !== undefined) (rec as unknown as Record<string, string>)[k] = a[f];
    return rec;
  }
}

/** Intervals: the model's durations, plus ISO 8601 forms without the T that Pacemaker accepts ("P40S"). */
function parseInterval(text: string): number | undefined {
  const d = parseDuration(text);
  if (d !== undefined) return d;
  const m = /^P(\d+)([HMS])$/i.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * ({ H: 3_600_000, M: 60_000, S: 1000 } as Record<string, number>)[m[2].toUpperCase()];
}

function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

function pick(attrs: Record<string, string>, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (attrs[k] !== undefined) out[k] = attrs[k];
  return out;
}
