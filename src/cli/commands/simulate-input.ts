/**
 * Shared input handling for `vigil simulate` and `vigil explain`: load the CIB, pick the clock,
 * and apply injected events (node down/up/fail, operation results) to the status before
 * scheduling — the clock is read here, never in the scheduler.
 */
import { readFileSync } from 'node:fs';
import { loadCibXmlWithWarnings } from '../../config/cib/load.js';
import type { Cib, NodeState, OperationRecord } from '../../model/cluster.js';
import { OpStatus } from '../../model/cluster.js';
import { InputError } from '../../model/errors.js';

export function readCib(file: string): { cib: Cib; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read CIB: ${(err as Error).message}`, { file }, { field: '--cib' });
  }
  const { cib, warnings } = loadCibXmlWithWarnings(text, file, { lenient: true });
  return { cib, warnings: warnings.map((w) => `${w.where?.file ?? file}${w.where?.line ? `:${w.where.line}` : ''}: ${w.message}`) };
}

/**
 * The CIB to schedule: a CIB XML file, or a vigil.yaml (every configured node online and in
 * quorum, nothing running yet), or both (configuration from vigil.yaml, status from the CIB).
 */
export async function readInput(opts: { cib?: string; config?: string }): Promise<{ cib: Cib; warnings: string[] }> {
  if (!opts.cib && !opts.config) throw new InputError('nothing to simulate', { file: '<command line>' }, { field: '--cib', expected: '--cib FILE.xml and/or --config vigil.yaml' });
  const fromCib = opts.cib ? readCib(opts.cib) : undefined;
  if (!opts.config) return fromCib as { cib: Cib; warnings: string[] };
  let text: string;
  try {
    text = readFileSync(opts.config, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read configuration: ${(err as Error).message}`, { file: opts.config }, { field: '--config' });
  }
  // Loaded on demand: the YAML loader and its schema are not needed for CIB-only runs.
  const { loadVigilYaml } = await import('../../config/vigil/load.js');
  const loaded = loadVigilYaml(text, opts.config);
  const warnings = [...(fromCib?.warnings ?? []), ...loaded.warnings.map((w) => `${w.where?.file ?? opts.config}${w.where?.line ? `:${w.where.line}` : ''}: ${w.message}`)];
  if (fromCib) return { cib: { ...fromCib.cib, config: loaded.config }, warnings };
  const status = {
    haveQuorum: true,
    nodes: loaded.config.nodes.map((n) => ({ id: n.id, name: n.name, inCluster: true, controllerOnline: true, join: 'member' as const, expected: 'member' as const, transientAttributes: {}, history: [] })),
    tickets: {},
  };
  return { cib: { config: loaded.config, status }, warnings };
}

/** `--now`: epoch seconds or an ISO date; default the CIB's execution-date, else the wall clock. */
export function resolveNow(cib: Cib, now: string | undefined): number {
  if (now !== undefined) {
    if (/^\d+$/.test(now.trim())) return Number(now.trim());
    const ms = Date.parse(now);
    if (Number.isNaN(ms)) throw new InputError(`bad time "${now}"`, { file: '<command line>' }, { field: '--now', expected: 'epoch seconds or an ISO 8601 date' });
    return Math.floor(ms / 1000);
  }
  return cib.status.executionDate ?? Math.floor(Date.now() / 1000);
}

function stateOf(cib: Cib, name: string, flag: string): NodeState {
  let st = cib.status.nodes.find((n) => n.name === name);
  if (st) return st;
  const cfg = cib.config.nodes.find((n) => n.name === name);
  if (!cfg) throw new InputError(`unknown node "${name}"`, { file: '<command line>' }, { field: flag, expected: `one of ${cib.config.nodes.map((n) => n.name).join(', ')}` });
  st = { id: cfg.id, name, inCluster: false, controllerOnline: false, join: 'down', expected: 'down', transientAttributes: {}, history: [] };
  cib.status.nodes.push(st);
  return st;
}

export interface Injections {
  nodeDown?: string[];
  nodeUp?: string[];
  nodeFail?: string[];
  opFail?: string[];
}

const OP_RE = /^(.+)_([a-z][a-z_-]*)_(\d+)@([^=]+)=(\d+)$/;

/** Apply injected events to a copy of the status (a failed result also counts as a failure, as the controller would record it). */
export function inject(cib: Cib, inj: Injections, now: number): Cib {
  const copy: Cib = structuredClone(cib);
  for (const name of inj.nodeUp ?? []) Object.assign(stateOf(copy, name, '--node-up'), { inCluster: true, controllerOnline: true, join: 'member', expected: 'member' });
  for (const name of inj.nodeDown ?? []) Object.assign(stateOf(copy, name, '--node-down'), { inCluster: false, controllerOnline: false, join: 'down', expected: 'down' });
  for (const name of inj.nodeFail ?? []) Object.assign(stateOf(copy, name, '--node-fail'), { inCluster: false, controllerOnline: false, join: 'down', expected: 'member' });
  for (const spec of inj.opFail ?? []) {
    const m = OP_RE.exec(spec);
    if (!m) throw new InputError(`bad operation result "${spec}"`, { file: '<command line>' }, { field: '--op-fail', expected: 'RSC_OP_INTERVALMS@NODE=RC, e.g. web_monitor_10000@node1=7' });
    const [, rsc, op, interval, node, rc] = m;
    const st = stateOf(copy, node, '--op-fail');
    let h = st.history.find((x) => x.rsc === rsc);
    if (!h) { h = { rsc, ops: [] }; st.history.push(h); }
    const callId = Math.max(0, ...copy.status.nodes.flatMap((n) => n.history.flatMap((x) => x.ops.map((o) => o.callId)))) + 1;
    const rcNum = Number(rc);
    const rec: OperationRecord = {
      id: `${rsc}_${op}_${interval}`, operation: op, callId, rc: rcNum, opStatus: rcNum === 0 ? OpStatus.Done : OpStatus.Error,
      intervalMs: Number(interval), transitionKey: `0:0:${op === 'monitor' && interval === '0' ? 7 : 0}:vigil-inject`,
      lastRcChange: now,
    };
    const expected = op === 'monitor' && interval === '0' ? 7 : 0;
    if (rcNum !== expected) {
      const key = `${rsc}#${op}_${interval}`;
      const attrs = st.transientAttributes;
      attrs[`fail-count-${key}`] = String((Number.parseInt(attrs[`fail-count-${key}`] ?? '0', 10) || 0) + 1);
      attrs[`last-failure-${key}`] = String(now);
    }
    h.ops = h.ops.filter((o) => !(o.operation === op && o.intervalMs === rec.intervalMs));
    h.ops.push(rec);
  }
  return copy;
}
