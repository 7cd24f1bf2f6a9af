/** `vigil status [--json] [--watch]`: nodes, links, quorum, DC, resources with roles and failures. The options are declared in index.ts. */
import { callApi, formatStatus, locateSocket, type DaemonStatus } from '../../api/index.js';

export async function status(o: { json?: boolean; watch?: boolean | string; runtimeDir?: string; config?: string }): Promise<void> {
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
}
