/**
 * Resource ids and node names, and the checks on them (defined once; references resolve).
 * Shared by the loader and by the pass that still checks references when the schema failed,
 * so one run reports schema errors and reference errors together.
 */
import type { InputError } from '../../model/errors.js';
import { closest } from '../suggest.js';
import type { FieldPath, YamlSource } from '../yaml-source.js';

export class References {
  readonly resourceIds = new Map<string, FieldPath>();
  readonly nodeNames = new Set<string>();

  constructor(private readonly src: YamlSource, private readonly errors: InputError[]) {}

  claimResource(id: string, path: FieldPath): void {
    const first = this.resourceIds.get(id);
    if (first !== undefined) {
      const at = this.src.where(first);
      this.errors.push(this.src.error(path, `resource id "${id}" is defined twice (first at line ${at.line})`, 'unique resource ids'));
    } else {
      this.resourceIds.set(id, path);
    }
  }

  claimNode(name: string, path: FieldPath): void {
    if (this.nodeNames.has(name)) this.errors.push(this.src.error(path, `node "${name}" is listed twice`, 'unique node names'));
    this.nodeNames.add(name);
  }

  resource(id: string, path: FieldPath): void {
    if (this.resourceIds.has(id)) return;
    const known = [...this.resourceIds.keys()];
    const near = closest(id, known);
    this.errors.push(this.src.error(path, `unknown resource "${id}"${near ? ` — did you mean "${near}"?` : ''}`,
      known.length ? `a resource id (${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''})` : 'a resource id, but no resources are defined'));
  }

  node(name: string, path: FieldPath): void {
    if (!this.nodeNames.has(name)) this.errors.push(this.src.error(path, `unknown node "${name}"`, `a node from cluster.nodes (${[...this.nodeNames].join(', ')})`));
  }
}

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): v is string => typeof v === 'string';

/** Reference checks over a document that failed the schema: whatever parts are well-formed enough. */
export function rawReferenceErrors(src: YamlSource, data: unknown): InputError[] {
  const errors: InputError[] = [];
  const refs = new References(src, errors);
  if (!isObj(data)) return errors;
  const cluster = isObj(data.cluster) ? data.cluster : {};
  list(cluster.nodes).forEach((n, i) => { if (isObj(n) && str(n.name)) refs.claimNode(n.name, ['cluster', 'nodes', i, 'name']); });
  const resource = (r: unknown, path: FieldPath): void => {
    if (!isObj(r)) return;
    for (const key of ['primitive', 'group', 'clone']) if (str(r[key])) refs.claimResource(r[key] as string, [...path, key]);
    list(r.members).forEach((m, i) => resource(m, [...path, 'members', i]));
    if (r.resource !== undefined) resource(r.resource, [...path, 'resource']);
  };
  list(data.resources).forEach((r, i) => resource(r, ['resources', i]));
  const fencing = isObj(cluster.fencing) ? cluster.fencing : {};
  list(fencing.devices).forEach((d, i) => { if (isObj(d) && str(d.device)) refs.claimResource(d.device, ['cluster', 'fencing', 'devices', i, 'device']); });
  list(data.constraints).forEach((c, i) => {
    if (!isObj(c)) return;
    const path = ['constraints', i];
    for (const key of ['location', 'colocation', 'with', 'order', 'then']) if (str(c[key])) refs.resource(c[key] as string, [...path, key]);
    if (str(c.node) && (str(c.location) || str(c.location_pattern))) refs.node(c.node, [...path, 'node']);
    for (const key of ['colocation_sets', 'order_sets']) {
      list(c[key]).forEach((s, j) => { if (isObj(s)) list(s.resources).forEach((r, k) => { if (str(r)) refs.resource(r, [...path, key, j, 'resources', k]); }); });
    }
  });
  return errors;
}
