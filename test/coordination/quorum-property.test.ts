import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isQuorum, quorumValue } from '../../src/coordination/quorum.js';
import type { MembershipConfig } from '../../src/coordination/types.js';

const configArb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 7 }).map(
  (votes): MembershipConfig => ({ members: votes.map((v, i) => ({ id: `n${i}`, votes: v })) }),
);

test('any two quorums share a voter (weighted votes, any expected_votes)', () => {
  fc.assert(
    fc.property(configArb, fc.integer({ min: 0, max: 12 }), fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), (cfg, expected, a, b) => {
      const opts = { expectedVotes: expected };
      const inA = (id: string) => a[Number(id.slice(1))];
      const inB = (id: string) => b[Number(id.slice(1))];
      if (isQuorum(cfg, opts, inA) && isQuorum(cfg, opts, inB)) {
        assert.ok(cfg.members.some((m) => m.votes > 0 && inA(m.id) && inB(m.id)));
      }
    }),
  );
});

test('quorumValue is the largest x such that the voters at or above x form a quorum', () => {
  fc.assert(
    fc.property(configArb, fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 7, maxLength: 7 }), (cfg, values) => {
      const value = (id: string) => values[Number(id.slice(1))];
      const q = quorumValue(cfg, {}, value);
      if (q === -Infinity) {
        // Only when even all voters together are no quorum (e.g. every node has 0 votes).
        assert.equal(isQuorum(cfg, {}, () => true), false);
        return;
      }
      assert.ok(isQuorum(cfg, {}, (id) => value(id) >= q));
      assert.ok(!isQuorum(cfg, {}, (id) => value(id) > q));
    }),
  );
});

test('a membership change of one vote keeps every old quorum intersecting every new quorum', () => {
  fc.assert(
    fc.property(
      configArb, fc.integer({ min: 0, max: 7 }), fc.constantFrom(-1, 1, 'add', 'remove'),
      fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      (cfg, pick, change, a, b) => {
        const idx = pick % cfg.members.length;
        let next: MembershipConfig;
        if (change === 'add') next = { members: [...cfg.members, { id: 'n7', votes: 1 }] };
        else if (change === 'remove') {
          if (cfg.members[idx].votes > 1) return; // refused: lower its votes first
          next = { members: cfg.members.filter((_, i) => i !== idx) };
        } else {
          const v = cfg.members[idx].votes + (change as number);
          if (v < 0) return;
          next = { members: cfg.members.map((m, i) => (i === idx ? { ...m, votes: v } : m)) };
        }
        const inA = (id: string) => a[Number(id.slice(1))];
        const inB = (id: string) => b[Number(id.slice(1))];
        if (isQuorum(cfg, {}, inA) && isQuorum(next, {}, inB)) {
          // A node that counted in both: a voter in A under the old votes and in B under the new.
          const oldVoter = (id: string) => cfg.members.some((m) => m.id === id && m.votes > 0);
          const newVoter = (id: string) => next.members.some((m) => m.id === id && m.votes > 0);
          const ids = new Set([...cfg.members, ...next.members].map((m) => m.id));
          assert.ok([...ids].some((id) => inA(id) && oldVoter(id) && inB(id) && newVoter(id)), JSON.stringify({ cfg, next, a, b }));
        }
      },
    ),
    { numRuns: 5000 },
  );
});
