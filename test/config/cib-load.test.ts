import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCibXml, loadCibXmlWithWarnings } from '../../src/config/cib/index.js';
import { InputError, InputErrors } from '../../src/model/errors.js';
import { INFINITY } from '../../src/model/score.js';

const corpus = join(process.cwd(), '..', 'shared', 'scheduler-corpus', 'xml');

function errorsOf(fn: () => unknown): InputError[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputErrors) return e.errors;
    if (e instanceof InputError) return [e];
    throw e;
  }
  assert.fail('expected an input error');
}

const small = (constraints: string, extra = ''): string => `<cib epoch="3" num_updates="2" admin_epoch="1" have-quorum="1" dc-uuid="n1">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="n1" uname="alpha"/><node id="n2" uname="beta"><instance_attributes id="a"><nvpair id="a1" name="standby" value="on"/></instance_attributes></node></nodes>
    <resources>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
        <meta_attributes id="m"><nvpair id="m1" name="resource-stickiness" value="100"/></meta_attributes>
        <operations><op id="ip-mon" name="monitor" interval="10s" timeout="20s" on-fail="restart" role="Slave"/></operations>
      </primitive>
      <master id="ms"><primitive id="db" class="ocf" provider="pacemaker" type="Stateful"/></master>
      ${extra}
    </resources>
    <constraints>${constraints}</constraints>
  </configuration>
  <status>
    <node_state id="n1" uname="alpha" in_ccm="1700000000" crmd="online" join="member" expected="member">
      <transient_attributes id="t"><instance_attributes id="ti"><nvpair id="t1" name="fail-count-ip#monitor_10000" value="2"/></instance_attributes></transient_attributes>
      <lrm id="l"><lrm_resources><lrm_resource id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
        <lrm_rsc_op id="ip_last_0" operation="start" interval="0" call-id="4" rc-code="0" op-status="0" last-rc-change="1699999999" exec-time="12" on_node="alpha" transition-key="1:2:0:abc" op-digest="d1"/>
      </lrm_resource></lrm_resources></lrm>
    </node_state>
  </status>
</cib>`;

test('loads configuration and status of a small CIB', () => {
  const cib = loadCibXml(small('<rsc_location id="l1" rsc="ip" node="alpha" score="INFINITY"/><rsc_colocation id="c1" rsc="ip" with-rsc="ms" with-rsc-role="Master" score="-inf"/><rsc_order id="o1" first="ms" first-action="promote" then="ip" kind="Optional"/>'), 'small.xml');
  assert.equal(cib.status.haveQuorum, true);
  assert.equal(cib.status.dc, 'alpha');
  assert.deepEqual(cib.version, { adminEpoch: 1, epoch: 3, numUpdates: 2 });
  assert.equal(cib.config.properties['stonith-enabled'], 'false');
  assert.equal(cib.config.nodes[1].attributes.standby, 'on');
  const ip = cib.config.resources[0];
  assert.equal(ip.kind, 'primitive');
  if (ip.kind !== 'primitive') return;
  assert.equal(ip.meta['resource-stickiness'], '100');
  assert.deepEqual({ ...ip.operations[0], meta: {} }, { id: 'ip-mon', name: 'monitor', intervalMs: 10_000, timeoutMs: 20_000, onFail: 'restart', role: 'Unpromoted', enabled: true, meta: {} });
  const ms = cib.config.resources[1];
  assert.ok(ms.kind === 'clone' && ms.promotable);
  assert.deepEqual(cib.config.constraints.map((c) => c.kind), ['location', 'colocation', 'order']);
  const [loc, col, ord] = cib.config.constraints;
  assert.ok(loc.kind === 'location' && loc.score === INFINITY && loc.node === 'alpha');
  assert.ok(col.kind === 'colocation' && col.score === -INFINITY && col.withRscRole === 'Promoted');
  assert.ok(ord.kind === 'order' && ord.orderKind === 'Optional' && ord.firstAction === 'promote' && ord.thenAction === 'promote' && ord.symmetrical);
  const n1 = cib.status.nodes[0];
  assert.equal(n1.inCluster, true, 'a timestamp in in_ccm means the node is in the membership');
  assert.equal(n1.controllerOnline, true);
  assert.equal(n1.transientAttributes['fail-count-ip#monitor_10000'], '2');
  const op = n1.history[0].ops[0];
  assert.equal(op.callId, 4);
  assert.equal(op.lastRcChange, 1699999999);
  assert.equal(op.transitionKey, '1:2:0:abc');
  assert.equal(op.onNode, 'alpha');
  assert.equal(op.execTimeMs, 12);
});

