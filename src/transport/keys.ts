/**
 * The cluster key: loaded from an authkey file (mode 0600), either Vigil's own (any secret of at
 * least 16 bytes, e.g. `head -c 32 /dev/urandom`) or a Heartbeat `authkeys` file whose selected
 * sha1/md5 secret becomes the key material. Separate HMAC and AES keys are derived with HKDF so
 * one secret never serves two algorithms.
 */
import { hkdfSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parseAuthkeys } from '../config/heartbeat/authkeys.js';
import { InputError } from '../model/index.js';
import type { Warning } from '../model/index.js';

export interface ClusterKeys {
  hmacKey: Buffer;
  encKey: Buffer;
}

export type KeySource = 'vigil' | 'heartbeat-sha1' | 'heartbeat-md5' | 'heartbeat-crc';

export interface LoadedKey {
  keys: ClusterKeys;
  source: KeySource;
  warnings: Warning[];
}

export interface KeyOptions {
  /** Accept a Heartbeat `crc` authkeys entry (no secret: anyone on the link can forge packets). */
  allowCrc?: boolean;
  /** `auto` (default) recognises a Heartbeat authkeys file by its `auth N` line. */
  format?: 'auto' | 'vigil' | 'heartbeat-authkeys';
}

export const MIN_SECRET_BYTES = 16;
const HKDF_SALT = Buffer.from('vigil-transport-v1');
/** crc has no secret; every node derives the same well-known key, which authenticates nothing. */
const CRC_MATERIAL = Buffer.from('vigil-heartbeat-crc-has-no-secret');

export function deriveClusterKeys(material: Uint8Array): ClusterKeys {
  if (material.length === 0) throw new RangeError('key material is empty');
  return {
    hmacKey: Buffer.from(hkdfSync('sha256', material, HKDF_SALT, 'hmac-sha256', 32)),
    encKey: Buffer.from(hkdfSync('sha256', material, HKDF_SALT, 'aes-256-gcm', 32)),
  };
}

/** True when the text is a Heartbeat authkeys file (it has an `auth N` line). */
function looksLikeHeartbeat(text: string): boolean {
  return /^\s*auth\s+\S+\s*$/m.test(text);
}

function isPrintableText(b: Buffer): boolean {
  for (const c of b) if ((c < 0x20 || c > 0x7e) && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  return true;
}

/** A Heartbeat authkeys file (parsed by the config layer): the selected sha1/md5 secret is the key material. */
function fromHeartbeatAuthkeys(text: string, file: string, opts: KeyOptions): LoadedKey {
  const a = parseAuthkeys(text, file, { allowCrc: opts.allowCrc });
  if (a.active.method === 'crc') {
    // parseAuthkeys refused crc unless allowed, and warned when it was.
    return { keys: deriveClusterKeys(CRC_MATERIAL), source: 'heartbeat-crc', warnings: a.warnings };
  }
  // The secret keys HMAC-SHA256 (and AES-GCM); Heartbeat's sha1/md5 MACs themselves are not used.
  return { keys: deriveClusterKeys(Buffer.from(a.active.secret, 'utf8')), source: a.active.method === 'sha1' ? 'heartbeat-sha1' : 'heartbeat-md5', warnings: a.warnings };
}

/** Turn authkey file contents into cluster keys. Pure; `file` only names the source in errors. */
export function parseAuthkey(content: Buffer, file: string, opts: KeyOptions = {}): LoadedKey {
  const format = opts.format ?? 'auto';
  if (format === 'heartbeat-authkeys' || (format === 'auto' && isPrintableText(content) && looksLikeHeartbeat(content.toString('utf8')))) {
    return fromHeartbeatAuthkeys(content.toString('utf8'), file, opts);
  }
  if (isPrintableText(content)) {
    const text = content.toString('utf8');
    // A text key edited by hand: surrounding whitespace (an editor's final newline) is not key material.
    const trimmed = Buffer.from(text.trim(), 'utf8');
    if (trimmed.length < MIN_SECRET_BYTES) {
      throw new InputError(`the key is ${trimmed.length} bytes; it must have at least ${MIN_SECRET_BYTES}`, { file }, { expected: 'e.g. `head -c 32 /dev/urandom | base64 > authkey`' });
    }
    return { keys: deriveClusterKeys(trimmed), source: 'vigil', warnings: [] };
  }
  if (content.length < MIN_SECRET_BYTES) {
    throw new InputError(`the key is ${content.length} bytes; it must have at least ${MIN_SECRET_BYTES}`, { file }, { expected: 'e.g. `head -c 32 /dev/urandom > authkey`' });
  }
  return { keys: deriveClusterKeys(content), source: 'vigil', warnings: [] };
}

/**
 * Read an authkey file. It must be a regular file that neither group nor others can access (0600
 * or 0400), as Heartbeat required for authkeys: a readable key lets any local user forge packets.
 */
export function loadAuthkeyFile(file: string, opts: KeyOptions = {}): LoadedKey {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new InputError(`cannot read the authkey file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file }, { expected: 'a key file, mode 0600' });
  }
  if (!st.isFile()) throw new InputError('the authkey path is not a regular file', { file }, { expected: 'a key file, mode 0600' });
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new InputError(`the authkey file has mode ${mode.toString(8).padStart(4, '0')}; group and others must have no access (run: chmod 600 ${file})`,
      { file }, { field: 'mode', expected: '0600' });
  }
  return parseAuthkey(readFileSync(file), file, opts);
}
