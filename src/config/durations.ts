import type { Millis } from '../model/time.js';

/**
 * The duration texts vigil.yaml accepts (what parseDuration in the model understands), as one
 * regular expression so that the JSON Schema can carry it too.
 */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?\\s*(?:ms|msec|us|usec|s|sec|m|min|h|hr|d)?|P(?:\\d+D)?(?:T(?:\\d+H)?(?:\\d+M)?(?:\\d+(?:\\.\\d+)?S)?)?)$';

/** Shortest exact text for a duration: 10s, 500ms, 5min, 2h. */
export function formatDuration(ms: Millis): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
