/** `vigil resource move|ban|clear|cleanup|restart|start|stop RSC [NODE]`, applied through the DC. */
import type { Command } from 'commander';
import { daemonCall, type ResourceAdminAction } from '../../api/index.js';

const ACTIONS: Array<[ResourceAdminAction, string, boolean]> = [
  ['move', 'move a resource to NODE (or away from where it runs, without NODE); refused, changing nothing, when it cannot go there', false],
  ['ban', 'keep a resource off NODE', true],
  ['clear', 'remove the constraints move and ban added', false],
  ['cleanup', 'forget failures and history of a resource (on NODE, or everywhere) so it is probed again', false],
  ['restart', 'stop the resource, then start it again (where the scores place it)', false],
  ['start', 'let the resource run (target-role Started)', false],
  ['stop', 'stop the resource and keep it stopped (target-role Stopped)', false],
];

export function register(program: Command): void {
  const rsc = program.command('resource').description('act on a resource (through the DC)');
  for (const [action, help, needsNode] of ACTIONS) {
    const c = rsc.command(action).description(help).argument('<rsc>', 'resource id');
    if (needsNode) c.argument('<node>', 'node name');
    else if (action === 'move' || action === 'cleanup') c.argument('[node]', 'node name');
    c.option('--runtime-dir <dir>', 'runtime directory of the local daemon')
      .option('-c, --config <file>', 'find the daemon through this configuration')
      .option('--timeout <seconds>', 'how long to wait for the DC', '60')
      .action(async (id: string, ...rest: unknown[]) => {
        const node = typeof rest[0] === 'string' ? rest[0] : undefined;
        const o = rest.find((x): x is { runtimeDir?: string; config?: string; timeout: string } => typeof x === 'object' && x !== null && 'timeout' in x)!;
        const r = await daemonCall<{ note: string }>(o, { op: 'resource', action, rsc: id, ...(node ? { node } : {}) }, Number(o.timeout) * 1000);
        process.stdout.write(`${r.note}\n`);
      });
  }
}
