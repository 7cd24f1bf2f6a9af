/**
 * `vigil start --config FILE --node NAME [--foreground]`: run vigild, the node daemon.
 * `vigil start --ha-dir /etc/ha.d`: run straight from Heartbeat v1 files (ha.cf, authkeys,
 * haresources; auto_failback honoured). Without --foreground the daemon is started in the
 * background and this command returns once its local socket answers. The options are declared in index.ts.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { callApi, socketPath } from '../../api/index.js';
import { formatWarning, loadClusterConfig, DEFAULTS } from '../../config/index.js';
import { InputError } from '../../model/errors.js';
import { runVigild } from '../../daemon/vigild.js';
import { LOG_LEVELS as LEVELS } from './args.js';

export interface StartOptions {
  config?: string;
  haDir?: string;
  node?: string;
  foreground?: boolean;
  stateDir?: string;
  runtimeDir?: string;
  logFile?: string;
  logLevel: string;
  watchdogDevice?: string;
}

export async function start(o: StartOptions): Promise<void> {
  if (o.config && o.haDir) throw new InputError('give --config or --ha-dir, not both', { file: '<command line>' }, { field: '--ha-dir', expected: 'one configuration' });
  if (!LEVELS.includes(o.logLevel)) throw new InputError(`unknown log level '${o.logLevel}'`, { file: '<command line>' }, { field: '--log-level', expected: LEVELS.join(', ') });
  const source = o.haDir ?? o.config ?? DEFAULTS.configFile;
  const loaded = await loadClusterConfig(source);
  const node = o.node ?? hostname();
  if (!loaded.settings.nodes.some((n) => n.name === node)) {
    throw new InputError(`node '${node}' is not in the configuration`, { file: source }, { field: '--node', expected: loaded.settings.nodes.map((n) => n.name).join(', ') });
  }
  for (const w of loaded.warnings) process.stderr.write(`vigil: ${formatWarning(w)}\n`);
  const runtimeDir = o.runtimeDir ?? loaded.settings.paths.runtimeDir;
  if (o.foreground) {
    await runVigild({
      loaded, node, runtimeDir,
      ...(o.stateDir ? { stateDir: o.stateDir } : {}),
      ...(o.logFile ? { logFile: o.logFile } : {}),
      logLevel: o.logLevel,
      ...(o.watchdogDevice ? { watchdogDevice: o.watchdogDevice } : {}),
    });
    return;
  }
  const args = [process.argv[1], 'start', '--foreground', ...(o.haDir ? ['--ha-dir', o.haDir] : ['--config', source]), '--node', node,
    '--runtime-dir', runtimeDir, '--log-file', o.logFile ?? join(o.stateDir ?? loaded.settings.paths.stateDir, 'vigild.log'), '--log-level', o.logLevel,
    ...(o.stateDir ? ['--state-dir', o.stateDir] : []), ...(o.watchdogDevice ? ['--watchdog-device', o.watchdogDevice] : [])];
  const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore' });
  child.unref();
  const sock = socketPath(runtimeDir);
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      await callApi(sock, { op: 'status' }, 2000);
      break;
    } catch (e) {
      if (child.exitCode !== null) throw new Error(`vigild exited at once (code ${child.exitCode}); run with --foreground to see why`);
      if (Date.now() > until) throw new Error(`vigild (pid ${child.pid}) did not answer on ${sock}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  process.stdout.write(`vigild started on ${node} (pid ${child.pid}); \`vigil status --runtime-dir ${runtimeDir}\`\n`);
}
