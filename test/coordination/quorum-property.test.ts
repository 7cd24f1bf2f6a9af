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
