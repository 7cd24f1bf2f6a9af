import type { Command } from 'commander';

/** Every CLI command module exports a function that adds its command(s) to the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
