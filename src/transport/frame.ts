/**
 * The wire frame: a pure codec (Buffer in, result out) shared by the UDP shell and the simulator.
 *
 * Layout (big endian):
 *
 *   0  magic "VG"            2 bytes
 *   2  version               u8   (1)
 *   3  flags                 u8   (bit 0: payload encrypted with AES-256-GCM)
 *   4  message type          u8   (MessageType)
 *   5  cluster id            u32
 *   9  sender incarnation    u64  (changes on every start of the sender)
 *  17  sequence number       u64  (starts at 1 for each incarnation)
 *  25  sender id length      u8, sender id (UTF-8, 1..64 bytes)
 *      destination length    u8, destination id (0 = every node)
 *      plain:      payload ... HMAC-SHA256 over everything before it (32 bytes)
 *      encrypted:  ciphertext ... GCM tag (16 bytes); the header is the AAD
 *
 * The datagram boundary delimits the payload, so there is no payload length field to get wrong.
 *
 * Encryption never reuses a nonce: each (sender, incarnation) encrypts under its own session key,
 * derived with HKDF from the cluster's AES key, and the nonce is the sequence number, which never
 * repeats within an incarnation. (Random 96-bit nonces would be safe only up to ~2^32 frames per
 * key, which a 32-node cluster sends in days.)
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { NodeId } from '../model/index.js';
import type { ClusterKeys } from './keys.js';

export const FRAME_MAGIC = 0x5647; // "VG"
export const FRAME_VERSION = 1;
export const FLAG_ENCRYPTED = 0x01;
export const MAX_NODE_ID_BYTES = 64;
export const HMAC_BYTES = 32;
/** GCM nonce: 4 zero bytes and the 8-byte sequence number; not sent, both ends know it. */
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
/** Fixed part of the header, before the two variable-length ids. */
export const FIXED_HEADER_BYTES = 25;
/** Heartbeat's port, and ours. */
export const DEFAULT_PORT = 694;
/**
 * Default largest frame we send or accept. 1400 bytes fits an Ethernet MTU with room for IP/UDP and
 * tunnels, so no frame is ever IP-fragmented (a lost fragment loses the whole datagram).
 */
export const DEFAULT_MAX_FRAME_BYTES = 1400;

export enum MessageType {
  /** Liveness only; empty payload. */
  Heartbeat = 1,
  /** A protocol message for the layer above (coordination) that fits in one frame. */
  Data = 2,
  /** One piece of a protocol message too large for one frame (see chunks.ts). */
  Chunk = 3,
}

export interface FrameHeader {
  clusterId: number;
  sender: NodeId;
  incarnation: number;
  seq: number;
  type: MessageType;
  /** Destination node; undefined = every node (the frame is still sent on every link). */
  to: NodeId | undefined;
}

export interface Frame extends FrameHeader {
  encrypted: boolean;
  payload: Buffer;
}

/** Why a datagram was dropped. Every one is counted (see Receiver). */
export type DropReason =
  | 'malformed'
  | 'bad-version'
  | 'too-large'
  | 'wrong-cluster'
  | 'unknown-sender'
  | 'security-mismatch'
  | 'bad-auth'
  | 'stale-incarnation'
  | 'replayed'
  | 'reassembly-overflow'
  | 'reassembly-timeout';

export const DROP_REASONS: readonly DropReason[] = [
  'malformed', 'bad-version', 'too-large', 'wrong-cluster', 'unknown-sender', 'security-mismatch',
  'bad-auth', 'stale-incarnation', 'replayed', 'reassembly-overflow', 'reassembly-timeout',
];

export interface CodecOptions {
  keys: ClusterKeys;
  /** Encrypt outgoing payloads and require encryption on incoming ones. */
  encrypt: boolean;
  maxFrameBytes: number;
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: DropReason };

/** A 32-bit cluster id derived from the cluster name, so two clusters sharing a link tell their frames apart. */
export function clusterIdFromName(name: string): number {
  return createHash('sha256').update(`vigil-cluster:${name}`).digest().readUInt32BE(0);
}

/** Bytes a frame spends on everything but the payload. */
export function frameOverhead(sender: NodeId, to: NodeId | undefined, encrypt: boolean): number {
  const ids = 2 + Buffer.byteLength(sender) + (to === undefined ? 0 : Buffer.byteLength(to));
  return FIXED_HEADER_BYTES + ids + (encrypt ? GCM_TAG_BYTES : HMAC_BYTES);
}

