/** `vigil node standby|online|maintenance|ready NAME`: node states, applied through the DC. */
import type { Command } from 'commander';
import { daemonCall, type NodeAdminAction } from '../../api/index.js';

const HELP: Record<NodeAdminAction, string> = {
  standby: 'move every resource off the node and keep it empty (it stays a voting member)',
  online: 'let the node run resources again (clears standby and maintenance)',
  maintenance: 'leave the node\'s resources alone: no monitors acted on, nothing started or stopped there',
  ready: 'end maintenance on the node',
};

export function register(program: Command): void {
  const node = program.command('node').description('change a node\'s state (through the DC)');
  for (const action of Object.keys(HELP) as NodeAdminAction[]) {
    node.command(action)
      .description(HELP[action])
      .argument('<name>', 'node name')
      .option('--runtime-dir <dir>', 'runtime directory of the local daemon')
      .option('-c, --config <file>', 'find the daemon through this configuration')
      .action(async (name: string, o: { runtimeDir?: string; config?: string }) => {
        const r = await daemonCall<{ note: string }>(o, { op: 'node', action, node: name });
        process.stdout.write(`${r.note}\n`);
      });
  }
}
