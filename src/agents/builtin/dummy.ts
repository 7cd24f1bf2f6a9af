/**
 * builtin:dummy — a resource that is nothing but a state file (like ocf:pacemaker:Dummy), with
 * optional delays and injected results so tests and the lab can make operations slow or fail.
 * It also promotes and demotes, so it can stand in for a promotable resource.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OcfRc } from '../../model/index.js';
import { builtinDriver, ok, pause, rc, type BuiltinCall } from './define.js';

/**
 * Injected results: a file of `action=rc` lines (e.g. `monitor=1`). The file is read on every
 * operation, so a test or the lab can make a running resource fail by writing it.
 */
async function injected(call: BuiltinCall): Promise<number | undefined> {
  const file = call.params.fail_file;
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*([\w-]+)\s*=\s*(\d+)\s*$/.exec(line);
    if (m && m[1] === call.req.action) return Number(m[2]);
  }
  return undefined;
}

async function delay(call: BuiltinCall): Promise<void> {
  const ms = Number(call.params[`${call.req.action.replace(/-/g, '_')}_delay_ms`] ?? '0');
  if (ms > 0) await pause(ms, call.ctx.signal);
}

async function readState(file: string): Promise<'started' | 'promoted' | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim() === 'promoted' ? 'promoted' : 'started';
  } catch {
    return undefined;
  }
}

type Step = (call: BuiltinCall, file: string) => Promise<ReturnType<typeof ok>>;

function action(step: Step) {
  return async (call: BuiltinCall) => {
    await delay(call);
    const forced = await injected(call);
    if (forced !== undefined) return rc(forced, `injected result ${forced} for ${call.req.action}`);
    return step(call, call.params.state);
  };
}

const write = async (file: string, text: string): Promise<void> => {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
};

export const dummyAgent = builtinDriver({
  metadata: (settings) => ({
    name: 'dummy', version: '1.0',
    shortdesc: 'A resource that only records its own state (for tests)',
    longdesc: 'Keeps its state in a file. Delays (<action>_delay_ms) slow operations down; a fail_file with action=rc lines forces results.',
    parameters: [
      { name: 'state', required: false, unique: true, reloadable: false, type: 'string', default: join(settings.stateDir, 'dummy-$resource.state'), shortdesc: 'State file' },
      { name: 'fake', required: false, unique: false, reloadable: true, type: 'string', default: 'dummy', shortdesc: 'A parameter without effect' },
      { name: 'fail_file', required: false, unique: false, reloadable: true, type: 'string', shortdesc: 'File with action=rc lines that force results' },
      ...['start', 'stop', 'monitor', 'promote', 'demote'].map((a) => ({
        name: `${a}_delay_ms`, required: false, unique: false, reloadable: true, type: 'integer', default: '0', shortdesc: `Delay of ${a} in ms`,
      })),
    ],
    actions: [
      { name: 'start', timeoutMs: 20_000 }, { name: 'stop', timeoutMs: 20_000 },
      { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000 }, { name: 'promote', timeoutMs: 20_000 },
      { name: 'demote', timeoutMs: 20_000 }, { name: 'notify', timeoutMs: 20_000 }, { name: 'reload', timeoutMs: 20_000 },
      { name: 'validate-all', timeoutMs: 5_000 }, { name: 'meta-data', timeoutMs: 5_000 },
    ],
  }),
  actions: {
    start: action(async (_c, file) => {
      if (!(await readState(file))) await write(file, 'started\n');
      return ok();
    }),
    stop: action(async (_c, file) => {
      await rm(file, { force: true });
      return ok();
    }),
    monitor: action(async (_c, file) => {
      const s = await readState(file);
      if (s === 'promoted') return rc(OcfRc.RunningPromoted);
      return s ? ok() : rc(OcfRc.NotRunning);
    }),
    promote: action(async (_c, file) => {
      if (!(await readState(file))) return rc(OcfRc.NotRunning, 'cannot promote a stopped resource');
      await write(file, 'promoted\n');
      return ok();
    }),
    // Clone notifications and reloads change nothing for a dummy; they succeed (and can be delayed or failed).
    notify: action(async () => ok()),
    reload: action(async () => ok()),
    demote: action(async (_c, file) => {
      if (!(await readState(file))) return rc(OcfRc.NotRunning, 'cannot demote a stopped resource');
      await write(file, 'started\n');
      return ok();
    }),
  },
});
