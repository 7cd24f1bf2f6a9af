import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addScores, INFINITY, MINUS_INFINITY, parseScore, formatScore } from '../../src/model/score.js';

const score = fc.oneof(fc.integer({ min: -2 * INFINITY, max: 2 * INFINITY }), fc.constantFrom(INFINITY, MINUS_INFINITY, 0));

test('-INFINITY absorbs everything, including +INFINITY', () => {
  assert.equal(addScores(INFINITY, MINUS_INFINITY), MINUS_INFINITY);
  assert.equal(addScores(MINUS_INFINITY, INFINITY), MINUS_INFINITY);
  assert.equal(addScores(MINUS_INFINITY, 5), MINUS_INFINITY);
});

test('+INFINITY absorbs finite scores', () => {
  assert.equal(addScores(INFINITY, -999_999), INFINITY);
  assert.equal(addScores(10, INFINITY), INFINITY);
});

test('finite sums saturate', () => {
  assert.equal(addScores(600_000, 600_000), INFINITY);
  assert.equal(addScores(-600_000, -600_000), MINUS_INFINITY);
  assert.equal(addScores(100, -30), 70);
});

test('score addition is commutative, stays within bounds, and is associative while no sum saturates', () => {
  fc.assert(fc.property(score, score, (a, b) => addScores(a, b) === addScores(b, a)));
  // Saturation makes the sum order-dependent (600k + 600k - 600k), as in Pacemaker; infinities still absorb.
  const small = fc.integer({ min: -300_000, max: 300_000 });
  fc.assert(fc.property(small, small, small, (a, b, c) => addScores(addScores(a, b), c) === addScores(a, addScores(b, c))));
  fc.assert(fc.property(score, score, (a, b) => addScores(addScores(a, MINUS_INFINITY), b) === MINUS_INFINITY));
  fc.assert(fc.property(score, score, (a, b) => {
    const s = addScores(a, b);
    return s >= MINUS_INFINITY && s <= INFINITY;
  }));
});

test('parseScore reads the forms configuration uses', () => {
  assert.equal(parseScore('INFINITY'), INFINITY);
  assert.equal(parseScore('+INFINITY'), INFINITY);
  assert.equal(parseScore('-INFINITY'), MINUS_INFINITY);
  assert.equal(parseScore('-inf'), MINUS_INFINITY);
  assert.equal(parseScore('250'), 250);
  assert.equal(parseScore('5000000'), INFINITY);
  assert.equal(parseScore('abc'), undefined);
  assert.equal(formatScore(parseScore('-INFINITY')!), '-INFINITY');
});
