/**
 * One entry point for "load whatever the operator pointed at": a vigil.yaml, a Pacemaker CIB
 * XML file, or a Heartbeat v1 directory. Used by `vigil config validate`, and meant for the
 * daemon and `vigil simulate --config`.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Cib, ClusterConfig } from '../model/cluster.js';
import { InputError, type Warning } from '../model/errors.js';
import { loadCibXmlWithWarnings } from './cib/index.js';
import { settingsForCib } from './defaults.js';
import { loadHeartbeatDir } from './heartbeat/load-dir.js';
import type { EngineSettings } from './settings.js';
import { loadVigilYaml } from './vigil/load.js';

export type ConfigKind = 'vigil.yaml' | 'heartbeat' | 'cib';

export interface LoadedClusterConfig {
  kind: ConfigKind;
  config: ClusterConfig;
  /** For a CIB, its recorded status; otherwise an empty status. */
  cib: Cib;
  settings: EngineSettings;
  warnings: Warning[];
}

export interface LoadClusterConfigOptions {
  /** Heartbeat authkeys: accept a crc key. */
  allowCrc?: boolean;
  /** CIB: tolerate what Pacemaker tolerates (see CibLoadOptions.lenient). */
  lenientCib?: boolean;
}

export async function loadClusterConfig(path: string, options: LoadClusterConfigOptions = {}): Promise<LoadedClusterConfig> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path }, { expected: 'a vigil.yaml, a CIB XML file or a Heartbeat directory' });
  }
  if (isDir) {
    const hb = await loadHeartbeatDir(path, { allowCrc: options.allowCrc });
    return { kind: 'heartbeat', config: hb.config, cib: hb.cib, settings: hb.settings, warnings: hb.warnings };
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path }, { expected: 'a readable file' });
  }
  if (/\.xml$/i.test(path) || text.trimStart().startsWith('<')) {
    const r = loadCibXmlWithWarnings(text, path, { lenient: options.lenientCib === true });
    return { kind: 'cib', config: r.cib.config, cib: r.cib, settings: settingsForCib(r.cib.config, path), warnings: r.warnings };
  }
  const y = loadVigilYaml(text, path);
  return { kind: 'vigil.yaml', config: y.config, cib: y.cib, settings: y.settings, warnings: y.warnings };
}
