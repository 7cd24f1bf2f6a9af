/** `vigil stop`: shut the local daemon down cleanly (its resources are stopped or moved first). The options are declared in index.ts. */
import { daemonCall } from '../../api/index.js';

export async function stop(o: { runtimeDir?: string; config?: string; timeout: string }): Promise<void> {
  const r = await daemonCall<{ note: string }>(o, { op: 'shutdown' }, Number(o.timeout) * 1000);
  process.stdout.write(`${r.note}\n`);
}
