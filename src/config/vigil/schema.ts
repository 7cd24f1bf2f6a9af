/**
 * vigil.yaml, defined once: this zod schema validates the file, types the parsed document and is
 * turned into the JSON Schema (schema/vigil.schema.json) that editors use. Structural keys are
 * snake_case; the free-form maps (params, meta, properties, defaults) keep Pacemaker's names.
 * Defaults that depend on other fields are applied in load.ts; fixed ones are declared here.
 */
import * as z from 'zod';
import { AGENT_PATTERN } from '../agent.js';
import { DURATION_PATTERN } from '../durations.js';
import { DEFAULTS } from '../settings.js';

/** A strict object: unknown keys are errors, with a suggestion from this object's own keys. */
function obj<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    // The issue mapper (issues.ts) splits this back into one error per key, with a suggestion.
    error: (iss) => (iss.code === 'unrecognized_keys' ? `known: ${known.join(', ')}` : undefined),
  });
}

/**
 * Which branch of a keyed union an input object belongs to, decided by its key (e.g. `primitive:`),
 * so that errors are reported for that branch only. Keyed by the input object itself.
 */
export const unionBranch = new WeakMap<object, number>();

function keyedUnion<T extends readonly [z.ZodType, z.ZodType, ...z.ZodType[]]>(keys: readonly string[], options: T, what: string) {
  return z.union(options, {
    error: (iss) => {
      const input = iss.input;
      const expected = `a ${what}: a mapping with one of the keys ${keys.map((k) => `${k}:`).join(', ')}`;
      if (input === null || typeof input !== 'object' || Array.isArray(input)) return expected;
      const idx = keys.findIndex((k) => k in input);
      unionBranch.set(input, idx);
      return idx < 0 ? expected : undefined;
    },
  });
}

const ID = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
const id = (what: string) => z.string().regex(ID, { error: `a ${what} id: a letter or _ then letters, digits, _ . : -` });
const nodeName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { error: 'a node name (host name)' });

export const duration = z.union([
  z.number().nonnegative(),
  z.string().regex(new RegExp(DURATION_PATTERN), { error: 'a duration such as 500ms, 10s, 5min, 1h or a number of seconds' }),
], { error: 'a duration such as 500ms, 10s, 5min, 1h or a number of seconds' }).meta({ id: 'Duration', description: 'Duration: a number of seconds, or text such as 500ms, 10s, 5min, 1h, PT30S.' });

export const score = z.union([
  z.int(),
  z.string().regex(/^[+-]?(?:INFINITY|infinity|INF|inf|\d+)$/, { error: 'a score: an integer, INFINITY or -INFINITY' }),
], { error: 'a score: an integer, INFINITY or -INFINITY' }).meta({ id: 'Score', description: 'Score: an integer, INFINITY (1000000) or -INFINITY.' });

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'a string, number or boolean' });
export const attributes = z.record(z.string(), scalar).meta({ id: 'Attributes', description: 'Name/value pairs, kept as strings.' });

const role = z.enum(['Stopped', 'Started', 'Unpromoted', 'Promoted']);
const onFail = z.enum(['ignore', 'block', 'stop', 'restart', 'standby', 'fence', 'demote', 'restart-container']);
const orderAction = z.enum(['start', 'stop', 'promote', 'demote']);

// ---------------------------------------------------------------------------------------------
// cluster:

const node = obj({
  name: nodeName.describe('Host name of the node (what `uname -n` prints); #uname in rules.'),
  id: z.int().min(1).max(0xffff_ffff).optional().describe('Numeric node id, unique. Default: position in the list, from 1.'),
  addresses: z.array(z.string().min(1)).optional().describe('One address per link, in the order of cluster.links.'),
  votes: z.int().min(0).default(1).describe('Quorum votes of this node.'),
  type: z.enum(['member', 'remote', 'ping']).default('member'),
  attributes: attributes.optional().describe('Permanent node attributes (site, standby, ...), usable in location rules.'),
  utilization: attributes.optional(),
});

const link = obj({
  name: z.string().min(1).optional().describe('Name for status and logs. Default: link0, link1, ...'),
  transport: z.enum(['unicast', 'multicast', 'broadcast']).default('unicast'),
  interface: z.string().min(1).optional().describe('Network interface (required for broadcast).'),
  port: z.int().min(1).max(65535).default(DEFAULTS.port).describe('UDP port.'),
  group: z.string().min(1).optional().describe('Multicast group address (multicast only).'),
  ttl: z.int().min(1).max(255).default(DEFAULTS.ttl).describe('Multicast TTL.'),
  loop: z.boolean().default(false).describe('Multicast loopback.'),
  peers: z.array(z.string().min(1)).optional().describe('Unicast destinations besides the nodes\' addresses on this link.'),
});

