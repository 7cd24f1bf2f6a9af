/** `vigil simulate` and `vigil explain` as a user runs them: the real CLI in a child process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const vigil = join(process.cwd(), 'bin', 'vigil');
const run = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [vigil, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const CIB = `<cib epoch="1" num_updates="1" admin_epoch="0" have-quorum="1" execution-date="1700000000">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="true"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/></nodes>
    <resources>
      <primitive id="fence" class="stonith" type="fence_dummy"/>
      <primitive id="web" class="ocf" provider="heartbeat" type="Dummy">
        <meta_attributes id="wm"><nvpair id="wm1" name="migration-threshold" value="1"/></meta_attributes>
      </primitive>
    </resources>
    <constraints><rsc_location id="prefer-alpha" rsc="web" node="alpha" score="100"/></constraints>
  </configuration>
  <status>
    <node_state id="1" uname="alpha" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
          <lrm_rsc_op id="web_last_0" operation="start" call-id="3" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:t"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="beta" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources>
        <lrm_resource id="fence" class="stonith" type="fence_dummy">
          <lrm_rsc_op id="fence_last_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:t"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>
`;

const dir = mkdtempSync(join(tmpdir(), 'vigil-simulate-'));
const file = join(dir, 'cib.xml');
writeFileSync(file, CIB);
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('simulate: a steady cluster has nothing to do; the summary has all three sections', () => {
  const r = run('simulate', '--cib', file);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Current cluster status:[\s\S]*Transition Summary:[\s\S]*Revised cluster status:/);
  assert.match(r.out, /web\tStarted alpha/);
  assert.match(r.out, /\(nothing to do\)/);
});

test('simulate --json prints the canonical result', () => {
  const r = run('simulate', '--json', '--cib', file);
  assert.equal(r.code, 0, r.err);
  const res = JSON.parse(r.out) as { format: string; placements: Array<{ rsc: string; node: string; role: string }>; actions: unknown[] };
  assert.equal(res.format, 'pcmk-sched-result/1');
  assert.deepEqual(res.placements.map((p) => `${p.rsc}@${p.node}:${p.role}`).sort(), ['fence@beta:Started', 'web@alpha:Started']);
  assert.deepEqual(res.actions, []);
});

test('simulate with injected events: a failed monitor moves web, a lost node is fenced first', () => {
  const failed = JSON.parse(run('simulate', '--json', '--cib', file, '--op-fail', 'web_monitor_10000@alpha=7').out) as { actions: Array<Record<string, unknown>> };
  assert.deepEqual(failed.actions.map((a) => `${String(a.action)} ${String(a.from)}->${String(a.to)}`), ['recover alpha->beta']);
  const lost = JSON.parse(run('simulate', '--json', '--cib', file, '--node-fail', 'alpha').out) as { actions: Array<Record<string, unknown>> };
  assert.deepEqual(lost.actions.map((a) => (a.action === 'fence' ? `fence ${String(a.node)}` : `${String(a.action)} ${String(a.rsc)} ${String(a.to)}`)).sort(), ['fence alpha', 'move web beta']);
});

test('explain names the constraint and the stickiness behind the choice', () => {
  const r = run('explain', 'web', '--cib', file);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /alpha: score 100 \(chosen\)/);
  assert.match(r.out, /\+100 from location constraint prefer-alpha/);
  assert.match(r.out, /beta: score 0 \(not chosen\)/);
  const missing = run('explain', 'nope', '--cib', file);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /no resource "nope"/);
});

test('bad input: malformed XML and a bad --now are one-line errors with exit status 2', () => {
  const broken = join(dir, 'broken.xml');
  writeFileSync(broken, '<cib>\n  <configuration>\n</cib>\n');
  const r = run('simulate', '--cib', broken);
  assert.equal(r.code, 2);
  assert.match(r.err, /broken\.xml:3:\d+: xml: malformed XML/);
  assert.doesNotMatch(r.err, /at .*\.js/);
  const t = run('simulate', '--cib', file, '--now', 'next tuesday');
  assert.equal(t.code, 2);
  assert.match(t.err, /--now: bad time/);
});
