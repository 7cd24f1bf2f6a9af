/**
 * `vigil` command line. commands/index.ts declares every command and its options; each command's
 * implementation lives in its own module under commands/ and is imported only when it runs. This
 * file only wires them and turns input errors into one-line messages.
 */
import { Command, CommanderError } from 'commander';
import { InputError, InputErrors } from '../model/errors.js';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vigil')
    .description('Vigil high-availability cluster manager')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Exit codes: 0 ok, 1 operational failure, 2 bad input or usage. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed usage or help.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof InputErrors) {
    for (const e of err.errors) process.stderr.write(`vigil: ${e.format()}\n`);
    return 2;
  }
  if (err instanceof InputError) {
    process.stderr.write(`vigil: ${err.format()}\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`vigil: ${message}\n`);
  if (process.env.VIGIL_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}
