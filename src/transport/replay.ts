/**
 * Replay protection and first-copy-wins across links, per sender.
 *
 * For each sender we keep its current incarnation, the highest sequence number seen and, for the
 * last `windowSize` sequence numbers, the set of links each arrived on. A newer incarnation means
 * the sender restarted: the window starts afresh. An older incarnation is stale. A sequence
 * number already seen on the SAME link is a replay; one seen only on OTHER links is the normal
 * duplicate a multi-link cluster produces (the frame went out on every link) and is not an attack,
 * but it still proves that link works, so the caller reports it to membership.
 *
 * Call `check` only for frames that passed authentication; otherwise a forger could move the window.
 */
import type { NodeId } from '../model/index.js';

export const DEFAULT_REPLAY_WINDOW = 1024;
/** Link indexes are bits in a mask. */
export const MAX_LINKS = 31;

export type ReplayVerdict =
  | { verdict: 'accept'; restarted: boolean; previousIncarnation: number | undefined }
  | { verdict: 'duplicate' }
  | { verdict: 'stale-incarnation' }
  | { verdict: 'replayed' };

interface SenderWindow {
  incarnation: number;
  highest: number;
  /** seq -> bit mask of the links it arrived on; only seqs within the window are kept. */
  seen: Map<number, number>;
}

export class ReplayGuard {
  private readonly senders = new Map<NodeId, SenderWindow>();

  constructor(readonly windowSize: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(windowSize) || windowSize < 1) throw new RangeError('replay window must be a positive integer');
  }

  /** The incarnation currently accepted from `sender`, if any frame from it was accepted. */
  incarnationOf(sender: NodeId): number | undefined {
    return this.senders.get(sender)?.incarnation;
  }

  check(sender: NodeId, incarnation: number, seq: number, link: number): ReplayVerdict {
    if (!Number.isInteger(link) || link < 0 || link >= MAX_LINKS) throw new RangeError(`link index ${link} out of range 0..${MAX_LINKS - 1}`);
    const bit = 1 << link;
    const w = this.senders.get(sender);
    if (!w || incarnation > w.incarnation) {
      this.senders.set(sender, { incarnation, highest: seq, seen: new Map([[seq, bit]]) });
      return { verdict: 'accept', restarted: w !== undefined, previousIncarnation: w?.incarnation };
    }
    if (incarnation < w.incarnation) return { verdict: 'stale-incarnation' };
    if (seq > w.highest) {
      w.highest = seq;
      w.seen.set(seq, bit);
      // Prune in batches (amortised O(1) per frame); entries below the window are never consulted.
      if (w.seen.size > 2 * this.windowSize) {
        const floor = seq - this.windowSize;
        for (const s of w.seen.keys()) if (s <= floor) w.seen.delete(s);
      }
      return { verdict: 'accept', restarted: false, previousIncarnation: undefined };
    }
    if (seq <= w.highest - this.windowSize) return { verdict: 'replayed' };
    const mask = w.seen.get(seq);
    if (mask === undefined) {
      w.seen.set(seq, bit);
      return { verdict: 'accept', restarted: false, previousIncarnation: undefined };
    }
    if ((mask & bit) !== 0) return { verdict: 'replayed' };
    w.seen.set(seq, mask | bit);
    return { verdict: 'duplicate' };
  }
}
