/** `vigil node standby|online|maintenance|ready NAME`: node states, applied through the DC. The options are declared in index.ts. */
import { daemonCall, type NodeAdminAction } from '../../api/index.js';

export async function node(action: NodeAdminAction, name: string, o: { runtimeDir?: string; config?: string }): Promise<void> {
  const r = await daemonCall<{ note: string }>(o, { op: 'node', action, node: name });
  process.stdout.write(`${r.note}\n`);
}