test('malformed XML names file, line and column', () => {
  const [e] = errorsOf(() => loadCibXml('<cib>\n  <configuration>\n  </cib>', 'broken.xml'));
  assert.equal(e.where.file, 'broken.xml');
  assert.equal(e.where.line, 3);
  assert.ok(e.where.column !== undefined);
  assert.match(e.format(), /^broken\.xml:3:\d+: xml: malformed XML/);
});

test('semantic errors name file, line and field, all of them at once', () => {
  const xml = small('<rsc_location rsc="ip" node="alpha" score="100"/>\n<rsc_location id="l2" rsc="ip" node="alpha" score="lots"/>\n<rsc_order id="o9" first="ip" then="ms" kind="Sometimes"/>');
  const errs = errorsOf(() => loadCibXml(xml, 'sem.xml'));
  const fields = errs.map((e) => e.field);
  assert.deepEqual(fields, ['rsc_location.id', 'rsc_location.score', 'rsc_order.kind']);
  const lines = xml.split('\n');
  for (const e of errs) {
    assert.equal(e.where.file, 'sem.xml');
    const line = lines[(e.where.line ?? 0) - 1];
    assert.ok(line.includes('<rsc_'), `line ${e.where.line} is the constraint's line: ${line}`);
  }
  assert.match(errs[1].format(), /sem\.xml:\d+: rsc_location\.score: bad score "lots" \(expected an integer, INFINITY or -INFINITY\)/);
});

test('lenient mode turns what Pacemaker tolerates into warnings', () => {
  const xml = small('<rsc_order id="o9" first="ip" then="ms" kind="Sometimes"/>');
  const { cib, warnings } = loadCibXmlWithWarnings(xml, 'w.xml', { lenient: true });
  assert.equal(warnings.length, 1);
  const ord = cib.config.constraints[0];
  assert.ok(ord.kind === 'order' && ord.orderKind === 'Mandatory');
});

test('templates and tickets are warned about and ignored', () => {
  const { cib, warnings } = loadCibXmlWithWarnings(small('<rsc_ticket id="t" rsc="ip" ticket="T"/>', '<template id="tpl" class="ocf" provider="heartbeat" type="Dummy"/>'), 't.xml');
  assert.equal(cib.config.resources.length, 2);
  assert.equal(cib.config.constraints.length, 0);
  assert.equal(warnings.length, 2);
});

test('id-ref nvpairs resolve to the referenced value', () => {
  const xml = small('', '<primitive id="p" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="ia"><nvpair id="x1" name="fake" value="v"/><nvpair id-ref="x1" name="fake2"/></instance_attributes></primitive>');
  const p = loadCibXml(xml, 'r.xml').config.resources[2];
  assert.ok(p.kind === 'primitive');
  assert.deepEqual(p.params, { fake: 'v', fake2: 'v' });
});

test('every corpus CIB loads (lenient)', { skip: !existsSync(corpus) ? 'corpus not present' : false }, () => {
  let n = 0;
  for (const f of readdirSync(corpus)) {
    const cib = loadCibXml(readFileSync(join(corpus, f), 'utf8'), f, { lenient: true });
    assert.ok(cib.config.nodes.length > 0 || cib.status.nodes.length > 0, f);
    n++;
  }
  assert.ok(n >= 300);
});

