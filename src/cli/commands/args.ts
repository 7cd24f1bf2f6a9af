/**
 * Small argument helpers shared by the command declarations (index.ts) and the command
 * implementations. Kept free of heavy imports: index.ts loads this on every `vigil` start.
 */
import { InputError } from '../../model/errors.js';
import { parseDuration } from '../../model/time.js';

export const WHERE = { file: '<command line>' };

/** Option parser for repeatable name=value options (--param, --meta). */
export function collectPairs(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InputError(`"${value}" is not name=value`, WHERE, { field: '--param/--meta', expected: 'name=value' });
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Option parser for repeatable options collected into a list. */
export const collectList = (v: string, prev: string[]): string[] => [...prev, v];

/** Option parser for an integer within [min, max]. */
export function int(name: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InputError(`invalid value '${text}'`, WHERE, { field: name, expected: `an integer from ${min} to ${max}` });
    }
    return n;
  };
}

export function duration(text: string, field: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InputError(`"${text}" is not a duration`, WHERE, { field, expected: 'e.g. 20s, 500ms, 2min' });
  return ms;
}

/** Log levels of `vigil start` (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** Bugs `vigil sim --planted-bug` can plant in the coordination simulator. */
export const SIM_BUGS = ['double-vote', 'no-lease-wait'] as const;
