/**
 * Checksummed records: [u32 length][u32 crc32 of payload][payload], little-endian. A reader stops
 * at the first record that is short or fails its checksum: that is a torn tail from a crash.
 */
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;

export function encodeRecord(value: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(value), 'utf8');
  const buf = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeUInt32LE(crc32(payload), 4);
  payload.copy(buf, HEADER_BYTES);
  return buf;
}

export interface DecodedRecords {
  values: unknown[];
  /** Byte offset just after the last good record. */
  goodBytes: number;
  /** Bytes after goodBytes that were not a whole, valid record (a torn tail). */
  tornBytes: number;
}

export function decodeRecords(buf: Buffer): DecodedRecords {
  const values: unknown[] = [];
  let off = 0;
  while (off + HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32LE(off);
    const crc = buf.readUInt32LE(off + 4);
    const end = off + HEADER_BYTES + len;
    if (end > buf.length) break;
    const payload = buf.subarray(off + HEADER_BYTES, end);
    if (crc32(payload) !== crc) break;
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch {
      break;
    }
    values.push(value);
    off = end;
  }
  return { values, goodBytes: off, tornBytes: buf.length - off };
}
