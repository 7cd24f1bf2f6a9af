import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorage } from '../../src/storage/file-storage.js';
import { decodeRecords, encodeRecord } from '../../src/storage/records.js';
import type { LogEntry, Snapshot } from '../../src/coordination/types.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'vigil-storage-'));
}

function entry(index: number, term: number, value = `v${index}`): LogEntry {
  return { index, term, data: { type: 'cib', update: { kind: 'node-attribute', node: 'a', name: 'k', value } } };
}

function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) if (statSync(join(from, f)).isFile()) copyFileSync(join(from, f), join(to, f));
}

test('hard state, entries, tail replacement and snapshots survive a reopen', () => {
  const dir = tmp();
  try {
    const { storage } = FileStorage.open(dir);
    storage.write([{ kind: 'hard-state', term: 3, votedFor: 'b' }, { kind: 'entries', entries: [entry(1, 1), entry(2, 1), entry(3, 2)] }]);
    // A new leader overwrites the tail from index 3.
    storage.write([{ kind: 'entries', entries: [entry(3, 3, 'x'), entry(4, 3)] }]);
    storage.close();
    let { storage: s2, state } = FileStorage.open(dir);
    assert.equal(state.term, 3);
    assert.equal(state.votedFor, 'b');
    assert.deepEqual(state.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 1], [3, 3], [4, 3]]);
    const snap: Snapshot = { index: 2, term: 1, config: { members: [{ id: 'a', votes: 1 }] }, data: '{"x":1}' };
    s2.write([{ kind: 'snapshot', snapshot: snap, keepLog: true }]);
    s2.close();
    ({ storage: s2, state } = FileStorage.open(dir));
    assert.deepEqual(state.snapshot, snap);
    assert.deepEqual(state.entries.map((e) => e.index), [3, 4]);
    // A snapshot installed from a leader replaces the whole log.
    s2.write([{ kind: 'snapshot', snapshot: { ...snap, index: 10, term: 4 }, keepLog: false }]);
    s2.close();
    ({ storage: s2, state } = FileStorage.open(dir));
    assert.equal(state.snapshot?.index, 10);
    assert.deepEqual(state.entries, []);
    s2.write([{ kind: 'entries', entries: [entry(11, 4)] }]);
    s2.close();
    ({ state } = FileStorage.open(dir));
    assert.deepEqual(state.entries.map((e) => e.index), [11]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a log cut at every byte offset of the last record loses only that record', () => {
  const dir = tmp();
  try {
    const { storage } = FileStorage.open(dir);
    storage.write([{ kind: 'hard-state', term: 2, votedFor: 'a' }]);
    storage.write([{ kind: 'entries', entries: [entry(1, 1), entry(2, 2)] }]);
    const before = statSync(join(dir, 'log')).size;
    storage.write([{ kind: 'entries', entries: [entry(3, 2, 'the-last-record')] }]);
    storage.close();
    const after = statSync(join(dir, 'log')).size;
    assert.ok(after > before + 20);
    for (let cut = before; cut < after; cut++) {
      const d = join(dir, `cut-${cut}`);
      copyDir(dir, d);
      truncateSync(join(d, 'log'), cut);
      const { storage: s, state } = FileStorage.open(d);
      assert.deepEqual(state.entries.map((e) => e.index), [1, 2], `cut at ${cut}`);
      assert.equal(s.lastLoad.tornBytes, cut - before);
      assert.equal(state.term, 2);
      // The torn tail is gone from the file: a new append after it is read back.
      s.write([{ kind: 'entries', entries: [entry(3, 2, 'again')] }]);
      s.close();
      const again = FileStorage.open(d);
      assert.deepEqual(again.state.entries.map((e) => e.index), [1, 2, 3]);
      assert.equal((again.state.entries[2].data as { update: { value: string } }).update.value, 'again');
      again.storage.close();
      rmSync(d, { recursive: true, force: true });
    }
    // Uncut, all three are there.
    const full = FileStorage.open(dir);
    assert.deepEqual(full.state.entries.map((e) => e.index), [1, 2, 3]);
    full.storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a flipped bit in the last record is detected by its checksum and the record dropped', () => {
  const dir = tmp();
  try {
    const { storage } = FileStorage.open(dir);
    storage.write([{ kind: 'entries', entries: [entry(1, 1), entry(2, 1)] }]);
    storage.close();
    const p = join(dir, 'log');
    const buf = readFileSync(p);
    buf[buf.length - 3] ^= 0x10;
    writeFileSync(p, buf);
    const { storage: s, state } = FileStorage.open(dir);
    assert.deepEqual(state.entries.map((e) => e.index), [1]);
    assert.ok(s.lastLoad.tornBytes > 0);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a crash between writing a snapshot and rewriting the log keeps only entries that continue the snapshot', () => {
  const dir = tmp();
  try {
    const { storage } = FileStorage.open(dir);
    storage.write([{ kind: 'entries', entries: [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)] }]);
    storage.close();
    const keep = join(dir, 'keep');
    copyDir(dir, keep);
    // Snapshot file renamed into place, log not yet rewritten (the old log carries on from it).
    writeFileSync(join(keep, 'snapshot'), encodeRecord({ index: 2, term: 1, config: { members: [] }, data: '' }));
    let r = FileStorage.open(keep);
    assert.deepEqual(r.state.entries.map((e) => e.index), [3, 4]);
    r.storage.close();
    // A snapshot from a leader whose term at that index differs: the old entries conflict, drop them all.
    const drop = join(dir, 'drop');
    copyDir(dir, drop);
    writeFileSync(join(drop, 'snapshot'), encodeRecord({ index: 3, term: 5, config: { members: [] }, data: '' }));
    r = FileStorage.open(drop);
    assert.deepEqual(r.state.entries, []);
    assert.equal(r.storage.lastLoad.droppedEntries, 4);
    r.storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records: a short or corrupt header ends decoding without throwing', () => {
  const a = encodeRecord({ a: 1 });
  const b = encodeRecord({ b: 2 });
  const buf = Buffer.concat([a, b]);
  for (let cut = 0; cut <= buf.length; cut++) {
    const d = decodeRecords(buf.subarray(0, cut));
    assert.equal(d.values.length, cut >= buf.length ? 2 : cut >= a.length ? 1 : 0);
    assert.equal(d.goodBytes + d.tornBytes, cut);
  }
});
