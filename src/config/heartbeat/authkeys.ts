/**
 * Heartbeat `authkeys`: `auth N` selects which of the `N method [secret]` lines signs packets.
 * Pure: the file's mode (it must not be readable by group or others) is checked where the file is
 * read (load-dir.ts).
 */
import type { SourceRef } from '../../model/cluster.js';
import { InputError, InputErrors, type Warning } from '../../model/errors.js';

export type AuthMethod = 'sha1' | 'md5' | 'crc';

export interface Authkeys {
  file: string;
  /** The selected key. */
  active: { index: string; method: AuthMethod; secret: string; where: SourceRef };
  /** All keys by index (Heartbeat accepted packets signed with any of them during a key change). */
  keys: Map<string, { method: AuthMethod; secret: string; where: SourceRef }>;
  warnings: Warning[];
}

export interface AuthkeysOptions {
  /** crc authenticates nothing; refuse it unless the operator asked for it. */
  allowCrc?: boolean;
}

export function parseAuthkeys(text: string, file: string, options: AuthkeysOptions = {}): Authkeys {
  const errors: InputError[] = [];
  const warnings: Warning[] = [];
  const keys: Authkeys['keys'] = new Map();
  let auth: { index: string; where: SourceRef } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    // Only whole-line comments: a secret may contain '#'.
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    const where: SourceRef = { file, line: i + 1, column: raw.indexOf(words[0]) + 1 };
    if (words[0] === 'auth') {
      if (words.length !== 2) errors.push(new InputError('auth takes one key number', where, { field: 'auth', expected: 'auth <N>' }));
      else if (auth) errors.push(new InputError(`a second auth line (the first is on line ${auth.where.line})`, where, { field: 'auth', expected: 'one auth line' }));
      else auth = { index: words[1], where };
      return;
    }
    const [index, method, ...rest] = words;
    if (!/^\d+$/.test(index)) {
      errors.push(new InputError(`unexpected "${words[0]}"`, where, { field: 'authkeys', expected: '"auth N" or "N sha1|md5|crc SECRET"' }));
      return;
    }
    const m = method?.toLowerCase();
    if (m !== 'sha1' && m !== 'md5' && m !== 'crc') {
      errors.push(new InputError(method === undefined ? `key ${index} has no method` : `unknown method "${method}"`, where, { field: `key ${index}`, expected: 'sha1, md5 or crc' }));
      return;
    }
    // Heartbeat read the secret as one word.
    const secret = rest[0] ?? '';
    if (rest.length > 1) warnings.push({ where, message: `key ${index}: only the first word after the method is the secret; "${rest.slice(1).join(' ')}" is ignored` });
    if (m !== 'crc' && secret === '') { errors.push(new InputError(`key ${index} (${m}) has no secret`, where, { field: `key ${index}`, expected: `${index} ${m} <secret>` })); return; }
    if (m === 'crc' && rest.length > 0) warnings.push({ where, message: `key ${index}: crc takes no secret; the text after it is ignored` });
    if (keys.has(index)) { errors.push(new InputError(`key ${index} is defined twice`, where, { field: `key ${index}`, expected: 'each key number once' })); return; }
    keys.set(index, { method: m, secret: m === 'crc' ? '' : secret, where });
  });
  if (!auth) {
    errors.push(new InputError('no "auth N" line', { file }, { field: 'auth', expected: 'auth <N> selecting one of the keys' }));
    throw new InputErrors(errors);
  }
  const active = keys.get(auth.index);
  if (!active) {
    errors.push(new InputError(`auth ${auth.index} selects a key that is not defined`, auth.where, { field: 'auth', expected: keys.size ? `one of ${[...keys.keys()].join(', ')}` : 'a line "N sha1 SECRET"' }));
    throw new InputErrors(errors);
  }
  if (active.method === 'crc') {
    if (!options.allowCrc) {
      errors.push(new InputError('crc has no secret, so anyone on the network could forge cluster messages; refusing it', active.where,
        { field: `key ${auth.index}`, expected: 'sha1 with a random secret (or --allow-crc to accept it anyway)' }));
    } else {
      warnings.push({ where: active.where, message: 'crc accepted on request: cluster messages are NOT authenticated; anyone on the network can forge them' });
    }
  } else if (active.method === 'md5') {
    warnings.push({ where: active.where, message: 'md5 key: Vigil authenticates with HMAC-SHA256 keyed by this secret (Heartbeat and Vigil nodes cannot be mixed in one cluster)' });
  } else if (Buffer.byteLength(active.secret) < 16) {
    warnings.push({ where: active.where, message: `the secret is short (${Buffer.byteLength(active.secret)} bytes); use at least 16 random bytes` });
  }
  if (errors.length > 0) throw new InputErrors(errors);
  return { file, active: { index: auth.index, ...active }, keys, warnings };
}