const timing = obj({
  keepalive: duration.default(`${DEFAULTS.keepaliveMs}ms`).describe('Heartbeat interval on every link.'),
  warntime: duration.default(`${DEFAULTS.warntimeMs}ms`).describe('Silence after which a peer is reported late.'),
  deadtime: duration.default(`${DEFAULTS.deadtimeMs}ms`).describe('Silence after which a peer is declared dead.'),
  initdead: duration.default(`${DEFAULTS.initdeadMs / 1000}s`).describe('Deadtime right after start.'),
});

const quorum = obj({
  expected_votes: z.int().min(1).optional().describe('Total votes. Default: sum of node votes (+1 for a witness).'),
  two_node: z.boolean().default(false).describe('Two-node mode: the survivor fences its peer first and keeps quorum alone.'),
  wait_for_all: z.boolean().optional().describe('After a cold start, wait until all nodes were seen once. Default: two_node.'),
  witness: z.string().regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::\d{1,5})?$/, { error: 'host[:port] of a vigil witness' }).optional()
    .describe('host[:port] of a `vigil witness` that holds one vote.'),
});

const paths = obj({
  config: z.string().min(1).optional().describe('Where this configuration lives. Default: the file it was loaded from.'),
  state_dir: z.string().min(1).default(DEFAULTS.stateDir),
  runtime_dir: z.string().min(1).default(DEFAULTS.runtimeDir),
});

const crypto = obj({
  auth: z.enum(['hmac-sha256']).default('hmac-sha256').describe('Packet authentication.'),
  cipher: z.enum(['none', 'aes-256-gcm']).default('none').describe('Packet encryption.'),
  key_format: z.enum(['vigil', 'heartbeat-authkeys']).default('vigil').describe('vigil: the key file\'s bytes are the key; heartbeat-authkeys: a Heartbeat authkeys file.'),
});

const op = obj({
  name: z.string().min(1).describe('start, stop, monitor, promote, demote, notify, ...'),
  interval: duration.optional().describe('Recurring interval; 0 (default) for one-off operations.'),
  timeout: duration.optional(),
  role: role.optional().describe('Role this recurring operation applies to.'),
  on_fail: onFail.optional(),
  enabled: z.boolean().optional(),
  id: id('operation').optional().describe('Default: <resource>-<name>-interval-<interval>.'),
  meta: attributes.optional().describe('Other operation attributes (start-delay, record-pending, OCF_CHECK_LEVEL, ...).'),
}).meta({ id: 'Operation' });

const primitive = obj({
  primitive: id('resource').describe('Resource id.'),
  agent: z.string().regex(AGENT_PATTERN, { error: 'an agent such as ocf:heartbeat:IPaddr2, lsb:httpd, systemd:nginx, builtin:vip, heartbeat:IPaddr, stonith:fence_ipmilan' })
    .describe('Resource agent: ocf:PROVIDER:TYPE, lsb:NAME, systemd:UNIT, builtin:NAME, heartbeat:SCRIPT, stonith:AGENT.'),
  description: z.string().optional(),
  params: attributes.optional().describe('Instance parameters passed to the agent.'),
  meta: attributes.optional().describe('Meta attributes (target-role, resource-stickiness, migration-threshold, ...).'),
  ops: z.array(op).optional(),
  utilization: attributes.optional(),
}).meta({ id: 'Primitive' });

const group = obj({
  group: id('resource').describe('Group id.'),
  members: z.array(primitive).min(1, { error: 'a group needs at least one member' }).describe('Started in order, stopped in reverse, all on one node.'),
  meta: attributes.optional(),
}).meta({ id: 'Group' });

const clone = obj({
  clone: id('resource').describe('Clone id.'),
  promotable: z.boolean().default(false).describe('Instances can be promoted (Promoted/Unpromoted roles).'),
  meta: attributes.optional().describe('clone-max, clone-node-max, interleave, ordered, globally-unique, promoted-max, ...'),
  resource: keyedUnion(['primitive', 'group'], [primitive, group], 'cloned resource').describe('The primitive or group to clone.'),
});

export const resource = keyedUnion(['primitive', 'group', 'clone'], [primitive, group, clone], 'resource');

// ---------------------------------------------------------------------------------------------
// constraints:

const compareOp = z.enum(['lt', 'gt', 'lte', 'gte', 'eq', 'ne', 'defined', 'not_defined']);
/** Compact form of a node-attribute test: `#uname eq alpha`, `pingd lt 1`, `defined pingd`. */
export const COMPACT_EXPRESSION = /^(?:(defined|not_defined)\s+(\S+)|(\S+)\s+(lt|gt|lte|gte|eq|ne)\s+(.+)|(\S+)\s+(defined|not_defined))$/;

