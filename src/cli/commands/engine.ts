/**
 * `vigil engine`: run one node's cluster engine alone (links, membership, quorum, DC election and
 * the replicated CIB log; no resources). For tests, benchmarks and debugging; `vigild` runs the
 * same engine with everything else on top. See docs/operations-engine.md.
 */
import type { Command } from 'commander';
import { runEngine } from '../../daemon/engine-run.js';

export interface EngineCliOptions {
  config: string;
  node?: string;
  stateDir?: string;
  control?: boolean;
  events: boolean;
  logLevel: string;
  logFile?: string;
}

export function engineOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--config <file>', 'vigil.yaml, a Heartbeat directory or a CIB XML file')
    .option('--state-dir <dir>', 'coordination state directory (default: <paths.state_dir>/engine)')
    .option('--control', 'read JSON-line commands on stdin (propose, status, fenced, link, stop); end of input stops')
    .option('--no-events', 'do not print events on stdout')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--log-file <file>', 'write the log there instead of stderr');
}

export function register(program: Command): void {
  engineOptions(program
    .command('engine')
    .description('run one node\'s cluster engine (heartbeats, quorum, DC, CIB log) and print its events as JSON lines')
    .requiredOption('--node <name>', 'this node\'s name in the configuration'))
    .action(async (o: EngineCliOptions) => {
      await runEngine({
        config: o.config, node: o.node ?? '', role: 'node', control: o.control === true, events: o.events, logLevel: o.logLevel,
        ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.logFile ? { logFile: o.logFile } : {}),
      });
    });
}
