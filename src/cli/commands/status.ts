/** `vigil status [--json] [--watch]`: nodes, links, quorum, DC, resources with roles and failures. */
import type { Command } from 'commander';
import { callApi, formatStatus, locateSocket, type DaemonStatus } from '../../api/index.js';

export function register(program: Command): void {
  program.command('status')
    .description('show the cluster as this node\'s vigild sees it: nodes, links, quorum, DC, resources, failures')
    .option('--json', 'print the status as JSON')
    .option('-w, --watch [interval]', 'refresh every interval seconds (default 1) until interrupted')
    .option('--runtime-dir <dir>', 'runtime directory of the daemon (its socket is vigild.sock there)')
    .option('-c, --config <file>', 'find the daemon through this configuration\'s paths.runtime_dir')
    .action(async (o: { json?: boolean; watch?: boolean | string; runtimeDir?: string; config?: string }) => {
      const sock = await locateSocket(o);
      const once = async (): Promise<void> => {
        const s = await callApi<DaemonStatus>(sock, { op: 'status' }, 10_000);
        process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
      };
      if (o.watch === undefined || o.watch === false) { await once(); return; }
      const every = typeof o.watch === 'string' ? Number(o.watch) * 1000 : 1000;
      for (;;) {
        let text: string;
        try {
          const s = await callApi<DaemonStatus>(sock, { op: 'status' }, 10_000);
          text = o.json ? `${JSON.stringify(s)}\n` : formatStatus(s);
        } catch (e) {
          text = `vigil: ${(e as Error).message}\n`;
        }
        process.stdout.write(`${o.json ? '' : '\x1b[2J\x1b[H'}${new Date().toISOString()}\n${text}`);
        await new Promise((r) => setTimeout(r, every > 0 ? every : 1000));
      }
    });
}
