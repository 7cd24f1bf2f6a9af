import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorage } from '../../src/storage/file-storage.js';
import { applyPersistOp, emptyPersisted } from '../../src/coordination/persist.js';
import type { LogEntry, PersistedState, PersistOp } from '../../src/coordination/types.js';

/** A step description; turned into a valid operation against the current state. */
type Step = { kind: 'hs'; term: number } | { kind: 'append'; back: number; count: number; term: number } | { kind: 'snap'; back: number; keep: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('hs' as const), term: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('append' as const), back: fc.integer({ min: 0, max: 3 }), count: fc.integer({ min: 1, max: 4 }), term: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('snap' as const), back: fc.integer({ min: 0, max: 4 }), keep: fc.boolean() }),
);

function toOp(p: PersistedState, st: Step, n: number): PersistOp {
  const base = p.snapshot?.index ?? 0;
  const last = base + p.entries.length;
  if (st.kind === 'hs') return { kind: 'hard-state', term: st.term, votedFor: st.term % 2 ? 'a' : null };
  if (st.kind === 'append') {
    const from = Math.max(base + 1, last + 1 - st.back);
    const entries: LogEntry[] = Array.from({ length: st.count }, (_, i) => ({ index: from + i, term: st.term, data: { type: 'cib', update: { kind: 'node-attribute', node: 'a', name: 'k', value: `s${n}-${i}` } } }));
    return { kind: 'entries', entries };
  }
  const index = st.keep ? Math.max(base, last - st.back) : last + st.back + 1;
  const term = st.keep ? (p.entries.find((e) => e.index === index)?.term ?? p.snapshot?.term ?? 0) : 99;
  return { kind: 'snapshot', snapshot: { index, term, config: { members: [{ id: 'a', votes: 1 }] }, data: `snap-${n}` }, keepLog: st.keep };
}

test('whatever sequence of writes, reopening the files gives exactly the state the writes describe', () => {
  fc.assert(
    fc.property(fc.array(fc.array(stepArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), (batches) => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-storage-prop-'));
      try {
        let { storage } = FileStorage.open(dir);
        const want = emptyPersisted();
        let n = 0;
        for (const batch of batches) {
          const ops: PersistOp[] = [];
          for (const st of batch) {
            const op = toOp(want, st, n++);
            if (op.kind === 'snapshot' && op.keepLog && op.snapshot.index === (want.snapshot?.index ?? 0)) continue;
            applyPersistOp(want, op);
            ops.push(op);
          }
          storage.write(ops);
          // Reopen after every batch, as a restart would.
          storage.close();
          const r = FileStorage.open(dir);
          storage = r.storage;
          assert.deepEqual(r.state, want);
        }
        storage.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 60 },
  );
});
