/**
 * Heartbeat v1 `haresources`: one line per resource group, `node resource resource ...`.
 * The node is the group's preferred node; resources start left to right and stop right to left.
 * A resource is `Script::arg1::arg2` (a Heartbeat resource script, or an init script) or a bare IP
 * address, which means `IPaddr::address`. A line ending in `\` continues on the next.
 */
import type { SourceRef } from '../../model/cluster.js';
import { InputError, InputErrors } from '../../model/errors.js';

export interface HaResource {
  /** Script name (IPaddr, Filesystem, httpd, ...). */
  script: string;
  args: string[];
  /** As written on the line. */
  text: string;
  where: SourceRef;
}

export interface HaResourceGroup {
  node: string;
  resources: HaResource[];
  where: SourceRef;
}

const IP_LIKE = /^\d{1,3}(?:\.\d{1,3}){3}(?:\/.*)?$/;
const SCRIPT = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

export function parseHaresources(text: string, file: string): HaResourceGroup[] {
  const errors: InputError[] = [];
  const groups: HaResourceGroup[] = [];
  // Join continuation lines, remembering where each word came from.
  type Word = { text: string; where: SourceRef };
  const logical: Word[][] = [];
  let current: Word[] | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const noComment = raw.replace(/#.*$/, '');
    const continues = /\\\s*$/.test(noComment);
    const body = continues ? noComment.replace(/\\\s*$/, '') : noComment;
    const words: Word[] = [];
    for (const m of body.matchAll(/\S+/g)) words.push({ text: m[0], where: { file, line: i + 1, column: (m.index ?? 0) + 1 } });
    if (current) current.push(...words);
    else if (words.length > 0 || continues) current = words;
    if (!continues && current) {
      if (current.length > 0) logical.push(current);
      current = undefined;
    }
  });
  if (current && current.length > 0) logical.push(current);

  for (const words of logical) {
    const [node, ...rest] = words;
    if (rest.length === 0) {
      errors.push(new InputError(`line for node "${node.text}" lists no resources`, node.where, { field: node.text, expected: 'node resource [resource...]' }));
      continue;
    }
    const resources: HaResource[] = [];
    for (const w of rest) {
      if (IP_LIKE.test(w.text)) {
        resources.push({ script: 'IPaddr', args: [w.text], text: w.text, where: w.where });
        continue;
      }
      const [script, ...args] = w.text.split('::');
      if (!SCRIPT.test(script)) {
        errors.push(new InputError(`"${w.text}" is not a resource`, w.where, { field: node.text, expected: 'Script, Script::arg::arg or an IP address' }));
        continue;
      }
      if (args.some((a) => a === '')) {
        errors.push(new InputError(`"${w.text}" has an empty argument`, w.where, { field: script, expected: `${script}::arg1::arg2` }));
        continue;
      }
      resources.push({ script, args, text: w.text, where: w.where });
    }
    groups.push({ node: node.text, resources, where: node.where });
  }
  if (errors.length > 0) throw new InputErrors(errors);
  return groups;
}
