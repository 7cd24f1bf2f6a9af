/**
 * Running one engine as a process (`vigil engine`, `vigil witness`): load the configuration, start
 * the Engine, print its events as JSON lines on stdout, and optionally take commands as JSON lines
 * on stdin (a small control channel for tests, benchmarks and debugging).
 *
 * Event lines: {"t": <CLOCK_MONOTONIC ms>, "node": "n1", "ev": "lease", ...}. `t` comes from one
 * clock shared by every process on the machine, so lines of different engines can be compared.
 *
 * Commands (one JSON object per line; every command with an `id` gets a {"ev":"reply","id":...}):
 *   {"cmd":"propose","id":"p1","update":{"kind":"node-attribute","node":"n1","name":"x","value":"1"}}
 *   {"cmd":"status","id":"s1"}
 *   {"cmd":"fenced","node":"n2"}
 *   {"cmd":"link","link":"link0","enabled":false}
 *   {"cmd":"stop"}
 * With the control channel on, end of input stops the engine (its parent went away).
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import type { Logger } from 'pino';
import { loadClusterConfig } from '../config/load-any.js';
import type { CibUpdate } from '../coordination/index.js';
import { InputError } from '../model/index.js';
import { monotonicMs } from './clock.js';
import { Engine, WITNESS_NODE } from './engine.js';
import type { EngineRole } from './engine.js';

export interface RunEngineOptions {
  config: string;
  node: string;
  role: EngineRole;
  stateDir?: string;
  /** Read commands from stdin. */
  control?: boolean;
  /** Print events on stdout (default true). */
  events?: boolean;
  logLevel?: string;
  /** Log to this file instead of stderr. */
  logFile?: string;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function makeLogger(o: RunEngineOptions): Logger {
  const level = o.logLevel ?? 'info';
  if (!LEVELS.includes(level)) throw new InputError(`unknown log level '${level}'`, { file: '<command line>' }, { field: '--log-level', expected: LEVELS.join(', ') });
  const dest = o.logFile ? pino.destination({ dest: o.logFile, mkdir: true, sync: false }) : pino.destination(2);
  return pino({ level, base: { pid: process.pid } }, dest);
}

/** Start an engine for this process; resolves when it has stopped (signal, `stop`, or end of input). */
export async function runEngine(o: RunEngineOptions): Promise<void> {
  const loaded = await loadClusterConfig(o.config);
  const logger = makeLogger(o);
  for (const w of loaded.warnings) logger.warn({ where: w.where }, w.message);
  const node = o.role === 'witness' ? (o.node || WITNESS_NODE) : o.node;
  if (o.role === 'node' && !loaded.settings.nodes.some((n) => n.name === node)) {
    throw new InputError(`node '${node}' is not in the configuration`, { file: o.config }, { field: '--node', expected: loaded.settings.nodes.map((n) => n.name).join(', ') });
  }
  const engine = new Engine({ settings: loaded.settings, node, role: o.role, logger, ...(o.stateDir ? { stateDir: o.stateDir } : {}) });

  const print = o.events !== false;
  const out = (ev: string, fields: Record<string, unknown>): void => {
    if (print) process.stdout.write(`${JSON.stringify({ t: monotonicMs(), node, ev, ...fields })}\n`);
  };
  engine.on('role', (e) => out('role', e));
  engine.on('dc', (e) => out('dc', e));
  engine.on('lease', (e) => out('lease', e));
  engine.on('quorum', (e) => out('quorum', e));
  engine.on('peer', (e) => out('peer', { ...e }));
  engine.on('link', (e) => out('link', e));
  engine.on('vote', (e) => out('vote', e));
  engine.on('restore', (s) => out('restore', { index: s.index, term: s.term, bytes: s.data.length }));
  engine.on('committed', (e) => out('committed', { index: e.index, term: e.term, type: e.data.type, ...(e.data.type === 'cib' ? { update: e.data.update } : {}) }));
  engine.on('warning', (w) => out('warning', { message: w }));

  let finish: () => void = () => undefined;
  const done = new Promise<void>((res) => { finish = res; });
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'stopping');
    await engine.stop();
    out('stopped', { why });
    logger.flush();
    finish();
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  await engine.start();
  out('started', { incarnation: engine.status().incarnation, pid: process.pid, stateDir: engine.stateDir });

  if (o.control) {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => void command(engine, line, out, stop));
    rl.on('close', () => void stop('end of input'));
  }
  await done;
}

async function command(engine: Engine, line: string, out: (ev: string, f: Record<string, unknown>) => void, stop: (why: string) => Promise<void>): Promise<void> {
  if (line.trim() === '') return;
  let c: { cmd?: unknown; id?: unknown; [k: string]: unknown };
  try {
    c = JSON.parse(line) as typeof c;
  } catch {
    out('reply', { ok: false, error: 'not JSON' });
    return;
  }
  const id = c.id;
  const reply = (f: Record<string, unknown>): void => { if (id !== undefined) out('reply', { id, ...f }); };
  try {
    switch (c.cmd) {
      case 'propose': {
        const u = c.update as CibUpdate | undefined;
        if (!u || typeof u !== 'object' || typeof (u as { kind?: unknown }).kind !== 'string') throw new Error('propose needs an update object with a kind');
        const r = await engine.propose(u);
        reply({ ok: true, ...r });
        break;
      }
      case 'status':
        reply({ ok: true, status: engine.status() });
        break;
      case 'fenced':
        if (typeof c.node !== 'string') throw new Error('fenced needs a node');
        engine.fenced(c.node);
        reply({ ok: true });
        break;
      case 'link':
        if (typeof c.link !== 'string' || typeof c.enabled !== 'boolean') throw new Error('link needs link and enabled');
        engine.setLinkEnabled(c.link, c.enabled);
        reply({ ok: true });
        break;
      case 'stop':
        reply({ ok: true });
        await stop('stop command');
        break;
      default:
        throw new Error(`unknown command ${JSON.stringify(c.cmd)}`);
    }
  } catch (e) {
    reply({ ok: false, error: (e as Error).message });
  }
}
