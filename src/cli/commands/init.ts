/**
 * `vigil init`: a vigil.yaml skeleton and a fresh 0600 authkey for a new cluster. Refuses to
 * overwrite either (a new key on one node would cut it off from the others).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../model/errors.js';

export function skeleton(name: string, nodes: Array<{ name: string; address: string }>, authkey: string): string {
  return `# vigil.yaml — ${name}. Reference: docs/configuration.md; check with \`vigil config validate\`.
cluster:
  name: ${name}
  authkey: ${authkey}          # the same file (mode 0600) on every node
  nodes:
${nodes.map((n) => `    - { name: ${n.name}, addresses: [${n.address}] }`).join('\n')}
  links:
    - { transport: unicast, port: 694 }
  timing: { keepalive: 250ms, warntime: 750ms, deadtime: 1s, initdead: 10s }
  fencing:
    # A lost node's resources are recovered only after it is fenced. Add fence devices, or
    # self-fencing: a node without quorum stops everything within watchdog_timeout.
    watchdog_timeout: 5s
  no_quorum_policy: stop

resources:
  - primitive: vip
    agent: builtin:vip
    params: { ip: 192.0.2.100, cidr_netmask: 24 }
    ops:
      - { name: monitor, interval: 5s, timeout: 20s }

defaults:
  resources: { resource-stickiness: 100 }
`;
}

/** `vigil init` */
export function init(o: { name: string; node?: string[]; dir: string }): void {
  const dir = resolve(o.dir);
  const cfg = join(dir, 'vigil.yaml');
  const key = join(dir, 'authkey');
  for (const f of [cfg, key]) if (existsSync(f)) throw new InputError('already exists; not overwritten', { file: f }, { expected: 'a directory without vigil.yaml and authkey' });
  const nodes = (o.node ?? ['node1=192.0.2.1']).map((s) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(\S+)$/.exec(s);
    if (!m) throw new InputError(`bad --node "${s}"`, { file: '<command line>' }, { field: '--node', expected: 'NAME=ADDRESS' });
    return { name: m[1], address: m[2] };
  });
  mkdirSync(dirname(cfg), { recursive: true, mode: 0o755 });
  writeFileSync(key, randomBytes(32), { mode: 0o600, flag: 'wx' });
  writeFileSync(cfg, skeleton(o.name, nodes, key), { flag: 'wx' });
  process.stdout.write(`wrote ${cfg} and ${key} (mode 0600)\ncopy both to every node, then: vigil config validate ${cfg} && vigil start --config ${cfg} --node NAME\n`);
}
