/**
 * `vigil import heartbeat DIR` and `vigil import cib FILE`: print the equivalent vigil.yaml on
 * stdout (or into a file) and, on stderr, a warning for everything Vigil cannot honour.
 * The options are declared in index.ts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { loadCibXmlWithWarnings } from '../../config/cib/index.js';
import { emitVigilYaml, formatWarning, loadHeartbeatDir, settingsForCib } from '../../config/index.js';
import { InputError, type Warning } from '../../model/errors.js';

async function output(text: string, warnings: Warning[], out: string | undefined): Promise<void> {
  for (const w of warnings) process.stderr.write(`vigil: ${formatWarning(w)}\n`);
  if (out) await writeFile(out, text, { mode: 0o644 });
  else process.stdout.write(text);
}

/** `vigil import heartbeat DIR` */
export async function fromHeartbeat(dir: string, opts: { ocf?: boolean; allowCrc?: boolean; output?: string }): Promise<void> {
  const hb = await loadHeartbeatDir(dir, { useOcf: opts.ocf === true, allowCrc: opts.allowCrc === true, requireAuthkeys: false });
  if (!hb.authkeys) hb.warnings.unshift({ where: { file: `${dir}/authkeys` }, message: 'no authkeys file: create one (mode 0600) before starting the cluster' });
  const emitted = emitVigilYaml(hb.config, hb.settings, {
    header: [
      `vigil.yaml imported from Heartbeat v1 files in ${dir}`,
      'Heartbeat v1 behaviour: every haresources line is a group that prefers its node;',
      `auto_failback ${hb.haCf.autoFailback} => resource-stickiness ${hb.config.rscDefaults['resource-stickiness']}.`,
      'WARNING: no fencing and no quorum, as in Heartbeat v1: a network split runs the',
      'resources on both sides (split-brain). Add cluster.fencing or a witness.',
    ].join('\n'),
    comments: hb.notes,
  });
  await output(emitted.text, [...hb.warnings, ...emitted.warnings], opts.output);
}

/** `vigil import cib FILE` */
export async function fromCib(file: string, opts: { output?: string; nodeAddress: string[] }): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file }, { expected: 'a readable CIB XML file' });
  }
  const { cib, warnings } = loadCibXmlWithWarnings(text, file);
  const settings = settingsForCib(cib.config, file);
  for (const spec of opts.nodeAddress) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    const node = m ? settings.nodes.find((n) => n.name === m[1]) : undefined;
    if (!m || !node) {
      throw new InputError(m ? `unknown node "${m[1]}"` : `"${spec}" is not NAME=ADDRESS`, { file: '<command line>' },
        { field: '--node-address', expected: `NAME=ADDRESS with NAME one of ${settings.nodes.map((n) => n.name).join(', ')}` });
    }
    node.addresses = m[2].split(',');
  }
  const linkCount = Math.max(1, ...settings.nodes.map((n) => n.addresses.length));
  while (settings.transport.links.length < linkCount) {
    settings.transport.links.push({ ...settings.transport.links[0], name: `link${settings.transport.links.length}` });
  }
  const emitted = emitVigilYaml(cib.config, settings, {
    header: [
      `vigil.yaml imported from the Pacemaker CIB ${file}`,
      'Check cluster.nodes[].addresses (one per link), cluster.links, timing and quorum',
      'before using this file: a CIB does not hold them.',
    ].join('\n'),
  });
  const extra: Warning[] = [];
  const missing = settings.nodes.filter((n) => n.addresses.length !== linkCount).map((n) => n.name);
  if (cib.config.nodes.length > 1 && missing.length > 0) {
    extra.push({ where: { file }, message: `node addresses are not part of a CIB: add cluster.nodes[].addresses for ${missing.join(', ')} (or pass --node-address NAME=ADDRESS); the output does not load until you do` });
  }
  if (cib.status.nodes.length > 0) extra.push({ where: { file }, message: 'the status section (operation history, fail counts) is not part of vigil.yaml and is left out' });
  await output(emitted.text, [...warnings, ...emitted.warnings, ...extra], opts.output);
}
