/**
 * The self-fencing supervisor: a separate process that stops this node's resources when vigild
 * stops petting it. It exists because when only the daemon dies (kill -9, a crash in Node), the
 * resources it started keep running — and the DC, after `watchdog-timeout`, starts them
 * elsewhere. Something that is not the daemon must make sure they are gone by then.
 *
 * Protocol on its stdin (a pipe from vigild), one line each:
 *   pet                  the daemon is alive (not hung)
 *   deadline <epoch ms>  the node controller's self-fencing deadline: act then unless re-armed
 *   deadline none        no deadline (the node is in contact with a quorate DC)
 *   fence                act now (the node controller asked to self-fence)
 *   rsc <json>           the stop request for a resource now active here (replaces any earlier one for that id)
 *   gone <id>            that resource is stopped; forget it
 *   disarm               a clean shutdown: exit without touching anything
 * End of input without `disarm` (the daemon died), no `pet` within the timeout (the daemon hangs),
 * a passed deadline or `fence` trigger: SIGKILL to the daemon, then `stop` of every
 * recorded resource, in reverse order of activation, each with its own timeout, all within the
 * watchdog timeout. Where a hardware watchdog is configured, vigild uses /dev/watchdog instead.
 */
import { createInterface } from 'node:readline';
import { Executor, type OperationRequest } from '../executor/index.js';
import type { AgentSettings } from '../agents/types.js';

export interface SupervisorOptions {
  /** The daemon's pid (killed when it stops petting). */
  daemonPid: number;
  /** No pet for this long: act. */
  timeoutMs: number;
  /** Act this long before a deadline, so the stops are done by then. */
  marginMs?: number;
  agents: Partial<AgentSettings>;
  /** Where to write what it did (stderr by default). */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export async function runSupervisor(o: SupervisorOptions): Promise<'disarmed' | 'fenced'> {
  const log = o.log ?? ((msg, f) => process.stderr.write(`${JSON.stringify({ time: Date.now(), pid: process.pid, msg, ...f })}\n`));
  const active = new Map<string, OperationRequest>();
  let lastPet = Date.now();
  let deadline: number | null = null;
  let done = false;
  return new Promise((resolve) => {
    const finish = async (why: string): Promise<void> => {
      if (done) return;
      done = true;
      clearInterval(timer);
      log('self-fencing: stopping this node\'s resources', { why, resources: [...active.keys()] });
      try { process.kill(o.daemonPid, 'SIGKILL'); } catch { /* already gone */ }
      const ex = new Executor({ agents: o.agents });
      for (const req of [...active.values()].reverse()) {
        const r = await ex.execute(req);
        log('stopped', { resource: req.resource, rc: r.rc, opStatus: r.opStatus, exitReason: r.exitReason });
      }
      await ex.shutdown();
      resolve('fenced');
    };
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (done) return;
      const sp = line.indexOf(' ');
      const cmd = sp < 0 ? line : line.slice(0, sp);
      const arg = sp < 0 ? '' : line.slice(sp + 1);
      if (cmd === 'pet') lastPet = Date.now();
      else if (cmd === 'deadline') deadline = arg === 'none' ? null : Number(arg);
      else if (cmd === 'fence') void finish('the node controller asked to self-fence');
      else if (cmd === 'rsc') {
        try {
          const req = JSON.parse(arg) as OperationRequest;
          active.delete(req.resource);
          active.set(req.resource, req);
        } catch { log('malformed rsc line ignored') }
      } else if (cmd === 'gone') active.delete(arg);
      else if (cmd === 'disarm') {
        done = true;
        clearInterval(timer);
        rl.close();
        resolve('disarmed');
      }
    });
    rl.on('close', () => void finish('the daemon went away (end of input)'));
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - lastPet > o.timeoutMs) void finish(`no pet for ${o.timeoutMs} ms`);
      else if (deadline !== null && Number.isFinite(deadline) && now >= deadline - (o.marginMs ?? 0)) void finish('self-fencing deadline passed');
    }, Math.max(10, Math.min(100, o.timeoutMs / 10)));
  });
}

/** Entry: `node supervisor.js <daemonPid> <timeoutMs> <agent settings JSON> [marginMs]`. */
export async function supervisorMain(argv: string[]): Promise<void> {
  const [pid, timeout, agents, margin] = argv;
  const how = await runSupervisor({ daemonPid: Number(pid), timeoutMs: Number(timeout), agents: JSON.parse(agents ?? '{}') as Partial<AgentSettings>, marginMs: Number(margin ?? 0) });
  process.exit(how === 'fenced' ? 3 : 0);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void supervisorMain(process.argv.slice(2));
}
