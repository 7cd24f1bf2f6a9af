/**
 * A small seeded pseudo-random generator (mulberry32): 32 bits of state, so a node's randomness
 * is a plain number in its state and a whole simulation replays from one seed.
 */

/** Advance the state; returns the new state and a float in [0, 1). */
export function nextRandom(state: number): { state: number; value: number } {
  const s = (state + 0x6d2b79f5) | 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { state: s, value: ((t ^ (t >>> 14)) >>> 0) / 4294967296 };
}

/** A mutable generator for hosts (the simulator) that draw many numbers. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0;
    // Mix the seed so that nearby seeds start far apart.
    for (let i = 0; i < 4; i++) this.next();
  }
  /** A float in [0, 1). */
  next(): number {
    const r = nextRandom(this.s);
    this.s = r.state;
    return r.value;
  }
  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** A float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** A 32-bit seed for a sub-generator. */
  seed(): number {
    return Math.floor(this.next() * 4294967296) | 0;
  }
}
