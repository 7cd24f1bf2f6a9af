/**
 * `vigil config validate FILE` (vigil.yaml, a CIB XML file or a Heartbeat directory) and
 * `vigil config schema` (the JSON Schema of vigil.yaml, for editors).
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatWarning, loadClusterConfig, vigilJsonSchemaText } from '../../config/index.js';
import type { ClusterConfig } from '../../model/cluster.js';

function summary(c: ClusterConfig): string {
  const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
  return `${n(c.nodes.length, 'node')}, ${n(c.resources.length, 'resource')}, ${n(c.constraints.length, 'constraint')}`;
}

export function register(program: Command): void {
  const config = program.command('config').description('check and describe cluster configuration files');

  config.command('validate')
    .description('check a vigil.yaml (or a CIB XML file, or a Heartbeat v1 directory); print every error with file:line:column')
    .argument('<file>', 'vigil.yaml, CIB XML or a directory with ha.cf/authkeys/haresources')
    .option('--allow-crc', 'Heartbeat: accept a crc authkeys entry')
    .action(async (file: string, opts: { allowCrc?: boolean }) => {
      const { kind, config, warnings } = await loadClusterConfig(file, { allowCrc: opts.allowCrc === true });
      const what = { 'vigil.yaml': 'vigil.yaml', heartbeat: 'Heartbeat v1 configuration', cib: 'CIB' }[kind];
      for (const w of warnings) process.stderr.write(`vigil: ${formatWarning(w)}\n`);
      process.stdout.write(`${file}: valid ${what} (${summary(config)}${warnings.length ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''})\n`);
    });

  config.command('schema')
    .description('print the JSON Schema of vigil.yaml (schema/vigil.schema.json)')
    .option('-o, --output <file>', 'write it to this file')
    .action(async (opts: { output?: string }) => {
      if (opts.output) await writeFile(opts.output, vigilJsonSchemaText());
      else process.stdout.write(vigilJsonSchemaText());
    });
}