/** Session keys by cluster key, then by sender and incarnation; bounded so forged incarnations cannot grow it. */
const sessionKeys = new WeakMap<Buffer, Map<string, Buffer>>();
const MAX_CACHED_SESSION_KEYS = 1024;

/** The AES-256-GCM key of one sender incarnation. */
export function sessionKey(encKey: Buffer, sender: NodeId, incarnation: number): Buffer {
  let cache = sessionKeys.get(encKey);
  if (!cache) { cache = new Map(); sessionKeys.set(encKey, cache); }
  const id = `${sender}\u0000${incarnation}`;
  let k = cache.get(id);
  if (!k) {
    if (cache.size >= MAX_CACHED_SESSION_KEYS) cache.clear();
    k = Buffer.from(hkdfSync('sha256', encKey, 'vigil-session-v1', id, 32));
    cache.set(id, k);
  }
  return k;
}

function nonce(seq: number): Buffer {
  const iv = Buffer.alloc(GCM_IV_BYTES);
  iv.writeBigUInt64BE(BigInt(seq), 4);
  return iv;
}

function checkId(id: string, what: string): Buffer {
  const b = Buffer.from(id, 'utf8');
  if (b.length > MAX_NODE_ID_BYTES) throw new RangeError(`${what} "${id}" is longer than ${MAX_NODE_ID_BYTES} bytes`);
  return b;
}

/**
 * Build one frame. Deterministic: the same header and payload give the same bytes.
 * Throws RangeError on caller bugs (oversized ids, non-integer counters, frame above the limit).
 */