const attributeExpression = obj({
  attribute: z.string().min(1).describe('Node attribute, or #uname, #id, #kind, #cluster-name.'),
  operation: compareOp,
  value: scalar.optional(),
  type: z.enum(['string', 'integer', 'number', 'version']).optional(),
  value_source: z.enum(['literal', 'param', 'meta']).optional(),
  id: id('expression').optional(),
});

const durationParts = obj({
  years: z.int().optional(), months: z.int().optional(), weeks: z.int().optional(), days: z.int().optional(),
  hours: z.int().optional(), minutes: z.int().optional(), seconds: z.int().optional(),
});

const dateSpec = obj({
  hours: scalar.optional(), monthdays: scalar.optional(), weekdays: scalar.optional(), yeardays: scalar.optional(),
  months: scalar.optional(), weeks: scalar.optional(), years: scalar.optional(), weekyears: scalar.optional(),
  moon: scalar.optional(), minutes: scalar.optional(), seconds: scalar.optional(),
});

const dateExpression = obj({
  date: z.enum(['gt', 'lt', 'in_range', 'date_spec']).describe('gt start / lt end / in_range start..end (or start + duration) / date_spec.'),
  start: z.string().optional().describe('ISO 8601 date/time.'),
  end: z.string().optional(),
  duration: durationParts.optional(),
  spec: dateSpec.optional().describe('For date_spec: hours 9-17, weekdays 1-5, ...'),
  id: id('expression').optional(),
});

interface RuleInput {
  score?: number | string;
  score_attribute?: string;
  boolean?: 'and' | 'or';
  role?: z.infer<typeof role>;
  id?: string;
  match: Array<string | z.infer<typeof attributeExpression> | z.infer<typeof dateExpression> | { rule: RuleInput }>;
}

const compactExpression = z.string().regex(COMPACT_EXPRESSION, { error: 'an expression such as "#uname eq alpha", "pingd lt 1", "defined pingd"' });

export const rule: z.ZodType<RuleInput> = obj({
  score: score.optional().describe('Score added when the rule matches (location rules). Default INFINITY.'),
  score_attribute: z.string().optional().describe('Take the score from this node attribute instead.'),
  boolean: z.enum(['and', 'or']).optional().describe('How the expressions combine (default and).'),
  role: role.optional(),
  id: id('rule').optional(),
  get match() {
    return z.array(z.union([compactExpression, keyedUnion(['attribute', 'date', 'rule'], [attributeExpression, dateExpression, obj({ rule })], 'rule expression')], {
      error: (iss) => (typeof iss.input === 'string' ? 'an expression such as "#uname eq alpha", "pingd lt 1", "defined pingd"' : undefined),
    })).min(1).describe('Expressions: "ATTR OP VALUE" text, {attribute,...}, {date,...} or {rule: ...}.');
  },
}).meta({ id: 'Rule' }) as unknown as z.ZodType<RuleInput>;

const location = obj({
  location: id('resource').describe('The resource this constraint places.'),
  id: id('constraint').optional().describe('Default: location-<resource>-<node> or location-<resource>.'),
  node: nodeName.optional(),
  score: score.optional().describe('With node: the preference (default INFINITY).'),
  rules: z.array(rule).optional().describe('Instead of node + score: rules on node attributes and dates.'),
  role: role.optional(),
  discovery: z.enum(['always', 'never', 'exclusive']).optional().describe('resource-discovery.'),
});

const locationPattern = obj({
  location_pattern: z.string().min(1).describe('A regular expression over resource ids (rsc-pattern).'),
  id: id('constraint').optional(),
  node: nodeName.optional(),
  score: score.optional(),
  rules: z.array(rule).optional(),
  role: role.optional(),
  discovery: z.enum(['always', 'never', 'exclusive']).optional(),
});

const colocation = obj({
  colocation: id('resource').describe('The dependent resource, placed relative to `with`.'),
  with: id('resource'),
  score: score.optional().describe('Default INFINITY (must run together); -INFINITY: never together.'),
  role: role.optional(),
  with_role: role.optional(),
  node_attribute: z.string().optional().describe('What counts as "the same place" (default #uname).'),
  influence: z.boolean().optional(),
  id: id('constraint').optional().describe('Default: colocation-<resource>-with-<with>.'),
});

const order = obj({
  order: id('resource').describe('The resource that goes first.'),
  then: id('resource'),
  first_action: orderAction.optional().describe('Default start.'),
  then_action: orderAction.optional().describe('Default: first_action.'),
  kind: z.enum(['Mandatory', 'Optional', 'Serialize']).optional().describe('Default Mandatory.'),
  symmetrical: z.boolean().optional().describe('Stop in reverse order (default true; false for Serialize).'),
  id: id('constraint').optional().describe('Default: order-<first>-then-<then>.'),
});

