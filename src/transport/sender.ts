/**
 * The sending half of a node's transport: numbers frames and builds them. Deterministic. One frame is built once and the same bytes go out on every
 * link, so receivers recognise the copies by their sequence number.
 */
import type { NodeId } from '../model/index.js';
import { CHUNK_HEADER_BYTES, splitIntoChunks } from './chunks.js';
import { encodeFrame, frameOverhead, MessageType } from './frame.js';
import type { CodecOptions } from './frame.js';

export interface SenderOptions extends CodecOptions {
  self: NodeId;
  clusterId: number;
  /** Changes on every start (the shell uses the start time in ms). Must never repeat for this node. */
  incarnation: number;
}

export class Sender {
  private seq = 0;
  private messageId = 0;

  constructor(readonly opts: SenderOptions) {}

  get incarnation(): number {
    return this.opts.incarnation;
  }

  /** Sequence number of the last frame built. */
  get lastSeq(): number {
    return this.seq;
  }

  private frame(type: MessageType, to: NodeId | undefined, payload: Uint8Array): Buffer {
    this.seq += 1;
    return encodeFrame({ clusterId: this.opts.clusterId, sender: this.opts.self, incarnation: this.opts.incarnation, seq: this.seq, type, to }, payload, this.opts);
  }

  heartbeat(): Buffer {
    return this.frame(MessageType.Heartbeat, undefined, Buffer.alloc(0));
  }

  /** Largest body that still fits in one Data frame to `to`. */
  maxSingleFrameBody(to: NodeId | undefined): number {
    return this.opts.maxFrameBytes - frameOverhead(this.opts.self, to, this.opts.encrypt);
  }

  /** Frames carrying one protocol message: one Data frame, or Chunk frames when it does not fit. */
  message(to: NodeId | undefined, body: Uint8Array): Buffer[] {
    const room = this.maxSingleFrameBody(to);
    if (body.length <= room) return [this.frame(MessageType.Data, to, body)];
    if (room <= CHUNK_HEADER_BYTES) throw new RangeError('maxFrameBytes is too small for chunked messages');
    this.messageId = (this.messageId + 1) >>> 0;
    return splitIntoChunks(body, room, this.messageId).map((c) => this.frame(MessageType.Chunk, to, c));
  }
}