export function encodeFrame(header: FrameHeader, payload: Uint8Array, opts: CodecOptions): Buffer {
  const sender = checkId(header.sender, 'sender id');
  if (sender.length === 0) throw new RangeError('sender id is empty');
  const to = header.to === undefined ? Buffer.alloc(0) : checkId(header.to, 'destination id');
  if (header.to !== undefined && to.length === 0) throw new RangeError('destination id is empty');
  if (!Number.isSafeInteger(header.incarnation) || header.incarnation < 0) throw new RangeError('incarnation must be a safe non-negative integer');
  if (!Number.isSafeInteger(header.seq) || header.seq < 1) throw new RangeError('sequence number must be a safe integer >= 1');
  const headerLen = FIXED_HEADER_BYTES + 2 + sender.length + to.length;
  const total = headerLen + payload.length + (opts.encrypt ? GCM_TAG_BYTES : HMAC_BYTES);
  if (total > opts.maxFrameBytes) throw new RangeError(`frame of ${total} bytes exceeds the limit of ${opts.maxFrameBytes}`);

  const out = Buffer.alloc(total);
  out.writeUInt16BE(FRAME_MAGIC, 0);
  out.writeUInt8(FRAME_VERSION, 2);
  out.writeUInt8(opts.encrypt ? FLAG_ENCRYPTED : 0, 3);
  out.writeUInt8(header.type, 4);
  out.writeUInt32BE(header.clusterId >>> 0, 5);
  out.writeBigUInt64BE(BigInt(header.incarnation), 9);
  out.writeBigUInt64BE(BigInt(header.seq), 17);
  let off = FIXED_HEADER_BYTES;
  out.writeUInt8(sender.length, off++);
  sender.copy(out, off); off += sender.length;
  out.writeUInt8(to.length, off++);
  to.copy(out, off); off += to.length;

  if (opts.encrypt) {
    const cipher = createCipheriv('aes-256-gcm', sessionKey(opts.keys.encKey, header.sender, header.incarnation), nonce(header.seq), { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(out.subarray(0, off));
    const ct = Buffer.concat([cipher.update(payload), cipher.final()]);
    ct.copy(out, off);
    cipher.getAuthTag().copy(out, total - GCM_TAG_BYTES);
  } else {
    Buffer.from(payload).copy(out, off);
    createHmac('sha256', opts.keys.hmacKey).update(out.subarray(0, total - HMAC_BYTES)).digest().copy(out, total - HMAC_BYTES);
  }
  return out;
}

/** What the receiver knows before it trusts a frame: which cluster it is in and whom it accepts. */
export interface DecodeExpectations {
  clusterId: number;
  isKnownSender: (id: NodeId) => boolean;
}

function readId(buf: Buffer, off: number): { id: string; next: number } | undefined {
  if (off >= buf.length) return undefined;
  const len = buf.readUInt8(off);
  if (len > MAX_NODE_ID_BYTES || off + 1 + len > buf.length) return undefined;
  const raw = buf.subarray(off + 1, off + 1 + len);
  const id = raw.toString('utf8');
  // Reject invalid UTF-8 rather than let two byte strings map to one id.
  if (!Buffer.from(id, 'utf8').equals(raw)) return undefined;
  return { id, next: off + 1 + len };
}

/**
 * Parse and authenticate one datagram. Never throws: anything wrong becomes a drop reason.
 * Cheap header checks come first so a flood of junk costs no cryptography.
 */
export function decodeFrame(buf: Buffer, opts: CodecOptions, expect: DecodeExpectations): DecodeResult {
  if (buf.length > opts.maxFrameBytes) return { ok: false, reason: 'too-large' };
  if (buf.length < FIXED_HEADER_BYTES + 2) return { ok: false, reason: 'malformed' };
  if (buf.readUInt16BE(0) !== FRAME_MAGIC) return { ok: false, reason: 'malformed' };
  if (buf.readUInt8(2) !== FRAME_VERSION) return { ok: false, reason: 'bad-version' };
  const flags = buf.readUInt8(3);
  if ((flags & ~FLAG_ENCRYPTED) !== 0) return { ok: false, reason: 'malformed' };
  const type = buf.readUInt8(4);
  if (type !== MessageType.Heartbeat && type !== MessageType.Data && type !== MessageType.Chunk) return { ok: false, reason: 'malformed' };
  const clusterId = buf.readUInt32BE(5);
  const inc = buf.readBigUInt64BE(9);
  const seq = buf.readBigUInt64BE(17);
  if (inc > BigInt(Number.MAX_SAFE_INTEGER) || seq > BigInt(Number.MAX_SAFE_INTEGER) || seq === 0n) return { ok: false, reason: 'malformed' };
  const s = readId(buf, FIXED_HEADER_BYTES);
  if (!s || s.id.length === 0) return { ok: false, reason: 'malformed' };
  const d = readId(buf, s.next);
  if (!d) return { ok: false, reason: 'malformed' };
  const headerEnd = d.next;
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  const trailer = encrypted ? GCM_TAG_BYTES : HMAC_BYTES;
  if (buf.length < headerEnd + trailer) return { ok: false, reason: 'malformed' };
  if (clusterId !== expect.clusterId) return { ok: false, reason: 'wrong-cluster' };
  if (!expect.isKnownSender(s.id)) return { ok: false, reason: 'unknown-sender' };
  if (encrypted !== opts.encrypt) return { ok: false, reason: 'security-mismatch' };

  let payload: Buffer;
  if (encrypted) {
    const tag = buf.subarray(buf.length - GCM_TAG_BYTES);
    try {
      const key = sessionKey(opts.keys.encKey, s.id, Number(inc));
      const decipher = createDecipheriv('aes-256-gcm', key, nonce(Number(seq)), { authTagLength: GCM_TAG_BYTES });
      decipher.setAAD(buf.subarray(0, headerEnd));
      decipher.setAuthTag(tag);
      payload = Buffer.concat([decipher.update(buf.subarray(headerEnd, buf.length - GCM_TAG_BYTES)), decipher.final()]);
    } catch {
      return { ok: false, reason: 'bad-auth' };
    }
  } else {
    const mac = createHmac('sha256', opts.keys.hmacKey).update(buf.subarray(0, buf.length - HMAC_BYTES)).digest();
    if (!timingSafeEqual(mac, buf.subarray(buf.length - HMAC_BYTES))) return { ok: false, reason: 'bad-auth' };
    payload = Buffer.from(buf.subarray(headerEnd, buf.length - HMAC_BYTES));
  }
  return {
    ok: true,
    frame: {
      clusterId, sender: s.id, incarnation: Number(inc), seq: Number(seq), type: type as MessageType,
      to: d.id === '' ? undefined : d.id, encrypted, payload,
    },
  };
}
