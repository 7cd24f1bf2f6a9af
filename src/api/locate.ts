/**
 * Where the CLI finds the daemon's socket: `--runtime-dir DIR`, else the runtime directory of
 * `--config FILE` (paths.runtime_dir), else $VIGIL_RUNTIME_DIR, else /run/vigil.
 */
import { loadClusterConfig } from '../config/load-any.js';
import { DEFAULTS } from '../config/settings.js';
import { socketPath } from './socket.js';

export interface TargetOptions { runtimeDir?: string; config?: string }

export async function locateSocket(o: TargetOptions): Promise<string> {
  if (o.runtimeDir) return socketPath(o.runtimeDir);
  if (o.config) return socketPath((await loadClusterConfig(o.config)).settings.paths.runtimeDir);
  return socketPath(process.env.VIGIL_RUNTIME_DIR ?? DEFAULTS.runtimeDir);
}
