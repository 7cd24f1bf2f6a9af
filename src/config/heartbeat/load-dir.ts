/**
 * Read an /etc/ha.d-style directory: ha.cf, authkeys (which must not be readable by group or
 * others, as Heartbeat required) and haresources.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, InputErrors } from '../../model/errors.js';
import { parseAuthkeys, type Authkeys } from './authkeys.js';
import { parseHaCf, type HaCf } from './ha-cf.js';
import { parseHaresources, type HaResourceGroup } from './haresources.js';
import { heartbeatToModel, type HeartbeatModel } from './to-model.js';

export interface HeartbeatDirOptions {
  allowCrc?: boolean;
  useOcf?: boolean;
  /** Without authkeys the result has no key (e.g. `vigil import` on a copy without secrets). Default: required. */
  requireAuthkeys?: boolean;
}

export interface HeartbeatDir extends HeartbeatModel {
  haCf: HaCf;
  authkeys?: Authkeys;
  haresources: HaResourceGroup[];
}

async function readText(file: string, required: boolean): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot read: ${code ?? String(e)}`, { file }, { expected: 'a readable file' });
  }
}

/** Load a Heartbeat v1 configuration directory. Errors from all three files are reported together. */
export async function loadHeartbeatDir(dir: string, options: HeartbeatDirOptions = {}): Promise<HeartbeatDir> {
  const errors: InputError[] = [];
  const collect = <T>(f: () => T): T | undefined => {
    try { return f(); } catch (e) {
      if (e instanceof InputErrors) errors.push(...e.errors);
      else if (e instanceof InputError) errors.push(e);
      else throw e;
      return undefined;
    }
  };
  const cfFile = join(dir, 'ha.cf');
  const akFile = join(dir, 'authkeys');
  const hrFile = join(dir, 'haresources');
  const [cfText, akText, hrText] = await Promise.all([
    readText(cfFile, true).catch((e: unknown) => { errors.push(e as InputError); return undefined; }),
    readText(akFile, options.requireAuthkeys !== false).catch((e: unknown) => { errors.push(e as InputError); return undefined; }),
    readText(hrFile, false),
  ]);
  const haCf = cfText === undefined ? undefined : collect(() => parseHaCf(cfText, cfFile));
  let authkeys: Authkeys | undefined;
  if (akText !== undefined) {
    const st = await stat(akFile);
    if ((st.mode & 0o077) !== 0) {
      errors.push(new InputError(`authkeys has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; group and others must have no access, as Heartbeat required (run: chmod 600 ${akFile})`,
        { file: akFile }, { expected: 'mode 0600' }));
    }
    authkeys = collect(() => parseAuthkeys(akText, akFile, { allowCrc: options.allowCrc }));
  }
  const haresources = hrText === undefined ? [] : collect(() => parseHaresources(hrText, hrFile)) ?? [];
  if (errors.length > 0 || !haCf) throw new InputErrors(errors);
  const model = heartbeatToModel(haCf, haresources, authkeys, { useOcf: options.useOcf, dir });
  if (hrText === undefined && !haCf.crm) model.warnings.unshift({ where: { file: hrFile }, message: 'no haresources file: the cluster has no resources' });
  return { ...model, haCf, authkeys, haresources };
}
