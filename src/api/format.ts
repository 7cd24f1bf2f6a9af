/** `vigil status` as text: what an operator reads first when something is wrong. */
import type { DaemonStatus } from './protocol.js';

export function formatStatus(s: DaemonStatus): string {
  const lines: string[] = [];
  const q = s.quorate ? 'partition with quorum' : 'partition WITHOUT quorum';
  lines.push(`Cluster ${s.cluster} — DC: ${s.dc ?? 'none'} (term ${s.term}), ${q}; seen from ${s.node}`);
  lines.push(`  fencing: ${s.fencing.enabled ? 'enabled' : 'DISABLED'}; self-fencing: ${s.fencing.selfFence}${s.fencing.watchdogTimeoutMs ? ` (watchdog-timeout ${s.fencing.watchdogTimeoutMs} ms)` : ''}; no-quorum-policy: ${s.noQuorumPolicy}`);
  lines.push('');
  lines.push('Nodes:');
  for (const n of s.nodes) {
    const flags = [n.dc ? 'DC' : '', n.standby ? 'standby' : '', n.maintenance ? 'maintenance' : '', n.downSince ? `down since ${n.downSince}` : '',
      n.state === 'unclean' ? 'not fenced yet: its resources wait' : '',
      n.lastFence && n.state !== 'online' ? `last fenced${n.lastFence.at ? ` ${n.lastFence.at}` : ''}: ${n.lastFence.how}` : ''].filter(Boolean);
    const links = Object.entries(n.links).map(([l, v]) => `${l} ${v}`).join(', ');
    lines.push(`  ${n.name.padEnd(12)} ${n.state.padEnd(8)}${flags.length ? ` [${flags.join(', ')}]` : ''}${links ? `  links: ${links}` : ''}`);
  }
  lines.push('');
  lines.push('Resources:');
  if (s.resources.length === 0) lines.push('  (none configured)');
  for (const r of s.resources) {
    const where = r.running.length ? r.running.map((x) => `${x.role === 'Started' ? '' : `${x.role} `}${x.node}`).join(', ') : 'Stopped';
    const name = r.parent ? `${r.parent}/${r.id}` : r.id;
    const extra = [!r.managed ? 'unmanaged' : '', r.blocked ? `blocked: ${r.blocked}` : ''].filter(Boolean).join('; ');
    lines.push(`  ${name.padEnd(20)} (${r.agent}) ${r.running.length ? 'Started ' : ''}${where}${extra ? `  (${extra})` : ''}`);
  }
  const failures = s.resources.flatMap((r) => r.failures.map((f) => ({ r: r.id, ...f })));
  if (failures.length) {
    lines.push('');
    lines.push('Failures:');
    for (const f of failures) lines.push(`  ${f.r} ${f.operation} on ${f.node}: fail-count ${f.count}${f.exitReason ? ` (${f.exitReason})` : ''}`);
  }
  if (s.warnings.length) {
    lines.push('');
    for (const w of s.warnings) lines.push(`warning: ${w}`);
  }
  return `${lines.join('\n')}\n`;
}
