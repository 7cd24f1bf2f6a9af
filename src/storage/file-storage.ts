/**
 * Crash-safe storage of a node's coordination state in one directory:
 *
 * - `hardstate`: current term and vote, one checksummed record, replaced by atomic rename.
 * - `snapshot`: the latest snapshot, one checksummed record, replaced by atomic rename.
 * - `log`: a header record {base, baseTerm} and then one record per entry, appended and fsynced.
 *   An entry whose index is at or below the last one replaces the tail from there. After a
 *   snapshot the log is rewritten (new file, fsync, rename) to start at the snapshot.
 *
 * Every rename is followed by an fsync of the directory. On load a torn tail record (a crash in
 * the middle of an append) is detected by its length or checksum and cut off; nothing that was
 * fsynced is lost. The snapshot is renamed before the log is rewritten, so after a crash between
 * the two the loader keeps only log entries that provably continue the snapshot.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { applyPersistOp, emptyPersisted, putEntry } from '../coordination/persist.js';
import type { LogEntry, PersistedState, PersistOp, Snapshot } from '../coordination/types.js';
import { decodeRecords, encodeRecord } from './records.js';

interface LogHeader {
  base: number;
  baseTerm: number;
}

export interface LoadReport {
  /** Bytes cut from the end of the log because they were not a whole, valid record. */
  tornBytes: number;
  /** Log entries dropped because they did not continue the snapshot. */
  droppedEntries: number;
}

export class FileStorage {
  private logFd: number | null = null;
  private mirror: PersistedState = emptyPersisted();
  lastLoad: LoadReport = { tornBytes: 0, droppedEntries: 0 };

  private constructor(readonly dir: string) {}

  /** Open (creating the directory if needed) and load the state; a torn log tail is cut off. */
  static open(dir: string): { storage: FileStorage; state: PersistedState } {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = new FileStorage(dir);
    const state = st.load();
    return { storage: st, state };
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  private readSingle(name: string): unknown {
    const p = this.path(name);
    if (!existsSync(p)) return undefined;
    const { values } = decodeRecords(readFileSync(p));
    return values[0];
  }

  private load(): PersistedState {
    const hs = this.readSingle('hardstate') as { term: number; votedFor: string | null } | undefined;
    const snapshot = (this.readSingle('snapshot') as Snapshot | undefined) ?? null;
    const state: PersistedState = { term: hs?.term ?? 0, votedFor: hs?.votedFor ?? null, snapshot, entries: [] };
    let torn = 0;
    let dropped = 0;
    const logPath = this.path('log');
    if (existsSync(logPath)) {
      const buf = readFileSync(logPath);
      const dec = decodeRecords(buf);
      torn = dec.tornBytes;
      if (torn > 0) {
        const fd = openSync(logPath, 'r+');
        ftruncateSync(fd, dec.goodBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
      const [header, ...rest] = dec.values as [LogHeader | undefined, ...LogEntry[]];
      // Rebuild the log as it was written, then keep what continues the snapshot.
      const log: PersistedState = { ...emptyPersisted(), snapshot: header ? { index: header.base, term: header.baseTerm, config: { members: [] }, data: '' } : null };
      for (const e of rest) putEntry(log, e);
      const base = header?.base ?? 0;
      const snapIndex = snapshot?.index ?? 0;
      if (!snapshot || (base === snapshot.index && header?.baseTerm === snapshot.term)) {
        state.entries = log.entries;
      } else {
        const at = log.entries.find((e) => e.index === snapIndex);
        if (at && at.term === snapshot.term) state.entries = log.entries.filter((e) => e.index > snapIndex);
        dropped = log.entries.length - state.entries.length;
      }
    }
    this.lastLoad = { tornBytes: torn, droppedEntries: dropped };
    this.mirror = { ...state, entries: state.entries.slice() };
    // Start every process with a clean log file that holds exactly what was loaded.
    this.rewriteLog();
    return state;
  }

  /** Make the operations durable, in order. Returns when everything is fsynced. */
  write(ops: PersistOp[]): void {
    let dirty = false;
    for (const op of ops) {
      if (op.kind === 'entries') {
        const fd = this.openLog();
        for (const e of op.entries) writeAll(fd, encodeRecord(e));
        dirty = true;
        applyPersistOp(this.mirror, op);
        continue;
      }
      if (dirty) { fsyncSync(this.openLog()); dirty = false; }
      applyPersistOp(this.mirror, op);
      if (op.kind === 'hard-state') {
        this.writeAtomic('hardstate', { term: op.term, votedFor: op.votedFor });
      } else {
        this.writeAtomic('snapshot', op.snapshot);
        this.rewriteLog();
      }
    }
    if (dirty) fsyncSync(this.openLog());
  }

  /** What is on disk now, as the next load would see it. */
  current(): PersistedState {
    return { ...this.mirror, entries: this.mirror.entries.slice() };
  }

  close(): void {
    if (this.logFd !== null) closeSync(this.logFd);
    this.logFd = null;
  }

  private openLog(): number {
    if (this.logFd === null) this.logFd = openSync(this.path('log'), 'a', 0o600);
    return this.logFd;
  }

  private rewriteLog(): void {
    this.close();
    const snap = this.mirror.snapshot;
    const parts = [encodeRecord({ base: snap?.index ?? 0, baseTerm: snap?.term ?? 0 } satisfies LogHeader)];
    for (const e of this.mirror.entries) parts.push(encodeRecord(e));
    this.replaceFile('log', Buffer.concat(parts));
  }

  private writeAtomic(name: string, value: unknown): void {
    this.replaceFile(name, encodeRecord(value));
  }

  private replaceFile(name: string, data: Buffer): void {
    const tmp = this.path(`${name}.tmp`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeAll(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path(name));
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
