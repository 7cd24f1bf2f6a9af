/** Seconds since the Unix epoch: the unit Pacemaker records times in (last-rc-change, execution-date). */
export type EpochSeconds = number;
/** Durations inside Vigil are milliseconds. */
export type Millis = number;

/**
 * Parse a Pacemaker/ISO-8601-ish duration ("10s", "5min", "1h", "2000ms", "30", "PT10S") into ms.
 * A bare number means seconds, as in Pacemaker's interval and timeout fields. Returns undefined when unparsable.
 */
export function parseDuration(text: string | number): Millis | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  const iso = /^p(?:(\d+)d)?(?:t(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?)?$/.exec(t);
  if (iso && t !== 'p' && t !== 'pt') {
    const [, d, h, m, s] = iso;
    return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
  }
  const m = /^(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr|d|us|usec)?$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'ms': case 'msec': return Math.round(n);
    case 'us': case 'usec': return Math.round(n / 1000);
    case 'm': case 'min': return n * 60_000;
    case 'h': case 'hr': return n * 3_600_000;
    case 'd': return n * 86_400_000;
    default: return Math.round(n * 1000);
  }
}
