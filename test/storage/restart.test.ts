import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorage } from '../../src/storage/file-storage.js';
import { encodeRecord } from '../../src/storage/records.js';
import { lastIndex } from '../../src/coordination/log.js';
import { createNode, DEFAULT_TIMING, isDc, step, type NodeState } from '../../src/coordination/node.js';
import type { Input, LogEntry, Output } from '../../src/coordination/types.js';

/** One node driven through real files: every write is made durable before its messages and the ack. */
class DiskNode {
  storage: FileStorage;
  node: NodeState;
  applied: LogEntry[] = [];
  now = 0;
  constructor(readonly dir: string) {
    const { storage, state } = FileStorage.open(dir);
    this.storage = storage;
    this.node = createNode({ id: 'a', bootstrap: { members: [{ id: 'a', votes: 1 }] }, opts: { timing: { ...DEFAULT_TIMING }, quorum: {} }, persisted: state, now: this.now, seed: 9 });
  }
  feed(input: Input): void {
    const { output } = step(this.node, input);
    this.handle(output);
  }
  private handle(out: Output): void {
    this.applied.push(...out.apply);
    if (out.persist.length) {
      this.storage.write(out.persist);
      this.handle(step(this.node, { type: 'persisted', now: this.now, seq: out.persistSeq }).output);
    }
  }
  untilDc(): void {
    for (let i = 0; i < 500 && !isDc(this.node, this.now); i++) {
      this.now += 10;
      this.feed({ type: 'tick', now: this.now });
    }
    assert.ok(isDc(this.node, this.now), 'became DC');
  }
  propose(v: string): void {
    this.feed({ type: 'propose', now: this.now, update: { kind: 'node-attribute', node: 'a', name: 'k', value: v } });
  }
}

const values = (es: LogEntry[]): string[] => es.flatMap((e) => (e.data.type === 'cib' && e.data.update.kind === 'node-attribute' ? [String(e.data.update.value)] : []));

test('a node restarted from its files keeps its term, vote, snapshot and every committed entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-restart-'));
  try {
    const a = new DiskNode(dir);
    a.untilDc();
    for (let i = 0; i < 10; i++) a.propose(`v${i}`);
    a.feed({ type: 'compact', now: a.now, index: a.node.appliedIndex, data: JSON.stringify(values(a.applied)) });
    for (let i = 10; i < 15; i++) a.propose(`v${i}`);
    const term = a.node.term;
    const last = a.node.commitIndex;
    a.storage.close();
    // "kill -9": the in-memory state is gone; a new process loads the files.
    const b = new DiskNode(dir);
    assert.equal(b.node.term, term);
    assert.equal(b.node.votedFor, 'a');
    assert.deepEqual(JSON.parse(b.node.log.snapshot?.data ?? '[]'), values(a.applied).slice(0, 10));
    b.untilDc();
    assert.ok(b.node.term > term);
    assert.ok(b.node.commitIndex > last);
    assert.deepEqual(values(b.applied), values(a.applied).slice(10));
    b.storage.close();
    // A crash in the middle of an append (never acknowledged): half a record at the end of the log.
    const rec = encodeRecord({ index: b.node.commitIndex + 1, term: b.node.term, data: { type: 'noop' } });
    appendFileSync(join(dir, 'log'), rec.subarray(0, rec.length - 7));
    const c = new DiskNode(dir);
    assert.equal(c.storage.lastLoad.tornBytes, rec.length - 7);
    assert.equal(lastIndex(c.node.log), b.node.commitIndex);
    c.untilDc();
    assert.deepEqual(values(c.applied), values(b.applied));
    c.storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
