import type { Warning } from '../model/errors.js';

/** `file:line:col: warning: message` (the position parts that are known). */
export function formatWarning(w: Warning): string {
  const pos = w.where ? [w.where.file, w.where.line, w.where.column].filter((p) => p !== undefined).join(':') : '';
  return `${pos ? `${pos}: ` : ''}warning: ${w.message}`;
}
