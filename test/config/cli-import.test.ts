import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVigilYaml } from '../../src/config/vigil/load.js';
import { vigilJsonSchemaText } from '../../src/config/vigil/schema.js';
import type { Group } from '../../src/model/cluster.js';

const root = new URL('../../../', import.meta.url).pathname;

function vigil(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/vigil'), ...args], { encoding: 'utf8', cwd: root });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('schema/vigil.schema.json is up to date (regenerate: bin/vigil config schema -o schema/vigil.schema.json)', async () => {
  const committed = await readFile(join(root, 'schema/vigil.schema.json'), 'utf8');
  assert.ok(committed === vigilJsonSchemaText(), 'schema/vigil.schema.json is out of date: run bin/vigil config schema -o schema/vigil.schema.json');
  const printed = vigil('config', 'schema');
  assert.equal(printed.status, 0);
  assert.ok(printed.stdout === committed, 'bin/vigil config schema prints something else than the committed schema');
  const schema = JSON.parse(committed) as { properties: Record<string, unknown>; required: string[] };
  assert.deepEqual(Object.keys(schema.properties), ['cluster', 'resources', 'constraints', 'defaults']);
  assert.deepEqual(schema.required, ['cluster']);
});

test('vigil import heartbeat prints loadable vigil.yaml and warns on stderr', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-import-'));
  try {
    await writeFile(join(dir, 'ha.cf'), 'keepalive 1\ndeadtime 10\nucast eth0 192.0.2.2\nucast eth0 192.0.2.1\nauto_failback off\nnode n1 n2\nlogfacility local0\n');
    await writeFile(join(dir, 'authkeys'), 'auth 1\n1 sha1 0123456789abcdef0123\n', { mode: 0o600 });
    await writeFile(join(dir, 'haresources'), 'n1 192.0.2.10 httpd\n');
    const r = vigil('import', 'heartbeat', dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# vigil\.yaml imported from Heartbeat v1 files/);
    assert.match(r.stdout, /# haresources line 1: 192\.0\.2\.10\. OCF equivalent: ocf:heartbeat:IPaddr2 ip=192\.0\.2\.10/);
    assert.match(r.stderr, /ha\.cf:7:1: warning: logfacility: not used/);
    assert.match(r.stderr, /warning: Heartbeat v1 semantics: no fencing and no quorum/);
    const y = loadVigilYaml(r.stdout, join(dir, 'vigil.yaml'));
    assert.equal(y.config.rscDefaults['resource-stickiness'], '1000');
    assert.deepEqual((y.config.resources[0] as Group).members.map((m) => m.agent.class), ['heartbeat', 'heartbeat']);
    assert.deepEqual(y.settings.transport.links[0].peers, ['192.0.2.2', '192.0.2.1']);

    const ocf = vigil('import', 'heartbeat', '--ocf', dir, '-o', join(dir, 'out.yaml'));
    assert.equal(ocf.status, 0, ocf.stderr);
    const y2 = loadVigilYaml(await readFile(join(dir, 'out.yaml'), 'utf8'), 'out.yaml');
    assert.deepEqual((y2.config.resources[0] as Group).members.map((m) => `${m.agent.class}:${m.agent.type}`), ['ocf:IPaddr2', 'lsb:httpd']);

    const valid = vigil('config', 'validate', dir);
    assert.equal(valid.status, 0, valid.stderr);
    assert.match(valid.stdout, /: valid Heartbeat v1 configuration \(2 nodes, 1 resource, 1 constraint, \d+ warnings\)\n$/);

    await writeFile(join(dir, 'haresources'), 'n3 192.0.2.10\n');
    const bad = vigil('import', 'heartbeat', dir);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr, `vigil: ${join(dir, 'haresources')}:1:1: n3: node "n3" is not a node in ${join(dir, 'ha.cf')} (expected one of n1, n2)\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const CIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0">
  <configuration>
    <crm_config>
      <cluster_property_set id="opts">
        <nvpair id="o1" name="stonith-enabled" value="false"/>
        <nvpair id="o2" name="no-quorum-policy" value="freeze"/>
        <nvpair id="o3" name="symmetric-cluster" value="true"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="alpha"/>
      <node id="2" uname="beta"/>
    </nodes>
    <resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="192.0.2.10"/></instance_attributes>
        <operations><op id="vip-mon" name="monitor" interval="10s" timeout="20s"/></operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="prefer-alpha" rsc="vip" node="alpha" score="50"/>
    </constraints>
  </configuration>
  <status/>
</cib>
`;

test('vigil import cib prints vigil.yaml for the configuration section', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-import-cib-'));
  try {
    await writeFile(join(dir, 'cib.xml'), CIB);
    const r = vigil('import', 'cib', join(dir, 'cib.xml'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /node addresses are not part of a CIB/);
    assert.match(r.stdout, /enabled: false/);
    assert.match(r.stdout, /no_quorum_policy: freeze/);
    assert.match(r.stdout, /symmetric-cluster: "true"/);
    // With the addresses filled in, as the warning asks, it loads.
    const filled = r.stdout.replace('- name: alpha', '- name: alpha\n      addresses: [192.0.2.1]').replace('- name: beta', '- name: beta\n      addresses: [192.0.2.2]');
    const y = loadVigilYaml(filled, 'imported.yaml');
    assert.equal(y.config.resources[0].id, 'vip');
    assert.equal(y.config.constraints[0].id, 'prefer-alpha');
    assert.equal(y.settings.noQuorumPolicy, 'freeze');

    const given = vigil('import', 'cib', join(dir, 'cib.xml'), '--node-address', 'alpha=192.0.2.1', '--node-address', 'beta=192.0.2.2');
    assert.equal(given.status, 0, given.stderr);
    assert.doesNotMatch(given.stderr, /node addresses/);
    assert.deepEqual(loadVigilYaml(given.stdout, 'imported.yaml').settings.nodes.map((n) => n.addresses), [['192.0.2.1'], ['192.0.2.2']]);
    const wrong = vigil('import', 'cib', join(dir, 'cib.xml'), '--node-address', 'gamma=192.0.2.3');
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /^vigil: <command line>: --node-address: unknown node "gamma" \(expected NAME=ADDRESS with NAME one of alpha, beta\)\n$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('vigil config validate: ok with a summary, or every error with file:line:column and exit 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-validate-'));
  try {
    const good = join(dir, 'good.yaml');
    await writeFile(good, 'cluster:\n  name: t\n  nodes:\n    - { name: a }\nresources:\n  - { primitive: d, agent: builtin:dummy }\n');
    const ok = vigil('config', 'validate', good);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `${good}: valid vigil.yaml (1 node, 1 resource, 0 constraints)\n`);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'cluster:\n  name: t\n  nodes:\n    - { name: a, vote: 2 }\nresources:\n  - { primitive: d, agent: builtin:dummy, ops: [{ name: monitor, interval: often }] }\n');
    const r = vigil('config', 'validate', bad);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, [
      `vigil: ${bad}:4:18: cluster.nodes[0].vote: unknown field "vote" — did you mean "votes"? (expected one of name, id, addresses, votes, type, attributes, utilization)`,
      `vigil: ${bad}:6:76: resources[0].ops[0].interval: invalid value "often" (expected a duration such as 500ms, 10s, 5min, 1h or a number of seconds)`,
      '',
    ].join('\n'));
    await writeFile(join(dir, 'cib.xml'), CIB);
    const cib = vigil('config', 'validate', join(dir, 'cib.xml'));
    assert.equal(cib.status, 0, cib.stderr);
    assert.match(cib.stdout, /valid CIB \(2 nodes, 1 resource, 1 constraint\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
