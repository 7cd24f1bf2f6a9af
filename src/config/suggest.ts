/** "Did you mean" for unknown names: the closest known name, if it is close enough to be a typo. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    // Same name but with - instead of _ (on-fail vs on_fail) or other case: always suggest.
    const d = norm(k) === norm(word) ? 0 : editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance, small inputs only (field names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

export function didYouMean(word: string, known: readonly string[]): string {
  const k = closest(word, known);
  return k === undefined ? '' : ` — did you mean "${k}"?`;
}
