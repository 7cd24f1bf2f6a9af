/**
 * `vigil explain RESOURCE`: why each instance of a resource is where it is — the winning and
 * losing node scores, what contributed to each (location constraints, stickiness, colocations,
 * failure bans), and the actions planned for it with their reasons. The options are declared in index.ts.
 */
import { InputError } from '../../model/errors.js';
import { formatScore } from '../../model/score.js';
import { schedule } from '../../scheduler/schedule.js';
import type { SchedRsc, WorkingSet } from '../../scheduler/working-set.js';
import type { Transition } from '../../scheduler/transition.js';
import { inject, readInput, resolveNow } from './simulate-input.js';

export interface ExplainOpts { cib?: string; config?: string; now?: string; nodeDown: string[]; nodeUp: string[]; nodeFail: string[]; opFail: string[] }

/** `vigil explain RESOURCE` */
export async function explain(resource: string, opts: ExplainOpts): Promise<void> {
  const { cib: loaded } = await readInput(opts);
  const now = resolveNow(loaded, opts.now);
  const cib = inject(loaded, { nodeDown: opts.nodeDown, nodeUp: opts.nodeUp, nodeFail: opts.nodeFail, opFail: opts.opFail }, now);
  const result = schedule(cib, now, { keepWorkingSet: true });
  const ws = result.workingSet as WorkingSet;
  const target = ws.byId.get(resource);
  if (!target) {
    const known = ws.resources.map((r) => r.id).join(', ');
    throw new InputError(`no resource "${resource}"`, { file: '<command line>' }, { field: 'resource', expected: `one of ${known}` });
  }
  process.stdout.write(explainResource(target, ws, result.transition));
}

function primitivesBelow(r: SchedRsc): SchedRsc[] {
  return r.variant === 'primitive' ? [r] : r.children.flatMap(primitivesBelow);
}

export function explainResource(target: SchedRsc, ws: WorkingSet, t: Transition): string {
  const out: string[] = [];
  const kind = target.variant === 'clone' ? (target.promotable ? 'promotable clone' : 'clone') : target.variant;
  out.push(`${target.id} (${kind})`);
  if (target.variant === 'clone') out.push(`  clone-max=${target.cloneMax} clone-node-max=${target.cloneNodeMax}${target.promotable ? ` promoted-max=${target.promotedMax}` : ''}${target.unique ? ' globally-unique' : ''}`);
  for (const p of primitivesBelow(target)) {
    out.push('');
    const now = p.runningOn.length ? p.runningOn.map((n) => `${p.roleOn.get(n) ?? 'Started'} on ${n}`).join(', ') : 'not running';
    const next = p.allocatedTo ? `${p.nextRole === 'Unknown' ? 'Started' : p.nextRole} on ${p.allocatedTo}` : 'stopped';
    out.push(`${p.id}: now ${now}; decided: ${next}`);
    if (!p.managed) out.push('  it is not managed (is-managed=false, maintenance, or blocked by a failure): Vigil leaves it as it is.');
    if (p.failed) out.push(`  it has failed on ${[...p.failedOn].join(', ')} and needs recovery there.`);
    for (const note of p.notes) out.push(`  note: ${note}`);
    const table = [...(p.allowed ?? new Map<string, number>())].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (table.length === 0) out.push('  no node is allowed to run it (opt-in cluster without a location constraint for it?).');
    for (const [node, score] of table) {
      const n = ws.nodes.get(node);
      const why: string[] = [];
      if (n && !n.online) why.push(n.unclean ? 'node is unclean (lost, needs fencing)' : 'node is offline');
      if (n?.standby) why.push('node is in standby');
      if (n?.maintenance) why.push('node is in maintenance');
      const mark = node === p.allocatedTo ? 'chosen' : 'not chosen';
      out.push(`  ${node}: score ${formatScore(score)} (${mark})${why.length ? ` — ${why.join(', ')}` : ''}`);
      const contribs = p.contributions.filter((c) => c.node === node);
      if (contribs.length === 0) out.push(`      0 by default (${ws.options.symmetric ? 'symmetric cluster' : 'opt-in cluster'})`);
      for (const c of contribs) out.push(`      ${c.score >= 0 ? '+' : ''}${formatScore(c.score)} from ${c.source}`);
    }
    for (const a of t.byRsc.get(p) ?? []) {
      if (a.optional) continue;
      const why = a.blockedBy ?? a.dueTo ?? a.reasons[0];
      out.push(`  action: ${a.task} on ${a.node ?? '(no node)'}${a.runnable ? '' : ' — BLOCKED'}${why ? ` because of ${why}` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
