#!/usr/bin/env node
// `npm run bench -- NAME [args...]`: builds, then runs dist/bench/NAME.js. Each benchmark prints
// its figures and ends with one line of JSON.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const [name, ...rest] = process.argv.slice(2);
const benchDir = join(root, 'dist/bench');

const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (build.status !== 0) console.error('bench: the build reported errors; running what was emitted');

const available = existsSync(benchDir) ? readdirSync(benchDir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)) : [];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (available: ${available.join(', ') || 'none'})`);
  process.exit(2);
}
const res = spawnSync(process.execPath, [join(benchDir, `${name}.js`), ...rest], { stdio: 'inherit', cwd: root });
process.exit(res.status ?? 1);
