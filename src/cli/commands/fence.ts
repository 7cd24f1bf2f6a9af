/**
 * `vigil fence run`: run a fence agent by hand, the way the fencing layer runs it (fence-agent
 * protocol on stdin, off confirmed with status).
 * `vigil fence confirm NODE`: manual fencing — tell the DC that NODE is powered off.
 * The options are declared in index.ts.
 */
import { daemonCall } from '../../api/index.js';
import { FenceRunner, type FenceAction } from '../../fencing/index.js';
import { InputError } from '../../model/errors.js';
import { duration, WHERE } from './args.js';

export interface FenceRunOptions { target?: string; param: Record<string, string>; hostArgument: string; timeout: string }

/** `vigil fence run AGENT ACTION`: exit 0 ok, 1 failed; `status` of a node that is off exits 2. */
export async function run(name: string, action: string, o: FenceRunOptions): Promise<void> {
  const actions = ['off', 'on', 'reboot', 'status', 'monitor', 'list', 'list-status', 'metadata', 'validate-all'];
  if (!actions.includes(action)) throw new InputError(`unknown fence action "${action}"`, WHERE, { field: 'action', expected: actions.join(', ') });
  const runner = new FenceRunner();
  const req = { agent: name, target: o.target, params: o.param, hostArgument: o.hostArgument, timeoutMs: duration(o.timeout, '--timeout') };
  const r = action === 'off' ? await runner.fenceOff(req) : await runner.run({ ...req, action: action as FenceAction });
  if (r.outlets) for (const x of r.outlets) process.stdout.write(`${x.plug}${x.alias ? ` (${x.alias})` : ''}${x.status ? ` ${x.status}` : ''}\n`);
  else if (action === 'metadata') process.stdout.write(r.stdout);
  const power = r.power ? `, power ${r.power}` : '';
  process.stderr.write(`${name} ${action}${o.target ? ` ${o.target}` : ''}: ${r.ok ? 'ok' : `failed: ${r.error}`}${power}, ${r.durationMs} ms\n`);
  process.exitCode = r.ok ? (action === 'status' && r.power === 'off' ? 2 : 0) : 1;
}

/**
 * `vigil fence confirm NODE`: the operator asserts NODE is powered off; the DC records it fenced and
 * recovers its resources. Refused (exit 2) for an unknown node or a member that is up.
 */
export async function confirm(node: string, o: { runtimeDir?: string; config?: string; timeout: string }): Promise<void> {
  const r = await daemonCall<{ note: string }>(o, { op: 'fence-confirm', node }, Number(o.timeout) * 1000);
  process.stdout.write(`${r.note}\n`);
}
