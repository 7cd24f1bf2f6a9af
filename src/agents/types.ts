/**
 * The contract every agent class obeys, whatever runs behind it (an OCF script, an LSB init
 * script, systemctl, a Heartbeat v1 resource.d script, or TypeScript built into Vigil): an action
 * goes in, an OCF exit code and an executor status come out.
 */
import type { AgentRef, Attributes, OpStatus } from '../model/index.js';
import type { ProcessOutcome } from '../executor/process.js';

/** One action to run on one resource. */
export interface AgentRequest {
  /** The resource (or clone instance) id: OCF_RESOURCE_INSTANCE. */
  resource: string;
  agent: AgentRef;
  action: string;
  /** Instance parameters (OCF_RESKEY_<name>). */
  params: Attributes;
  /** Meta attributes handed to the agent as OCF_RESKEY_CRM_meta_<name> (clone_max, notify_type, ...). */
  meta: Attributes;
  timeoutMs: number;
  /** Interval of a recurring operation; 0 for one-off operations and probes. */
  intervalMs: number;
}

export interface AgentResult {
  /** OCF exit code (0..9), already mapped from the class's own convention. */
  rc: number;
  status: OpStatus;
  /** Why it failed, in the agent's words (`ocf-exit-reason:` lines) or ours. */
  exitReason?: string;
  stdout: string;
  stderr: string;
}

/** Where agents live and how commands are run on this node. All paths configurable for labs. */
export interface AgentSettings {
  /** OCF_ROOT (default /usr/lib/ocf). */
  ocfRoot: string;
  /** Directory of LSB init scripts (default /etc/init.d). */
  lsbDir: string;
  /** Heartbeat v1 resource scripts (default /etc/ha.d/resource.d). */
  heartbeatDir: string;
  /** HA_RSCTMP: where OCF agents keep runtime state (default /run/resource-agents). */
  rscTmpDir: string;
  /** Where built-in agents keep their state (pidfiles, dummy state); default /run/vigil/agents. */
  stateDir: string;
  /**
   * Prepended to every command an agent runs, e.g. ['ip', 'netns', 'exec', 'host1'] or
   * ['nsenter', '--net=/run/netns/host1', '--']. Must exec (not fork) so process groups hold.
   */
  commandPrefix: string[];
  /** Environment every agent starts from (PATH, LANG); the OCF variables are added per call. */
  baseEnv: Record<string, string>;
  /** Node name, given to OCF agents as OCF_RESKEY_CRM_meta_on_node. */
  nodeName?: string;
  /** SIGTERM → SIGKILL grace for a timed-out operation's process group. */
  killGraceMs: number;
  /** systemctl binary (default 'systemctl'). */
  systemctl: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs?: number;
  cwd?: string;
}

/** What an agent is given for one call: the settings, the deadline and a way to run programs. */
export interface AgentContext {
  settings: AgentSettings;
  /** Aborted when the operation's deadline passes or it is cancelled. */
  signal: AbortSignal;
  /** Run a program (with the command prefix, in its own process group, killed on abort). */
  run(argv: readonly string[], opts?: RunOptions): Promise<ProcessOutcome>;
}

export interface AgentDriver {
  /** Whether the agent is present on this node (a missing agent is NotInstalled, not an error). */
  installed(req: AgentRequest, ctx: AgentContext): Promise<{ ok: true } | { ok: false; reason: string }>;
  run(req: AgentRequest, ctx: AgentContext): Promise<AgentResult>;
}

/** Default settings for a real node. */
export function defaultAgentSettings(overrides: Partial<AgentSettings> = {}): AgentSettings {
  const path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const fullPath = [path, '/usr/local/sbin', '/usr/sbin', '/sbin'].join(':');
  return {
    ocfRoot: '/usr/lib/ocf',
    lsbDir: '/etc/init.d',
    heartbeatDir: '/etc/ha.d/resource.d',
    rscTmpDir: '/run/resource-agents',
    stateDir: '/run/vigil/agents',
    commandPrefix: [],
    baseEnv: { PATH: fullPath, LC_ALL: 'C', LANG: 'C' },
    killGraceMs: 2000,
    systemctl: 'systemctl',
    ...overrides,
  };
}
