/**
 * `vigil agent list|info|run`: use resource agents by hand, the way the executor uses them (same
 * environment, exit-code mapping and timeouts). Handy to check an agent and its parameters before
 * putting it in a configuration. The options are declared in index.ts.
 */
import { defaultAgentSettings, formatAgent, listAgents, parseAgent, type AgentSettings } from '../../agents/index.js';
import { Executor } from '../../executor/index.js';
import { InputError, OpStatus, type AgentRef } from '../../model/index.js';
import { duration, WHERE } from './args.js';

function agentArg(text: string): AgentRef {
  const ref = parseAgent(text);
  if (!ref) throw new InputError(`"${text}" is not an agent name`, WHERE, { field: 'agent', expected: 'class:provider:type (ocf:heartbeat:IPaddr2) or class:type (lsb:apache2, builtin:vip)' });
  return ref;
}

export interface DirOptions { ocfRoot?: string; lsbDir?: string; heartbeatDir?: string; stateDir?: string; netns?: string }

function settingsFrom(o: DirOptions): Partial<AgentSettings> {
  const s: Partial<AgentSettings> = {};
  if (o.ocfRoot) s.ocfRoot = o.ocfRoot;
  if (o.lsbDir) s.lsbDir = o.lsbDir;
  if (o.heartbeatDir) s.heartbeatDir = o.heartbeatDir;
  if (o.stateDir) s.stateDir = o.stateDir;
  if (o.netns) s.commandPrefix = ['ip', 'netns', 'exec', o.netns];
  return s;
}


/** `vigil agent list [CLASS]` */
export async function list(cls: string | undefined, o: DirOptions): Promise<void> {
  if (cls !== undefined && !['ocf', 'lsb', 'systemd', 'heartbeat', 'builtin'].includes(cls)) {
    throw new InputError(`unknown agent class "${cls}"`, WHERE, { field: 'class', expected: 'ocf, lsb, systemd, heartbeat or builtin' });
  }
  const agents = await listAgents(defaultAgentSettings(settingsFrom(o)), cls as AgentRef['class'] | undefined);
  process.stdout.write(agents.map((a) => `${formatAgent(a)}\n`).join(''));
}

/** `vigil agent info AGENT` */
export async function info(name: string, o: DirOptions & { json?: boolean }): Promise<void> {
  const ex = new Executor({ agents: settingsFrom(o) });
  try {
    const md = await ex.metadata(agentArg(name));
    if (o.json) { process.stdout.write(`${JSON.stringify(md, null, 2)}\n`); return; }
    const lines = [`${name}: ${md.shortdesc ?? ''}`, '', 'parameters:'];
    for (const p of md.parameters) {
      const flags = [p.required ? 'required' : '', p.unique ? 'unique' : ''].filter(Boolean).join(', ');
      lines.push(`  ${p.name} (${p.type}${p.default !== undefined ? `, default ${p.default}` : ''}${flags ? `, ${flags}` : ''})${p.shortdesc ? `: ${p.shortdesc}` : ''}`);
    }
    lines.push('', 'actions:');
    for (const a of md.actions) {
      const t = [a.timeoutMs !== undefined ? `timeout ${a.timeoutMs / 1000}s` : '', a.intervalMs ? `interval ${a.intervalMs / 1000}s` : '', a.role ? `role ${a.role}` : ''].filter(Boolean).join(', ');
      lines.push(`  ${a.name}${t ? ` (${t})` : ''}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await ex.shutdown();
  }
}

export interface RunOptions extends DirOptions { resource: string; param: Record<string, string>; meta: Record<string, string>; timeout: string; interval: string; json?: boolean }

/** `vigil agent run AGENT ACTION`: exits with the agent's OCF exit code. */
export async function run(name: string, action: string, o: RunOptions): Promise<void> {
  const ex = new Executor({ agents: settingsFrom(o) });
  try {
    const r = await ex.execute({
      resource: o.resource, agent: agentArg(name), action, params: o.param, meta: o.meta,
      timeoutMs: duration(o.timeout, '--timeout'), intervalMs: duration(o.interval, '--interval'),
    });
    if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else {
      if (r.stdoutTail) process.stdout.write(r.stdoutTail.endsWith('\n') ? r.stdoutTail : `${r.stdoutTail}\n`);
      process.stderr.write(`${name} ${action}: rc ${r.rc}, ${OpStatus[r.opStatus]}${r.exitReason ? ` (${r.exitReason})` : ''}, ${r.durationMs} ms\n`);
    }
    process.exitCode = r.opStatus === OpStatus.Done ? r.rc : 1;
  } finally {
    await ex.shutdown();
  }
}
