/**
 * `vigil config validate FILE` (vigil.yaml, a CIB XML file or a Heartbeat directory) and
 * `vigil config schema` (the JSON Schema of vigil.yaml, for editors).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadCibXmlWithWarnings } from '../../config/cib/index.js';
import { formatWarning, loadHeartbeatDir, loadVigilYaml, vigilJsonSchemaText } from '../../config/index.js';
import type { ClusterConfig } from '../../model/cluster.js';
import { InputError, type Warning } from '../../model/errors.js';


async function readInput(file: string): Promise<{ kind: 'dir' } | { kind: 'file'; text: string }> {
  try {
    if ((await stat(file)).isDirectory()) return { kind: 'dir' };
    return { kind: 'file', text: await readFile(file, 'utf8') };
  } catch (e) {
    throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file }, { expected: 'a vigil.yaml, a CIB XML file or a Heartbeat directory' });
  }
}

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
      const input = await readInput(file);
      let config: ClusterConfig;
      let warnings: Warning[];
      let kind: string;
      if (input.kind === 'dir') {
        const hb = await loadHeartbeatDir(file, { allowCrc: opts.allowCrc === true });
        ({ config, warnings } = hb);
        kind = 'Heartbeat v1 configuration';
      } else if (/\.xml$/i.test(file) || input.text.trimStart().startsWith('<')) {
        const r = loadCibXmlWithWarnings(input.text, file);
        config = r.cib.config;
        warnings = r.warnings;
        kind = 'CIB';
      } else {
        ({ config, warnings } = loadVigilYaml(input.text, file));
        kind = 'vigil.yaml';
      }
      for (const w of warnings) process.stderr.write(`vigil: ${formatWarning(w)}\n`);
      process.stdout.write(`${file}: valid ${kind} (${summary(config)}${warnings.length ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''})\n`);
    });

  config.command('schema')
    .description('print the JSON Schema of vigil.yaml (schema/vigil.schema.json)')
    .option('-o, --output <file>', 'write it to this file')
    .action(async (opts: { output?: string }) => {
      if (opts.output) await writeFile(opts.output, vigilJsonSchemaText());
      else process.stdout.write(vigilJsonSchemaText());
    });
}
