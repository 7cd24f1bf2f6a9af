/**
 * The in-memory replicated log: a snapshot base plus the entries after it. Indexes start at 1;
 * index 0 with term 0 is the empty log.
 */
import type { LogEntry, LogIndex, MembershipConfig, Snapshot, Term } from './types.js';

export interface RaftLog {
  /** Index and term of the last compacted entry (0, 0 without a snapshot). */
  baseIndex: LogIndex;
  baseTerm: Term;
  snapshot: Snapshot | null;
  /** entries[i].index === baseIndex + 1 + i */
  entries: LogEntry[];
}

export function lastIndex(log: RaftLog): LogIndex {
  return log.baseIndex + log.entries.length;
}

export function lastTerm(log: RaftLog): Term {
  return log.entries.length ? log.entries[log.entries.length - 1].term : log.baseTerm;
}

/** Term of the entry at `index`; undefined when compacted away (below base) or beyond the end. */
export function termAt(log: RaftLog, index: LogIndex): Term | undefined {
  if (index === log.baseIndex) return log.baseTerm;
  if (index < log.baseIndex || index > lastIndex(log)) return undefined;
  return log.entries[index - log.baseIndex - 1].term;
}

export function entryAt(log: RaftLog, index: LogIndex): LogEntry | undefined {
  if (index <= log.baseIndex || index > lastIndex(log)) return undefined;
  return log.entries[index - log.baseIndex - 1];
}

/** Entries in [from, to] (inclusive), clipped to what the log holds. */
export function slice(log: RaftLog, from: LogIndex, to: LogIndex): LogEntry[] {
  const lo = Math.max(from, log.baseIndex + 1) - log.baseIndex - 1;
  const hi = Math.min(to, lastIndex(log)) - log.baseIndex;
  return lo < hi ? log.entries.slice(lo, hi) : [];
}

/** Drop every entry at or after `index`. */
export function truncateFrom(log: RaftLog, index: LogIndex): void {
  log.entries.length = Math.max(0, index - log.baseIndex - 1);
}

/** Whether a log ending at (otherIndex, otherTerm) is at least as up to date as this one. */
export function upToDate(log: RaftLog, otherIndex: LogIndex, otherTerm: Term): boolean {
  const t = lastTerm(log);
  return otherTerm > t || (otherTerm === t && otherIndex >= lastIndex(log));
}

/** The configuration in force at the end of the log: the last membership entry, else the snapshot's, else the bootstrap one. */
export function latestConfig(log: RaftLog, bootstrap: MembershipConfig): { config: MembershipConfig; index: LogIndex } {
  for (let i = log.entries.length - 1; i >= 0; i--) {
    const d = log.entries[i].data;
    if (d.type === 'membership') return { config: d.config, index: log.entries[i].index };
  }
  if (log.snapshot) return { config: log.snapshot.config, index: log.snapshot.index };
  return { config: bootstrap, index: 0 };
}

/** The configuration in force at `index` (index >= baseIndex). */
export function configAt(log: RaftLog, index: LogIndex, bootstrap: MembershipConfig): MembershipConfig {
  for (let i = Math.min(index, lastIndex(log)) - log.baseIndex - 1; i >= 0; i--) {
    const d = log.entries[i].data;
    if (d.type === 'membership') return d.config;
  }
  return log.snapshot ? log.snapshot.config : bootstrap;
}
