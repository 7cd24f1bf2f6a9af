/**
 * A parsed YAML document that remembers where everything came from, so every error and every
 * model object can name file, line and column.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { SourceRef } from '../model/cluster.js';
import { InputError, type Warning } from '../model/errors.js';

export type FieldPath = ReadonlyArray<string | number>;

/** `resources[2].ops[0].interval`, `cluster.properties["no-quorum-policy"]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_#][A-Za-z0-9_]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

export class YamlSource {
  readonly doc: Document;
  private readonly lines = new LineCounter();

  constructor(readonly text: string, readonly file: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: true, merge: true, uniqueKeys: true });
  }

  /** YAML syntax errors (fatal) as InputErrors, YAML warnings as Warnings. */
  syntaxErrors(): InputError[] {
    return this.doc.errors.map((e) => {
      const message = e.code === 'DUPLICATE_KEY'
        ? `duplicate key "${(/^("(?:[^"\\]|\\.)*"|'[^']*'|[^:#\n]+?)\s*:/.exec(this.text.slice(e.pos[0]))?.[1] ?? '?').replace(/^["']|["']$/g, '')}"`
        : e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return new InputError(message, this.at(e.pos[0]), { expected: e.code === 'DUPLICATE_KEY' ? 'each key once in a mapping' : 'valid YAML' });
    });
  }

  syntaxWarnings(): Warning[] {
    return this.doc.warnings.map((w) => ({ where: this.at(w.pos[0]), message: w.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') }));
  }

  at(offset: number): SourceRef {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** The node at `path`, or the nearest ancestor that exists (for a missing field: where it should go). */
  node(path: FieldPath): { node: Node | undefined; exact: boolean } {
    let node: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const next = child(node, path[i]);
      if (next === undefined) return { node: node as Node | undefined, exact: false };
      node = next;
    }
    return { node: node as Node | undefined, exact: true };
  }

  /** Position of the value at `path` (or of its nearest existing ancestor). */
  where(path: FieldPath): SourceRef {
    const { node } = this.node(path);
    const start = node?.range?.[0];
    return start === undefined ? { file: this.file, line: 1, column: 1 } : this.at(start);
  }

  /** Position of the key `key` in the mapping at `path` (for unknown fields); falls back to the mapping. */
  whereKey(path: FieldPath, key: string): SourceRef {
    const { node, exact } = this.node(path);
    if (exact && isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) return this.at(pair.key.range[0]);
      }
    }
    return this.where(path);
  }

  error(path: FieldPath, message: string, expected?: string): InputError {
    return new InputError(message, this.where(path), { field: formatPath(path) || undefined, expected });
  }
}

function child(node: unknown, key: string | number): unknown {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(key)) return pair.value ?? pair.key;
    }
    return undefined;
  }
  if (isSeq(node) && typeof key === 'number') return node.items[key];
  return undefined;
}

/**
 * In free-form name/value maps (params, meta, ...) a value is text for the agent, so keep a
 * number exactly as written: `mode: 0644` stays "0644", `version: 1.10` stays "1.10" (also
 * the `value` of a rule expression).
 */
export function keepNumberText(src: YamlSource, data: unknown, mapKeys: ReadonlySet<string>): void {
  const walk = (node: unknown, value: unknown, inAttrMap: boolean): void => {
    if (isMap(node) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const v = pair.value;
        if ((inAttrMap || key === 'value') && isScalar(v) && typeof v.value === 'number' && v.range && v.type === 'PLAIN') {
          obj[key] = src.text.slice(v.range[0], v.range[1]);
        } else {
          walk(v, obj[key], !inAttrMap && mapKeys.has(key));
        }
      }
    } else if (isSeq(node) && Array.isArray(value)) {
      node.items.forEach((item, i) => walk(item, value[i], false));
    }
  };
  walk(src.doc.contents, data, false);
}
