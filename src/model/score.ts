/**
 * Scores follow Pacemaker's arithmetic: INFINITY is 1,000,000, and the infinities absorb.
 * -INFINITY wins over +INFINITY ("must not" beats "must"), finite sums saturate at ±INFINITY.
 */
export type Score = number;

export const INFINITY: Score = 1_000_000;
export const MINUS_INFINITY: Score = -INFINITY;

/** Add two scores the way Pacemaker does: -INF absorbs everything, then +INF, else a saturating sum. */
export function addScores(a: Score, b: Score): Score {
  if (a <= MINUS_INFINITY || b <= MINUS_INFINITY) return MINUS_INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return clampScore(a + b);
}

export function clampScore(n: number): Score {
  if (n >= INFINITY) return INFINITY;
  if (n <= MINUS_INFINITY) return MINUS_INFINITY;
  return Math.trunc(n);
}

/**
 * Parse a score as written in configuration: "INFINITY", "+INFINITY", "-INFINITY", "inf", "-inf",
 * or an integer. Returns undefined for anything else, so callers can report where it came from.
 * (Pacemaker also accepts "red"/"yellow"/"green" node-health names; those are resolved by callers.)
 */
export function parseScore(text: string | number): Score | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? clampScore(text) : undefined;
  const t = text.trim().toLowerCase();
  if (t === 'infinity' || t === '+infinity' || t === 'inf' || t === '+inf') return INFINITY;
  if (t === '-infinity' || t === '-inf') return MINUS_INFINITY;
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  return clampScore(Number.parseInt(t, 10));
}

export function formatScore(s: Score): string {
  if (s >= INFINITY) return 'INFINITY';
  if (s <= MINUS_INFINITY) return '-INFINITY';
  return String(s);
}
