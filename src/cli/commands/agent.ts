/**
 * `vigil agent list|info|run` and `vigil fence run`: use resource and fence agents by hand, the way
 * the executor and the fencing layer use them (same environment, exit-code mapping and
 * timeouts). Handy to check an agent and its parameters before putting it in a configuration.
 */
import type { Command } from 'commander';
import { defaultAgentSettings, formatAgent, listAgents, parseAgent, type AgentSettings } from '../../agents/index.js';
import { Executor } from '../../executor/index.js';
import { FenceRunner, type FenceAction } from '../../fencing/index.js';
import { InputError, OpStatus, parseDuration, type AgentRef } from '../../model/index.js';

const WHERE = { file: '<command line>' };

function agentArg(text: string): AgentRef {
  const ref = parseAgent(text);
  if (!ref) throw new InputError(`"${text}" is not an agent name`, WHERE, { field: 'agent', expected: 'class:provider:type (ocf:heartbeat:IPaddr2) or class:type (lsb:apache2, builtin:vip)' });
  return ref;
}

function collect(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InputError(`"${value}" is not name=value`, WHERE, { field: '--param/--meta', expected: 'name=value' });
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function duration(text: string, field: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InputError(`"${text}" is not a duration`, WHERE, { field, expected: 'e.g. 20s, 500ms, 2min' });
  return ms;
}

interface DirOptions { ocfRoot?: string; lsbDir?: string; heartbeatDir?: string; stateDir?: string; netns?: string }

function withDirs(cmd: Command): Command {
  return cmd
    .option('--ocf-root <dir>', 'OCF_ROOT (default /usr/lib/ocf)')
    .option('--lsb-dir <dir>', 'init scripts (default /etc/init.d)')
    .option('--heartbeat-dir <dir>', 'Heartbeat resource scripts (default /etc/ha.d/resource.d)')
    .option('--state-dir <dir>', 'state of built-in agents (default /run/vigil/agents)')
    .option('--netns <name>', 'run the agent inside this network namespace (ip netns exec)');
}

function settingsFrom(o: DirOptions): Partial<AgentSettings> {
  const s: Partial<AgentSettings> = {};
  if (o.ocfRoot) s.ocfRoot = o.ocfRoot;
  if (o.lsbDir) s.lsbDir = o.lsbDir;
  if (o.heartbeatDir) s.heartbeatDir = o.heartbeatDir;
  if (o.stateDir) s.stateDir = o.stateDir;
  if (o.netns) s.commandPrefix = ['ip', 'netns', 'exec', o.netns];
  return s;
}

export function register(program: Command): void {
  const agent = program.command('agent').description('list, describe and run resource agents on this machine');

  withDirs(agent.command('list')
    .description('list the resource agents installed here')
    .argument('[class]', 'only this class: ocf, lsb, systemd, heartbeat or builtin'))
    .action(async (cls: string | undefined, o: DirOptions) => {
      if (cls !== undefined && !['ocf', 'lsb', 'systemd', 'heartbeat', 'builtin'].includes(cls)) {
        throw new InputError(`unknown agent class "${cls}"`, WHERE, { field: 'class', expected: 'ocf, lsb, systemd, heartbeat or builtin' });
      }
      const list = await listAgents(defaultAgentSettings(settingsFrom(o)), cls as AgentRef['class'] | undefined);
      process.stdout.write(list.map((a) => `${formatAgent(a)}\n`).join(''));
    });

  withDirs(agent.command('info')
    .description("print an agent's parameters and actions (from its meta-data)")
    .argument('<agent>', 'e.g. ocf:heartbeat:IPaddr2, lsb:apache2, builtin:vip')
    .option('--json', 'print JSON'))
    .action(async (name: string, o: DirOptions & { json?: boolean }) => {
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
    });

  withDirs(agent.command('run')
    .description("run one action of an agent now, as the executor would; exits with the agent's OCF exit code")
    .argument('<agent>', 'e.g. ocf:heartbeat:Dummy, builtin:vip')
    .argument('<action>', 'start, stop, monitor, validate-all, ...')
    .option('-r, --resource <id>', 'resource id (OCF_RESOURCE_INSTANCE)', 'manual')
    .option('-p, --param <name=value>', 'instance parameter (repeatable)', collect, {})
    .option('-m, --meta <name=value>', 'meta attribute (repeatable)', collect, {})
    .option('-t, --timeout <duration>', 'operation timeout', '20s')
    .option('-i, --interval <duration>', 'interval given to the agent (a recurring monitor)', '0')
    .option('--json', 'print the result as JSON'))
    .action(async (name: string, action: string, o: DirOptions & { resource: string; param: Record<string, string>; meta: Record<string, string>; timeout: string; interval: string; json?: boolean }) => {
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
    });

  const fence = program.command('fence').description('run fence agents by hand');
  fence.command('run')
    .description('run a fence agent action (fence-agent protocol on stdin); off is confirmed with status')
    .argument('<agent>', 'fence_xxx, or an absolute path')
    .argument('<action>', 'off, on, reboot, status, monitor, list, metadata')
    .option('-n, --target <node>', 'node (or outlet) to act on')
    .option('-p, --param <name=value>', 'device parameter (repeatable)', collect, {})
    .option('--host-argument <name>', 'parameter that carries the target: port, plug, another name, or none', 'port')
    .option('-t, --timeout <duration>', 'timeout', '60s')
    .action(async (name: string, action: string, o: { target?: string; param: Record<string, string>; hostArgument: string; timeout: string }) => {
      const actions = ['off', 'on', 'reboot', 'status', 'monitor', 'list', 'list-status', 'metadata', 'validate-all'];
      if (!actions.includes(action)) throw new InputError(`unknown fence action "${action}"`, WHERE, { field: 'action', expected: actions.join(', ') });
      const runner = new FenceRunner();
      const req = { agent: name, target: o.target, params: o.param, hostArgument: o.hostArgument, timeoutMs: duration(o.timeout, '--timeout') };
      const r = action === 'off' ? await runner.fenceOff(req) : await runner.run({ ...req, action: action as FenceAction });
      if (r.outlets) for (const x of r.outlets) process.stdout.write(`${x.plug}${x.alias ? ` (${x.alias})` : ''}${x.status ? ` ${x.status}` : ''}\n`);
      else if (action === 'metadata') process.stdout.write(r.stdout);
      const power = r.power ? `, power ${r.power}` : '';
      process.stderr.write(`${name} ${action}${o.target ? ` ${o.target}` : ''}: ${r.ok ? 'ok' : `failed: ${r.error}`}${power}, ${r.durationMs} ms\n`);
      process.exitCode = r.ok ? (action === 'status' && r.power === 'off' ? 2 : 0) : 1;
    });
}
