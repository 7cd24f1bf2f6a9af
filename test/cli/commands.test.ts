import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { WHOLE_SIM_BUGS, WITNESS_NAME } from '../../src/cli/commands/index.js';
import { WHOLE_BUGS } from '../../src/sim/whole/command.js';
import { WITNESS_NODE } from '../../src/daemon/engine-config.js';

const root = new URL('../../..', import.meta.url).pathname;

test('the constants copied into the light command declarations agree with their sources', () => {
  assert.deepEqual(WHOLE_SIM_BUGS, [...WHOLE_BUGS]);
  assert.equal(WITNESS_NAME, WITNESS_NODE);
});

test('vigil starts without loading any command implementation (they are imported when a command runs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  try {
    // A module loader hook that appends every project module loaded to a file (synchronously: the
    // hooks run on their own thread, whose stderr can be lost when the process exits).
    const log = join(dir, 'loaded.txt');
    const prefix = pathToFileURL(root).href;
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith(${JSON.stringify(prefix)}) && !url.includes('/node_modules/')) appendFileSync(${JSON.stringify(log)}, url.slice(${prefix.length}) + '\\n');
  return next(url, context);
}\n`);
    writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const loaded = (args: string[]): string[] => {
      writeFileSync(log, '');
      const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), join(root, 'bin/vigil'), ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(log, 'utf8').split('\n').filter(Boolean).sort();
    };
    const startup = ['bin/vigil', 'dist/src/cli/commands/args.js', 'dist/src/cli/commands/index.js', 'dist/src/cli/main.js', 'dist/src/config/settings.js', 'dist/src/model/errors.js', 'dist/src/model/time.js'];
    assert.deepEqual(loaded(['--version']), startup);
    assert.deepEqual(loaded(['resource', 'move', '--help']), startup);
    // Running a command loads its own module.
    assert.ok(loaded(['config', 'schema']).includes('dist/src/cli/commands/config.js'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every command and subcommand has a description and an action or subcommands', () => {
  const walk = (c: Command, path: string[]): string[] => {
    const problems: string[] = [];
    for (const sub of c.commands) {
      const p = [...path, sub.name()];
      if (!sub.description()) problems.push(`${p.join(' ')}: no description`);
      // Commander keeps the action handler private; a command without subcommands must have one.
      const hasAction = (sub as unknown as { _actionHandler: unknown })._actionHandler !== null;
      if (sub.commands.length === 0 && !hasAction) problems.push(`${p.join(' ')}: no action`);
      problems.push(...walk(sub, p));
    }
    return problems;
  };
  assert.deepEqual(walk(buildProgram(), ['vigil']), []);
});

test('every command that finds the local daemon by --runtime-dir also finds it by -c/--config', () => {
  const missing: string[] = [];
  const walk = (c: Command, path: string[]): void => {
    for (const sub of c.commands) {
      const p = [...path, sub.name()];
      const longs = sub.options.map((o) => o.long);
      if (longs.includes('--runtime-dir') && !longs.includes('--config')) missing.push(p.join(' '));
      walk(sub, p);
    }
  };
  walk(buildProgram(), ['vigil']);
  assert.deepEqual(missing, []);
});
