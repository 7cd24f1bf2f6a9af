/**
 * Coordination messages on the wire: JSON inside an authenticated transport frame. The frame
 * proves who sent it, not that the sender is sane, so every message is checked for shape before
 * it reaches the state machine (a malformed one would otherwise throw inside `step`, which
 * mutates its state in place), and its `from` must be the authenticated sender.
 */
import { z } from 'zod';
import type { Message } from '../coordination/index.js';
import type { NodeId } from '../model/index.js';

const count = z.number().int().min(0);
const term = count;
/** Send times are the leader's monotonic clock: any finite number. */
const time = z.number().refine(Number.isFinite);
const nodeId = z.string().min(1).max(64);

const member = z.object({ id: nodeId, votes: count, witness: z.boolean().optional() });
const config = z.object({ members: z.array(member) });
/** A CIB update is opaque here (the controller owns its meaning): an object with a `kind`. */
const cibUpdate = z.looseObject({ kind: z.string().min(1) });
const entryData = z.discriminatedUnion('type', [
  z.object({ type: z.literal('noop') }),
  z.object({ type: z.literal('cib'), update: cibUpdate }),
  z.object({ type: z.literal('membership'), config }),
]);
const entry = z.object({ index: z.number().int().min(1), term, data: entryData });

const envelope = { from: nodeId, to: nodeId, term };

const messageSchema = z.discriminatedUnion('type', [
  z.object({ ...envelope, type: z.literal('prevote'), lastIndex: count, lastTerm: term }),
  z.object({ ...envelope, type: z.literal('prevote-reply'), granted: z.boolean(), currentTerm: term }),
  z.object({ ...envelope, type: z.literal('vote'), lastIndex: count, lastTerm: term }),
  z.object({ ...envelope, type: z.literal('vote-reply'), granted: z.boolean() }),
  z.object({
    ...envelope, type: z.literal('append'), prevIndex: count, prevTerm: term, entries: z.array(entry), commit: count,
    sentAt: time, leaseValid: z.boolean(), holdsYourVote: z.boolean(),
  }),
  z.object({ ...envelope, type: z.literal('append-reply'), success: z.boolean(), matchIndex: count, hint: count, sentAt: time }),
  z.object({
    ...envelope, type: z.literal('snapshot'), index: count, lastTerm: term, config, offset: count, chunk: z.string(),
    done: z.boolean(), sentAt: time,
  }),
  z.object({ ...envelope, type: z.literal('snapshot-reply'), index: count, nextOffset: count, done: z.boolean(), sentAt: time }),
]);

export function encodeMessage(m: Message): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

export type DecodeResult = { ok: true; message: Message } | { ok: false; reason: 'malformed' | 'wrong-sender' | 'wrong-recipient' };

/** Check a received body; `from` is the authenticated sender, `self` this node. */
export function decodeMessage(body: Buffer, from: NodeId, self: NodeId): DecodeResult {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const r = messageSchema.safeParse(raw);
  if (!r.success) return { ok: false, reason: 'malformed' };
  const m = r.data as Message;
  // Entries must be contiguous after prevIndex, or the log would get a gap.
  if (m.type === 'append' && m.entries.some((e, i) => e.index !== m.prevIndex + 1 + i)) return { ok: false, reason: 'malformed' };
  if (m.from !== from) return { ok: false, reason: 'wrong-sender' };
  if (m.to !== self) return { ok: false, reason: 'wrong-recipient' };
  return { ok: true, message: m };
}
