import type { SourceRef } from './cluster.js';

/**
 * An error in user input (configuration, CIB, command line). It always says where and what was
 * expected, and the CLI prints it without a stack trace.
 */
export class InputError extends Error {
  readonly where: SourceRef;
  readonly field: string | undefined;
  readonly expected: string | undefined;

  constructor(message: string, where: SourceRef, opts: { field?: string; expected?: string } = {}) {
    super(message);
    this.name = 'InputError';
    this.where = where;
    this.field = opts.field;
    this.expected = opts.expected;
  }

  /** `file:line:col: field: message (expected ...)` — the one-line form the CLI prints. */
  format(): string {
    const pos = [this.where.file, this.where.line, this.where.column].filter((p) => p !== undefined).join(':');
    const field = this.field ? `${this.field}: ` : '';
    const expected = this.expected ? ` (expected ${this.expected})` : '';
    return `${pos}: ${field}${this.message}${expected}`;
  }
}

/** Several input errors found in one pass; loaders report all they can, not just the first. */
export class InputErrors extends Error {
  readonly errors: InputError[];
  constructor(errors: InputError[]) {
    super(errors.map((e) => e.format()).join('\n'));
    this.name = 'InputErrors';
    this.errors = errors;
  }
}

/** A warning from a loader or importer: something accepted but not honoured, or unsafe. */
export interface Warning {
  where?: SourceRef;
  message: string;
}