const resourceSet = obj({
  resources: z.array(id('resource')).min(1),
  sequential: z.boolean().optional(),
  require_all: z.boolean().optional(),
  role: role.optional(),
  action: orderAction.optional(),
  score: score.optional(),
  id: id('set').optional(),
}).meta({ id: 'ResourceSet' });

const colocationSets = obj({
  colocation_sets: z.array(resourceSet).min(1),
  score: score.optional(),
  id: id('constraint').optional(),
});

const orderSets = obj({
  order_sets: z.array(resourceSet).min(1),
  kind: z.enum(['Mandatory', 'Optional', 'Serialize']).optional(),
  symmetrical: z.boolean().optional(),
  id: id('constraint').optional(),
});

export const constraint = keyedUnion(
  ['location', 'location_pattern', 'colocation', 'order', 'colocation_sets', 'order_sets'],
  [location, locationPattern, colocation, order, colocationSets, orderSets], 'constraint');

// ---------------------------------------------------------------------------------------------
// fencing

const fenceDevice = obj({
  device: id('resource').describe('Fence device id.'),
  agent: z.string().regex(/^(?:stonith:)?[A-Za-z0-9_./-]+$/, { error: 'a fence agent such as fence_ipmilan' }).describe('Fence agent (fence_ipmilan, fence_virsh, ...).'),
  hosts: z.array(nodeName).optional().describe('Nodes this device can fence (pcmk_host_list).'),
  params: attributes.optional(),
  meta: attributes.optional(),
  ops: z.array(op).optional(),
});

const fencingLevel = obj({
  id: id('fencing level').optional().describe('Default: fl-<target>-<index>.'),
  index: z.int().min(1).describe('Level: 1 is tried first.'),
  node: nodeName.optional().describe('The node this level fences.'),
  pattern: z.string().optional().describe('Or: a regular expression over node names.'),
  attribute: z.string().regex(/^[^=]+=.*$/, { error: 'NAME=VALUE' }).optional().describe('Or: NAME=VALUE of a node attribute.'),
  devices: z.array(id('resource')).min(1).describe('Devices that must all succeed at this level.'),
});

const fencing = obj({
  enabled: z.boolean().default(true).describe('stonith-enabled: recover a lost node\'s resources only after fencing it.'),
  watchdog_timeout: duration.optional().describe('Self-fencing: a node without quorum has stopped everything within this time.'),
  delay: z.record(nodeName, duration).optional().describe('Per node: wait this long before fencing it (so two nodes never fence each other at once).'),
  devices: z.array(fenceDevice).optional(),
  levels: z.array(fencingLevel).optional(),
});

const cluster = obj({
  name: z.string().min(1).describe('Cluster name.'),
  nodes: z.array(node).min(1, { error: 'at least one node' }),
  links: z.array(link).optional().describe('Heartbeat/messaging paths; default one unicast link on port 694.'),
  authkey: z.string().min(1).default(DEFAULTS.authkeyFile).describe('Key file (mode 0600).'),
  crypto: crypto.optional(),
  timing: timing.optional(),
  quorum: quorum.optional(),
  paths: paths.optional(),
  fencing: fencing.optional(),
  no_quorum_policy: z.enum(['stop', 'freeze', 'ignore', 'suicide', 'demote']).default(DEFAULTS.noQuorumPolicy)
    .describe('What a node without quorum does with its resources.'),
  properties: attributes.optional().describe('Other Pacemaker cluster options (symmetric-cluster, start-failure-is-fatal, ...).'),
});

export const vigilYaml = obj({
  cluster,
  resources: z.array(resource).optional(),
  constraints: z.array(constraint).optional(),
  defaults: obj({
    resources: attributes.optional().describe('rsc_defaults: resource-stickiness, migration-threshold, ...'),
    operations: attributes.optional().describe('op_defaults: timeout, ...'),
  }).optional(),
});

export type VigilYaml = z.infer<typeof vigilYaml>;
export type PrimitiveInput = z.infer<typeof primitive>;
export type GroupInput = z.infer<typeof group>;
export type CloneInput = z.infer<typeof clone>;
export type ResourceInput = z.infer<typeof resource>;
export type ConstraintInput = z.infer<typeof constraint>;
export type OpInput = z.infer<typeof op>;
export type RuleInputType = RuleInput;
export type FenceDeviceInput = z.infer<typeof fenceDevice>;

/** The JSON Schema of vigil.yaml (what schema/vigil.schema.json holds). */
export function vigilJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(vigilYaml, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: s.$schema,
    title: 'vigil.yaml',
    description: 'Vigil cluster configuration. Reference: docs/configuration.md.',
    ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema')),
  };
}

/** The JSON Schema as text, exactly as committed in schema/vigil.schema.json. */
export function vigilJsonSchemaText(): string {
  return `${JSON.stringify(vigilJsonSchema(), null, 2)}\n`;
}
