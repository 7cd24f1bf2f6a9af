/**
 * Every `vigil` command: its name, arguments and options (all `--help` needs), declared here
 * cheaply. A command's implementation module is imported only when that command runs, so
 * starting the CLI does not load the config loader, the scheduler, the daemon or the simulators,
 * and a module that fails to load breaks only its own commands. Keep this file's imports light:
 * commander, ./args.js and types.
 *
 * The order of the declarations is the order of `vigil --help`.
 */
import type { Command } from 'commander';
import type { NodeAdminAction, ResourceAdminAction } from '../../api/protocol.js';
import { DEFAULTS } from '../../config/settings.js';
import { collectList, collectPairs, int, LOG_LEVELS, SIM_BUGS } from './args.js';
import type { DirOptions, RunOptions } from './agent.js';
import type { EngineCliOptions } from './engine.js';
import type { ExplainOpts } from './explain.js';
import type { FenceRunOptions } from './fence.js';
import type { SimOptions } from './sim.js';
import type { SimulateOpts } from './simulate.js';
import type { StartOptions } from './start.js';

/** The implementation module of a command, imported when it runs. */
function lazy<M>(what: string, importer: () => Promise<M>): () => Promise<M> {
  return async () => {
    try {
      return await importer();
    } catch (e) {
      throw new Error(`cannot load the implementation of \`vigil ${what}\`: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

const agentImpl = lazy('agent', () => import('./agent.js'));
const fenceImpl = lazy('fence', () => import('./fence.js'));
const configImpl = lazy('config', () => import('./config.js'));
const clusterConfigImpl = lazy('config', () => import('./cluster-config.js'));
const importImpl = lazy('import', () => import('./import.js'));
const simImpl = lazy('sim', () => import('./sim.js'));
const simulateImpl = lazy('simulate', () => import('./simulate.js'));
const explainImpl = lazy('explain', () => import('./explain.js'));
const engineImpl = lazy('engine', () => import('./engine.js'));
const initImpl = lazy('init', () => import('./init.js'));
const startImpl = lazy('start', () => import('./start.js'));
const stopImpl = lazy('stop', () => import('./stop.js'));
const statusImpl = lazy('status', () => import('./status.js'));
const nodeImpl = lazy('node', () => import('./node.js'));
const resourceImpl = lazy('resource', () => import('./resource.js'));

/** `vigil sim --whole --planted-bug`: a copy of WHOLE_BUGS in sim/whole/command.ts (test/cli/commands.test.ts checks they agree). */
export const WHOLE_SIM_BUGS = ['skip-watchdog-wait'];
/** The witness's name on the wire: a copy of WITNESS_NODE in daemon/engine-config.ts (checked by the same test). */
export const WITNESS_NAME = 'witness';

function withDirs(cmd: Command): Command {
  return cmd
    .option('--ocf-root <dir>', 'OCF_ROOT (default /usr/lib/ocf)')
    .option('--lsb-dir <dir>', 'init scripts (default /etc/init.d)')
    .option('--heartbeat-dir <dir>', 'Heartbeat resource scripts (default /etc/ha.d/resource.d)')
    .option('--state-dir <dir>', 'state of built-in agents (default /run/vigil/agents)')
    .option('--netns <name>', 'run the agent inside this network namespace (ip netns exec)');
}

function agentCommands(program: Command): void {
  const agent = program.command('agent').description('list, describe and run resource agents on this machine');

  withDirs(agent.command('list')
    .description('list the resource agents installed here')
    .argument('[class]', 'only this class: ocf, lsb, systemd, heartbeat or builtin'))
    .action(async (cls: string | undefined, o: DirOptions) => (await agentImpl()).list(cls, o));

  withDirs(agent.command('info')
    .description("print an agent's parameters and actions (from its meta-data)")
    .argument('<agent>', 'e.g. ocf:heartbeat:IPaddr2, lsb:apache2, builtin:vip')
    .option('--json', 'print JSON'))
    .action(async (name: string, o: DirOptions & { json?: boolean }) => (await agentImpl()).info(name, o));

  withDirs(agent.command('run')
    .description("run one action of an agent now, as the executor would; exits with the agent's OCF exit code")
    .argument('<agent>', 'e.g. ocf:heartbeat:Dummy, builtin:vip')
    .argument('<action>', 'start, stop, monitor, validate-all, ...')
    .option('-r, --resource <id>', 'resource id (OCF_RESOURCE_INSTANCE)', 'manual')
    .option('-p, --param <name=value>', 'instance parameter (repeatable)', collectPairs, {})
    .option('-m, --meta <name=value>', 'meta attribute (repeatable)', collectPairs, {})
    .option('-t, --timeout <duration>', 'operation timeout', '20s')
    .option('-i, --interval <duration>', 'interval given to the agent (a recurring monitor)', '0')
    .option('--json', 'print the result as JSON'))
    .action(async (name: string, action: string, o: RunOptions) => (await agentImpl()).run(name, action, o));
}

function fenceCommands(program: Command): void {
  const fence = program.command('fence').description('run fence agents by hand; confirm a node is down (manual fencing)');
  fence.command('run')
    .description('run a fence agent action (fence-agent protocol on stdin); off is confirmed with status')
    .argument('<agent>', 'fence_xxx, or an absolute path')
    .argument('<action>', 'off, on, reboot, status, monitor, list, metadata')
    .option('-n, --target <node>', 'node (or outlet) to act on')
    .option('-p, --param <name=value>', 'device parameter (repeatable)', collectPairs, {})
    .option('--host-argument <name>', 'parameter that carries the target: port, plug, another name, or none', 'port')
    .option('-t, --timeout <duration>', 'timeout', '60s')
    .action(async (name: string, action: string, o: FenceRunOptions) => (await fenceImpl()).run(name, action, o));
  fence.command('confirm')
    .description('manual fencing: tell the DC that NODE is powered off (you checked), so it counts as fenced and its resources are recovered; refused for a member that is up')
    .argument('<node>', 'node name')
    .option('--runtime-dir <dir>', 'runtime directory of the local daemon')
    .option('-c, --config <file>', 'find the daemon through this configuration')
    .option('--timeout <seconds>', 'how long to wait for the DC', '60')
    .action(async (node: string, o: { runtimeDir?: string; config?: string; timeout: string }) => (await fenceImpl()).confirm(node, o));
}

function configCommands(program: Command): Command {
  const config = program.command('config').description('check and describe cluster configuration files');

  config.command('validate')
    .description('check a vigil.yaml (or a CIB XML file, or a Heartbeat v1 directory); print every error with file:line:column')
    .argument('<file>', 'vigil.yaml, CIB XML or a directory with ha.cf/authkeys/haresources')
    .option('--allow-crc', 'Heartbeat: accept a crc authkeys entry')
    .action(async (file: string, o: { allowCrc?: boolean }) => (await configImpl()).validate(file, o));

  config.command('schema')
    .description('print the JSON Schema of vigil.yaml (schema/vigil.schema.json)')
    .option('-o, --output <file>', 'write it to this file')
    .action(async (o: { output?: string }) => (await configImpl()).schema(o));
  return config;
}

/** `config show` and `config apply` talk to the daemon; they come last in `vigil config --help`. */
function clusterConfigCommands(config: Command): void {
  config.command('show')
    .description('print the configuration the cluster runs now (as vigil.yaml)')
    .option('--runtime-dir <dir>', 'runtime directory of the local daemon')
    .option('-c, --config <file>', 'find the daemon through this configuration')
    .option('--json', 'print the typed model as JSON instead')
    .action(async (o: { runtimeDir?: string; config?: string; json?: boolean }) => (await clusterConfigImpl()).show(o));

  config.command('apply')
    .description('validate FILE, print what would change, and apply it through the DC')
    .argument('<file>', 'vigil.yaml (or CIB XML, or Heartbeat directory)')
    .option('--dry-run', 'only print the plan')
    .option('--runtime-dir <dir>', 'runtime directory of the local daemon')
    .option('-c, --config <file>', 'find the daemon through this configuration (FILE is what gets applied)')
    .action(async (file: string, o: { dryRun?: boolean; runtimeDir?: string; config?: string }) => (await clusterConfigImpl()).apply(file, o));
}

function importCommands(program: Command): void {
  const imp = program.command('import').description('translate another cluster configuration into vigil.yaml');

  imp.command('heartbeat')
    .description('read a Heartbeat v1 directory (ha.cf, authkeys, haresources) and print the equivalent vigil.yaml')
    .argument('<dir>', 'directory holding ha.cf, authkeys and haresources (e.g. /etc/ha.d)')
    .option('--ocf', 'translate Heartbeat resource scripts to their OCF/LSB equivalents where one exists')
    .option('--allow-crc', 'accept an authkeys file whose active key uses crc (no authentication)')
    .option('-o, --output <file>', 'write the YAML to this file instead of stdout')
    .action(async (dir: string, o: { ocf?: boolean; allowCrc?: boolean; output?: string }) => (await importImpl()).fromHeartbeat(dir, o));

  imp.command('cib')
    .description('read a Pacemaker CIB XML file and print the equivalent vigil.yaml')
    .argument('<file>', 'CIB XML (e.g. the output of `cibadmin --query`)')
    .option('-o, --output <file>', 'write the YAML to this file instead of stdout')
    .option('--node-address <name=address[,address...]>', 'addresses of a node, one per link (repeat for each node)', collectList, [] as string[])
    .action(async (file: string, o: { output?: string; nodeAddress: string[] }) => (await importImpl()).fromCib(file, o));
}

function simCommand(program: Command): void {
  program
    .command('sim')
    .description('run the deterministic cluster simulator for seeds S..S+N-1 and check the safety invariants')
    .option('--seed <S>', 'first seed', int('--seed', 0, 2 ** 31 - 1), 1)
    .option('--count <N>', 'number of seeds', int('--count', 1, 100_000_000), 100)
    .option('--nodes <K>', 'voting nodes (2 = two_node mode with wait_for_all and fencing)', int('--nodes', 1, 9), 3)
    .option('--witness', 'add a witness node (votes, never DC)')
    .option('--no-membership', 'leave out the membership layer (failure detection over two rings)')
    .option('--planted-bug <name>', `plant a bug to show the simulator catches it (${SIM_BUGS.join(', ')}; with --whole: ${WHOLE_SIM_BUGS.join(', ')})`)
    .option('--whole', 'simulate whole nodes: engine, controllers, scheduler, executor, fencing (docs/simulation.md)')
    .option('--shape <name>', 'with --whole: one cluster shape (default: chosen per seed)')
    .option('--scenario <name>', 'with --whole: one fault scenario (default: chosen per seed)')
    .option('--jobs <n>', 'with --whole: worker threads', int('--jobs', 1, 64), 1)
    .option('--keep-going', 'with --whole: run every seed and count the failures')
    .option('--call-ids-continue', 'with --whole: executor call ids keep increasing across node restarts (vigild today counts from 1 again)')
    .option('--timeline-lines <n>', 'lines of the failing timeline to print', int('--timeline-lines', 1, 10_000_000), 400)
    .option('--full-timeline', 'print the whole timeline of a failing seed')
    .option('--json', 'print the summary as JSON')
    .action(async (o: SimOptions) => (await simImpl()).sim(o));
}

/** What simulate and explain read and the events they can inject: the same "what if" for both. */
function scenarioOptions(cmd: Command): Command {
  return cmd
    .option('--cib <file>', 'Pacemaker CIB XML (configuration and status)')
    .option('--config <file>', 'vigil.yaml (alone: all nodes online, nothing running; with --cib: the CIB supplies the status)')
    .option('--now <time>', "evaluation time: epoch seconds or ISO 8601 (default: the CIB's execution-date, else now)")
    .option('--node-down <node>', 'inject: node left cleanly', collectList, [])
    .option('--node-up <node>', 'inject: node joined', collectList, [])
    .option('--node-fail <node>', 'inject: node lost unexpectedly (needs fencing)', collectList, [])
    .option('--op-fail <spec>', 'inject an operation result: RSC_OP_INTERVALMS@NODE=RC (e.g. web_monitor_10000@n1=7)', collectList, []);
}

function simulateCommand(program: Command): void {
  scenarioOptions(program
    .command('simulate')
    .description('show where every resource would run and which actions the cluster would take'))
    .option('--json', 'print the canonical pcmk-sched-result/1 JSON object')
    .option('-q, --quiet', 'do not print loader warnings')
    .action(async (o: SimulateOpts) => (await simulateImpl()).simulate(o));
}

function explainCommand(program: Command): void {
  scenarioOptions(program
    .command('explain')
    .description('explain in plain words why a resource runs (or does not run) where it does')
    .argument('<resource>', 'resource id (primitive, group, clone, or a clone instance such as web:1)'))
    .action(async (resource: string, o: ExplainOpts) => (await explainImpl()).explain(resource, o));
}

function engineOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--config <file>', 'vigil.yaml, a Heartbeat directory or a CIB XML file')
    .option('--state-dir <dir>', 'coordination state directory (default: <paths.state_dir>/engine)')
    .option('--control', 'read JSON-line commands on stdin (propose, status, fenced, link, stop); end of input stops')
    .option('--no-events', 'do not print events on stdout')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--log-file <file>', 'write the log there instead of stderr');
}

function engineCommands(program: Command): void {
  engineOptions(program
    .command('engine')
    .description('run one node\'s cluster engine (heartbeats, quorum, DC, CIB log) and print its events as JSON lines')
    .requiredOption('--node <name>', 'this node\'s name in the configuration'))
    .action(async (o: EngineCliOptions) => (await engineImpl()).engine(o));

  engineOptions(program
    .command('witness')
    .description('run the cluster\'s witness: votes for the DC election, never DC, no resources')
    .option('--node <name>', `the witness's name on the wire (always "${WITNESS_NAME}")`, WITNESS_NAME))
    .action(async (o: EngineCliOptions) => (await engineImpl()).witness(o));
}

function initCommand(program: Command): void {
  program.command('init')
    .description('write a vigil.yaml skeleton and a new authkey (mode 0600) for a new cluster')
    .option('-n, --name <name>', 'cluster name', 'cluster')
    .option('--node <name=address...>', 'a node and its address (repeat); default node1=192.0.2.1')
    .option('-d, --dir <dir>', 'where to write vigil.yaml and authkey', '/etc/vigil')
    .action(async (o: { name: string; node?: string[]; dir: string }) => (await initImpl()).init(o));
}

function startCommand(program: Command): void {
  program.command('start')
    .description('run vigild, the node daemon (in the background unless --foreground)')
    .option('-c, --config <file>', `vigil.yaml (or CIB XML) (default ${DEFAULTS.configFile})`)
    .option('--ha-dir <dir>', 'run from a Heartbeat v1 directory (ha.cf, authkeys, haresources) instead')
    .option('-n, --node <name>', 'this node\'s name in the configuration (default: the host name)')
    .option('-f, --foreground', 'stay in the foreground (for systemd, tests and labs)')
    .option('--state-dir <dir>', 'replicated log and snapshots (default: paths.state_dir)')
    .option('--runtime-dir <dir>', 'local API socket and agent state (default: paths.runtime_dir)')
    .option('--log-file <file>', 'write the JSON log here instead of stderr')
    .option('--log-level <level>', LOG_LEVELS.join(', '), 'info')
    .option('--watchdog-device <dev>', 'self-fence with this hardware watchdog (e.g. /dev/watchdog) instead of the supervisor process')
    .action(async (o: StartOptions) => (await startImpl()).start(o));
}

function stopCommand(program: Command): void {
  program.command('stop')
    .description('stop the local vigild: its resources move to other nodes (or stop), then it leaves the cluster')
    .option('--runtime-dir <dir>', 'runtime directory of the daemon')
    .option('-c, --config <file>', 'find the daemon through this configuration')
    .option('--timeout <seconds>', 'how long to wait', '120')
    .action(async (o: { runtimeDir?: string; config?: string; timeout: string }) => (await stopImpl()).stop(o));
}

function statusCommand(program: Command): void {
  program.command('status')
    .description('show the cluster as this node\'s vigild sees it: nodes, links, quorum, DC, resources, failures')
    .option('--json', 'print the status as JSON')
    .option('-w, --watch [interval]', 'refresh every interval seconds (default 1) until interrupted')
    .option('--runtime-dir <dir>', 'runtime directory of the daemon (its socket is vigild.sock there)')
    .option('-c, --config <file>', 'find the daemon through this configuration\'s paths.runtime_dir')
    .action(async (o: { json?: boolean; watch?: boolean | string; runtimeDir?: string; config?: string }) => (await statusImpl()).status(o));
}

const NODE_ACTIONS: Record<NodeAdminAction, string> = {
  standby: 'move every resource off the node and keep it empty (it stays a voting member)',
  online: 'let the node run resources again (clears standby and maintenance)',
  maintenance: 'leave the node\'s resources alone: no monitors acted on, nothing started or stopped there',
  ready: 'end maintenance on the node',
};

function nodeCommands(program: Command): void {
  const node = program.command('node').description('change a node\'s state (through the DC)');
  for (const action of Object.keys(NODE_ACTIONS) as NodeAdminAction[]) {
    node.command(action)
      .description(NODE_ACTIONS[action])
      .argument('<name>', 'node name')
      .option('--runtime-dir <dir>', 'runtime directory of the local daemon')
      .option('-c, --config <file>', 'find the daemon through this configuration')
      .action(async (name: string, o: { runtimeDir?: string; config?: string }) => (await nodeImpl()).node(action, name, o));
  }
}

const RESOURCE_ACTIONS: Array<[ResourceAdminAction, string, boolean]> = [
  ['move', 'move a resource to NODE (or away from where it runs, without NODE); refused, changing nothing, when it cannot go there', false],
  ['ban', 'keep a resource off NODE', true],
  ['clear', 'remove the constraints move and ban added', false],
  ['cleanup', 'forget failures and history of a resource (on NODE, or everywhere) so it is probed again', false],
  ['restart', 'stop the resource, then start it again (where the scores place it)', false],
  ['start', 'let the resource run (target-role Started)', false],
  ['stop', 'stop the resource and keep it stopped (target-role Stopped)', false],
];

function resourceCommands(program: Command): void {
  const rsc = program.command('resource').description('act on a resource (through the DC)');
  for (const [action, help, needsNode] of RESOURCE_ACTIONS) {
    const c = rsc.command(action).description(help).argument('<rsc>', 'resource id');
    if (needsNode) c.argument('<node>', 'node name');
    else if (action === 'move' || action === 'cleanup') c.argument('[node]', 'node name');
    c.option('--runtime-dir <dir>', 'runtime directory of the local daemon')
      .option('-c, --config <file>', 'find the daemon through this configuration')
      .option('--timeout <seconds>', 'how long to wait for the DC', '60')
      .action(async (id: string, ...rest: unknown[]) => {
        const node = typeof rest[0] === 'string' ? rest[0] : undefined;
        const o = rest.find((x): x is { runtimeDir?: string; config?: string; timeout: string } => typeof x === 'object' && x !== null && 'timeout' in x)!;
        await (await resourceImpl()).resource(action, id, node, o);
      });
  }
}

/** Add every command to the program, in the order `vigil --help` lists them. */
export function registerCommands(program: Command): void {
  agentCommands(program);
  fenceCommands(program);
  const config = configCommands(program);
  importCommands(program);
  simCommand(program);
  simulateCommand(program);
  explainCommand(program);
  engineCommands(program);
  initCommand(program);
  startCommand(program);
  stopCommand(program);
  statusCommand(program);
  nodeCommands(program);
  resourceCommands(program);
  clusterConfigCommands(config);
}
