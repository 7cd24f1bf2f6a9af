/** `vigil resource move|ban|clear|cleanup|restart|start|stop RSC [NODE]`, applied through the DC. The options are declared in index.ts. */
import { daemonCall, type ResourceAdminAction } from '../../api/index.js';

export async function resource(action: ResourceAdminAction, id: string, node: string | undefined, o: { runtimeDir?: string; config?: string; timeout: string }): Promise<void> {
  const r = await daemonCall<{ note: string }>(o, { op: 'resource', action, rsc: id, ...(node ? { node } : {}) }, Number(o.timeout) * 1000);
  process.stdout.write(`${r.note}\n`);
}
