/**
 * In-process runner for Pacemaker's scheduler regression corpus (../shared/scheduler-corpus):
 * expected results come from the corpus's own summary2json.py (one python process for all
 * cases); Vigil's come from calling the scheduler directly. Comparison mirrors compare.py:
 * placements and actions as multisets.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCibXml } from '../../src/config/cib/load.js';
import { schedule } from '../../src/scheduler/schedule.js';
import { toCanonical, type CanonicalResult } from '../../src/scheduler/canonical.js';

export const corpusDir = join(process.cwd(), '..', 'shared', 'scheduler-corpus');

export interface CaseOutcome {
  name: string;
  tier: number;
  placements: boolean;
  actions: boolean;
  missing: string[];
  extra: string[];
  missingActions: string[];
  extraActions: string[];
  error?: string;
}

export function corpusPresent(): boolean {
  return existsSync(join(corpusDir, 'index.tsv')) && existsSync(join(corpusDir, 'summary2json.py'));
}

export function listCases(tiers: number[]): Array<{ name: string; tier: number }> {
  const lines = readFileSync(join(corpusDir, 'index.tsv'), 'utf8').split('\n').slice(1);
  const out: Array<{ name: string; tier: number }> = [];
  for (const l of lines) {
    const [name, tier] = l.split('\t');
    if (name && tiers.includes(Number(tier))) out.push({ name, tier: Number(tier) });
  }
  return out;
}

/** Expected canonical results for the named cases, converted by the corpus's summary2json.py. */
export function expectedResults(names: string[]): Record<string, CanonicalResult> {
  const script = [
    'import json, sys, os',
    `sys.path.insert(0, ${JSON.stringify(corpusDir)})`,
    'import summary2json',
    `d = ${JSON.stringify(corpusDir)}`,
    'out = {}',
    'for n in json.loads(sys.stdin.read()):',
    '    out[n] = summary2json.convert(open(os.path.join(d, "summary", n + ".summary")).read(), os.path.join(d, "xml", n + ".xml"))',
    'print(json.dumps(out))',
  ].join('\n');
  const text = execFileSync('python3', ['-c', script], { input: JSON.stringify(names), maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(text.toString()) as Record<string, CanonicalResult>;
}

function counter(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

function diff(exp: string[], got: string[]): { missing: string[]; extra: string[] } {
  const e = counter(exp);
  const g = counter(got);
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [k, n] of e) for (let i = 0; i < n - (g.get(k) ?? 0); i++) missing.push(k);
  for (const [k, n] of g) for (let i = 0; i < n - (e.get(k) ?? 0); i++) extra.push(k);
  return { missing, extra };
}

const placementKeys = (r: CanonicalResult): string[] => r.placements.map((p) => `${p.rsc} ${p.role} ${p.node}`);
const actionKeys = (r: CanonicalResult): string[] => r.actions.map((a) => (a.action === 'fence'
  ? `fence ${String(a.type)} ${String(a.node)}`
  : `${String(a.action)} ${String(a.rsc)} ${String(a.from)}->${String(a.to)} ${String(a.role_from)}->${String(a.role_to)}${a.blocked ? ' blocked' : ''}`));

export function runCase(name: string, tier: number, expected: CanonicalResult): CaseOutcome {
  const file = join(corpusDir, 'xml', `${name}.xml`);
  try {
    const cib = loadCibXml(readFileSync(file, 'utf8'), file, { lenient: true });
    // As crm_simulate: execution-date when recorded, else the wall clock (read here, in the test harness).
    const now = cib.status.executionDate ?? Math.floor(Date.now() / 1000);
    const got = toCanonical(schedule(cib, now));
    const p = diff(placementKeys(expected), placementKeys(got));
    const a = diff(actionKeys(expected), actionKeys(got));
    return { name, tier, placements: p.missing.length + p.extra.length === 0, actions: a.missing.length + a.extra.length === 0, ...p, missingActions: a.missing, extraActions: a.extra };
  } catch (err) {
    return { name, tier, placements: false, actions: false, missing: [], extra: [], missingActions: [], extraActions: [], error: (err as Error).stack ?? String(err) };
  }
}
