/** `vigil stop`: shut the local daemon down cleanly (its resources are stopped or moved first). */
import type { Command } from 'commander';
import { daemonCall } from '../../api/index.js';

export function register(program: Command): void {
  program.command('stop')
    .description('stop the local vigild: its resources move to other nodes (or stop), then it leaves the cluster')
    .option('--runtime-dir <dir>', 'runtime directory of the daemon')
    .option('-c, --config <file>', 'find the daemon through this configuration')
    .option('--timeout <seconds>', 'how long to wait', '120')
    .action(async (o: { runtimeDir?: string; config?: string; timeout: string }) => {
      const r = await daemonCall<{ note: string }>(o, { op: 'shutdown' }, Number(o.timeout) * 1000);
      process.stdout.write(`${r.note}\n`);
    });
}
