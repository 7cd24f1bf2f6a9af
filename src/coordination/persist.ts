/**
 * What a persist output does to the durable state, as a pure function: the simulator's disk and
 * the file storage both use it, so they agree on the meaning of every operation.
 */
import type { LogEntry, PersistedState, PersistOp } from './types.js';

export function emptyPersisted(): PersistedState {
  return { term: 0, votedFor: null, snapshot: null, entries: [] };
}

/** Apply one operation to `p` in place. */
export function applyPersistOp(p: PersistedState, op: PersistOp): void {
  switch (op.kind) {
    case 'hard-state':
      p.term = op.term;
      p.votedFor = op.votedFor;
      break;
    case 'entries':
      for (const e of op.entries) putEntry(p, e);
      break;
    case 'snapshot': {
      const idx = op.snapshot.index;
      p.entries = op.keepLog ? p.entries.filter((e) => e.index > idx) : [];
      p.snapshot = op.snapshot;
      break;
    }
  }
}

/** Store one entry: it replaces the entry at its index and everything after it. */
export function putEntry(p: PersistedState, e: LogEntry): void {
  const base = p.snapshot?.index ?? 0;
  if (e.index <= base) return;
  const pos = e.index - base - 1;
  if (pos > p.entries.length) throw new Error(`log gap: entry ${e.index} after ${base + p.entries.length}`);
  p.entries.length = pos;
  p.entries.push(e);
}
