/**
 * zod issues → InputErrors that name file, line, column, field path and what was expected.
 * Keyed unions (a resource is `primitive:`, `group:` or `clone:`) report only the branch the
 * entry's key selects, so a typo inside a primitive is not drowned in "or it could be a group".
 */
import type * as z from 'zod';
import { InputError } from '../../model/errors.js';
import { didYouMean } from '../suggest.js';
import { formatPath, type FieldPath, type YamlSource } from '../yaml-source.js';
import { unionBranch } from './schema.js';

type Issue = z.core.$ZodIssue;

export function issuesToErrors(src: YamlSource, data: unknown, issues: readonly Issue[], base: FieldPath = []): InputError[] {
  const out: InputError[] = [];
  for (const issue of issues) out.push(...issueToErrors(src, data, issue, base));
  return dedupe(out);
}

function issueToErrors(src: YamlSource, data: unknown, issue: Issue, base: FieldPath): InputError[] {
  const path = [...base, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
  const value = valueAt(data, path);
  const field = formatPath(path) || undefined;
  switch (issue.code) {
    case 'unrecognized_keys':
    {
      const known = issue.message.startsWith('known: ') ? issue.message.slice(7).split(', ') : [];
      return issue.keys.map((key) => new InputError(`unknown field "${key}"${didYouMean(key, known)}`,
        src.whereKey(path, key), { field: formatPath([...path, key]), expected: known.length ? `one of ${known.join(', ')}` : 'a known field' }));
    }
    case 'invalid_union': {
      const branches = issue.errors;
      const chosen = value !== null && typeof value === 'object' ? unionBranch.get(value) : undefined;
      if (chosen !== undefined && chosen >= 0 && branches[chosen]) return issuesToErrors(src, data, branches[chosen], path);
      if (issue.message !== 'Invalid input') return [new InputError(value === undefined ? 'missing required field' : value !== null && typeof value === 'object' && !Array.isArray(value) ? `unrecognized entry with key(s) ${Object.keys(value).join(', ') || '(none)'}` : `invalid value ${show(value)}`, src.where(path), { field, expected: issue.message })];
      // Untagged union: ignore branches that fail only because the value has another type.
      const relevant = branches.filter((b) => !(b.length === 1 && b[0].code === 'invalid_type' && b[0].path.length === 0));
      const pick = (relevant.length > 0 ? relevant : branches).reduce((a, b) => (b.length < a.length ? b : a));
      return issuesToErrors(src, data, pick, path);
    }
    case 'invalid_type': {
      if (value === undefined) return [new InputError('missing required field', src.where(path), { field, expected: TYPE_WORDS[issue.expected] ?? issue.expected })];
      return [new InputError(`wrong type: ${show(value)}`, src.where(path), { field, expected: TYPE_WORDS[issue.expected] ?? issue.expected })];
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
      return [new InputError(`${show(value)} is not allowed${hint}`, src.where(path), { field, expected: `one of ${allowed.join(', ')}` })];
    }
    case 'invalid_format':
      return [new InputError(`invalid value ${show(value)}`, src.where(path), { field, expected: issue.message.replace(/^Invalid string: /, '') })];
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of':
      return [new InputError(`invalid value ${show(value)}`, src.where(path), { field, expected: issue.message.replace(/^(Too small|Too big): /, '') })];
    default:
      return [new InputError(issue.message, src.where(path), { field })];
  }
}

/** zod's type names in the words of a YAML file. */
const TYPE_WORDS: Record<string, string> = {
  array: 'a list', object: 'a mapping', string: 'text', number: 'a number', int: 'an integer', boolean: 'true or false', record: 'a mapping',
};

function valueAt(data: unknown, path: FieldPath): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (empty)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

function dedupe(errors: InputError[]): InputError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = e.format();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
