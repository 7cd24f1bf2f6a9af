/** Human output of `vigil simulate`: current status, transition summary, revised status. */
import type { Cib } from '../../model/cluster.js';
import type { SchedulerResult } from '../../scheduler/schedule.js';
import type { Placement } from '../../scheduler/summary.js';

function nodeSection(result: SchedulerResult, which: 'before' | 'after'): string[] {
  const groups = new Map<string, string[]>();
  for (const [name, s] of Object.entries(result.nodes)) {
    const state = s[which];
    const list = groups.get(state) ?? [];
    list.push(name);
    groups.set(state, list);
  }
  const lines = ['  * Node List:'];
  for (const [state, names] of groups) lines.push(`    * ${state === 'online' ? 'Online' : state === 'offline' ? 'OFFLINE' : state}: [ ${names.sort().join(' ')} ]`);
  return lines;
}

function resourceSection(cib: Cib, placements: Placement[]): string[] {
  const lines = ['  * Resources:'];
  const byRsc = new Map<string, Placement[]>();
  for (const p of placements) {
    const list = byRsc.get(p.rsc) ?? [];
    list.push(p);
    byRsc.set(p.rsc, list);
  }
  const all = new Set<string>();
  const walk = (id: string): void => { all.add(id); };
  for (const r of cib.config.resources) {
    if (r.kind === 'primitive') walk(r.id);
    else if (r.kind === 'group') r.members.forEach((m) => walk(m.id));
    else if (r.child.kind === 'primitive') walk(r.child.id);
    else r.child.members.forEach((m) => walk(m.id));
  }
  for (const id of byRsc.keys()) all.add(id);
  for (const id of [...all].sort()) {
    const ps = byRsc.get(id.replace(/:\d+$/, '')) ?? byRsc.get(id) ?? [];
    if (ps.length === 0) lines.push(`    * ${id}\tStopped`);
    else for (const p of ps) lines.push(`    * ${p.instance === p.rsc ? p.rsc : `${p.rsc} (${p.instance})`}\t${p.role} ${p.node}${p.flags.length ? ` (${p.flags.join(', ')})` : ''}`);
  }
  return lines;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function formatSimulation(cib: Cib, result: SchedulerResult): string {
  const out: string[] = ['Current cluster status:', ...nodeSection(result, 'before'), '', ...resourceSection(cib, result.current), '', 'Transition Summary:'];
  if (result.summary.length === 0) out.push('  (nothing to do)');
  for (const a of result.summary) {
    if (a.action === 'fence') { out.push(`  * Fence (${a.type}) ${a.node} '${a.reason}'`); continue; }
    let where: string;
    if (a.roleFrom || a.roleTo) {
      if (a.from && a.to && a.from !== a.to) where = `${a.roleFrom} ${a.from} -> ${a.roleTo} ${a.to}`;
      else if (a.action === 'stop') where = `${a.roleFrom} ${a.from}`;
      else where = `${a.roleFrom} -> ${a.roleTo} ${a.to ?? a.from}`;
    } else if (a.from && a.to && a.from !== a.to) where = `${a.from} -> ${a.to}`;
    else where = `${a.to ?? a.from}`;
    out.push(`  * ${cap(a.action).padEnd(10)} ${a.rsc.padEnd(14)} ( ${where} )${a.reason ? `  due to ${a.reason}` : ''}${a.blocked ? ' (blocked)' : ''}`);
  }
  out.push('', 'Revised cluster status:', ...nodeSection(result, 'after'), '', ...resourceSection(cib, result.placements), '');
  return out.join('\n');
}
