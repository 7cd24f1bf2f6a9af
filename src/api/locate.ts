/**
 * Where the CLI finds the daemon's socket: `--runtime-dir DIR`, else the runtime directory of
 * `--config FILE` (paths.runtime_dir), else $VIGIL_RUNTIME_DIR, else /run/vigil.
 */
import { DEFAULTS } from '../config/settings.js';
import { InputError } from '../model/errors.js';
import type { ApiRequest } from './protocol.js';
import { ApiCallError, callApi, socketPath } from './socket.js';

export interface TargetOptions { runtimeDir?: string; config?: string }

export async function locateSocket(o: TargetOptions): Promise<string> {
  if (o.runtimeDir) return socketPath(o.runtimeDir);
  if (o.config) {
    // Imported here: the config loader is most of a CLI command's start-up time, and only --config needs it.
    const { loadClusterConfig } = await import('../config/load-any.js');
    return socketPath((await loadClusterConfig(o.config)).settings.paths.runtimeDir);
  }
  return socketPath(process.env.VIGIL_RUNTIME_DIR ?? DEFAULTS.runtimeDir);
}

/**
 * One request to the local daemon for a CLI command: a request the daemon refused as wrong input
 * (an unknown node, a move that cannot be done) becomes an InputError, so the CLI exits with 2.
 */
export async function daemonCall<T = unknown>(o: TargetOptions, req: ApiRequest, timeoutMs?: number): Promise<T> {
  try {
    return await callApi<T>(await locateSocket(o), req, timeoutMs);
  } catch (e) {
    if (e instanceof ApiCallError && e.code === 'input') throw new InputError(e.message, { file: '<command line>' });
    throw e;
  }
}
