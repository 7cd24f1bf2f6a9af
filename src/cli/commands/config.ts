/**
 * `vigil config validate FILE` (vigil.yaml, a CIB XML file or a Heartbeat directory) and
 * `vigil config schema` (the JSON Schema of vigil.yaml, for editors). The options are declared in index.ts.
 */
import { writeFile } from 'node:fs/promises';
import { formatWarning, loadClusterConfig, vigilJsonSchemaText } from '../../config/index.js';
import type { ClusterConfig } from '../../model/cluster.js';

function summary(c: ClusterConfig): string {
  const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? '' : 's'}`;
  return `${n(c.nodes.length, 'node')}, ${n(c.resources.length, 'resource')}, ${n(c.constraints.length, 'constraint')}`;
}

/** `vigil config validate FILE` */
export async function validate(file: string, opts: { allowCrc?: boolean }): Promise<void> {
  const { kind, config, warnings } = await loadClusterConfig(file, { allowCrc: opts.allowCrc === true });
  const what = { 'vigil.yaml': 'vigil.yaml', heartbeat: 'Heartbeat v1 configuration', cib: 'CIB' }[kind];
  for (const w of warnings) process.stderr.write(`vigil: ${formatWarning(w)}\n`);
  process.stdout.write(`${file}: valid ${what} (${summary(config)}${warnings.length ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''})\n`);
}

/** `vigil config schema [-o FILE]` */
export async function schema(opts: { output?: string }): Promise<void> {
  if (opts.output) await writeFile(opts.output, vigilJsonSchemaText());
  else process.stdout.write(vigilJsonSchemaText());
}
