/**
 * Messages larger than one frame (CIB snapshots) travel as numbered chunks and are reassembled
 * under memory and time limits. Pure: time is an argument.
 *
 * Chunk payload: message id u32, index u32, count u32, total length u32, then the bytes.
 * Each chunk is its own authenticated frame with its own sequence number, so replay and
 * duplicate handling happen per chunk before reassembly.
 */
import type { NodeId } from '../model/index.js';

export const CHUNK_HEADER_BYTES = 16;

export interface ChunkHeader {
  messageId: number;
  index: number;
  count: number;
  totalBytes: number;
}

export interface ReassemblyLimits {
  /** Largest message accepted, in bytes. */
  maxMessageBytes: number;
  /** Bytes held across all partial messages from all senders. */
  maxPendingBytes: number;
  /** Partial messages held per sender; the oldest is dropped to make room. */
  maxPendingPerSender: number;
  /** A partial message not completed within this time is dropped. */
  timeoutMs: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxMessageBytes: 64 * 1024 * 1024,
  maxPendingBytes: 128 * 1024 * 1024,
  maxPendingPerSender: 4,
  timeoutMs: 10_000,
};

export function encodeChunk(h: ChunkHeader, bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(CHUNK_HEADER_BYTES + bytes.length);
  out.writeUInt32BE(h.messageId >>> 0, 0);
  out.writeUInt32BE(h.index, 4);
  out.writeUInt32BE(h.count, 8);
  out.writeUInt32BE(h.totalBytes, 12);
  Buffer.from(bytes).copy(out, CHUNK_HEADER_BYTES);
  return out;
}

/** Split a message into chunk payloads of at most `maxChunkPayload` bytes each (header included). */
export function splitIntoChunks(body: Uint8Array, maxChunkPayload: number, messageId: number): Buffer[] {
  const per = maxChunkPayload - CHUNK_HEADER_BYTES;
  if (per < 1) throw new RangeError('frame limit too small to carry chunks');
  const count = Math.max(1, Math.ceil(body.length / per));
  if (count > 0xffffffff || body.length > 0xffffffff) throw new RangeError('message too large to chunk');
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    out.push(encodeChunk({ messageId, index: i, count, totalBytes: body.length }, body.subarray(i * per, (i + 1) * per)));
  }
  return out;
}

export function decodeChunk(payload: Buffer): { header: ChunkHeader; bytes: Buffer } | undefined {
  if (payload.length < CHUNK_HEADER_BYTES) return undefined;
  const header: ChunkHeader = {
    messageId: payload.readUInt32BE(0),
    index: payload.readUInt32BE(4),
    count: payload.readUInt32BE(8),
    totalBytes: payload.readUInt32BE(12),
  };
  if (header.count === 0 || header.index >= header.count) return undefined;
  const bytes = payload.subarray(CHUNK_HEADER_BYTES);
  // Every chunk but the last must carry something, or count could claim billions of entries.
  if (header.count > header.totalBytes + 1) return undefined;
  if (bytes.length > header.totalBytes) return undefined;
  return { header, bytes };
}

interface Partial {
  sender: NodeId;
  incarnation: number;
  header: ChunkHeader;
  parts: Map<number, Buffer>;
  bytes: number;
  startedAt: number;
}

export type ReassemblyResult =
  | { kind: 'complete'; body: Buffer }
  | { kind: 'pending' }
  | { kind: 'drop'; reason: 'malformed' | 'reassembly-overflow' };

export class Reassembler {
  private readonly partials = new Map<string, Partial>();
  private pendingBytes = 0;

  constructor(readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS) {}

  get bytesHeld(): number {
    return this.pendingBytes;
  }

  get messagesHeld(): number {
    return this.partials.size;
  }

  add(sender: NodeId, incarnation: number, payload: Buffer, now: number): ReassemblyResult {
    const c = decodeChunk(payload);
    if (!c) return { kind: 'drop', reason: 'malformed' };
    const { header, bytes } = c;
    if (header.totalBytes > this.limits.maxMessageBytes) return { kind: 'drop', reason: 'reassembly-overflow' };
    const key = `${sender}\u0000${incarnation}\u0000${header.messageId}`;
    let p = this.partials.get(key);
    if (p && (p.header.count !== header.count || p.header.totalBytes !== header.totalBytes)) {
      this.discard(key, p);
      return { kind: 'drop', reason: 'malformed' };
    }
    if (!p) {
      const mine = [...this.partials.values()].filter((q) => q.sender === sender).sort((a, b) => a.startedAt - b.startedAt);
      while (mine.length >= this.limits.maxPendingPerSender) {
        const oldest = mine.shift() as Partial;
        this.discard(this.keyOf(oldest), oldest);
      }
      p = { sender, incarnation, header, parts: new Map(), bytes: 0, startedAt: now };
      this.partials.set(key, p);
    }
    if (p.parts.has(header.index)) return { kind: 'pending' };
    if (p.bytes + bytes.length > header.totalBytes) {
      this.discard(key, p);
      return { kind: 'drop', reason: 'malformed' };
    }
    if (this.pendingBytes + bytes.length > this.limits.maxPendingBytes) {
      this.discard(key, p);
      return { kind: 'drop', reason: 'reassembly-overflow' };
    }
    p.parts.set(header.index, bytes);
    p.bytes += bytes.length;
    this.pendingBytes += bytes.length;
    if (p.parts.size < header.count) return { kind: 'pending' };
    this.discard(key, p);
    if (p.bytes !== header.totalBytes) return { kind: 'drop', reason: 'malformed' };
    const ordered: Buffer[] = [];
    for (let i = 0; i < header.count; i++) ordered.push(p.parts.get(i) as Buffer);
    return { kind: 'complete', body: Buffer.concat(ordered, header.totalBytes) };
  }

  /** Drop partial messages older than the timeout; returns how many were dropped. */
  expire(now: number): number {
    let n = 0;
    for (const [key, p] of this.partials) {
      if (now - p.startedAt >= this.limits.timeoutMs) { this.discard(key, p); n++; }
    }
    return n;
  }

  /** A sender restarted: its partial messages from earlier incarnations can never complete. */
  forgetSender(sender: NodeId, keepIncarnation: number): number {
    let n = 0;
    for (const [key, p] of this.partials) {
      if (p.sender === sender && p.incarnation !== keepIncarnation) { this.discard(key, p); n++; }
    }
    return n;
  }

  private keyOf(p: Partial): string {
    return `${p.sender}\u0000${p.incarnation}\u0000${p.header.messageId}`;
  }

  private discard(key: string, p: Partial): void {
    if (this.partials.delete(key)) this.pendingBytes -= p.bytes;
  }
}
