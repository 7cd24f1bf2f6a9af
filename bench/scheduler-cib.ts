/**
 * Generator of realistic CIBs for the scheduler benchmark: N nodes, R primitives arranged as
 * plain primitives, groups of three, anonymous clones and a few promotable clones, with
 * location preferences, colocation chains, mandatory orders, and a status section in which most
 * resources already run (start + monitor history) and a few have failed.
 */
export interface GeneratedCib { xml: string; primitives: number }

/** Small deterministic generator (mulberry32), so every run benchmarks the same CIB. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateCib(nodeCount: number, resourceCount: number, seed = 42): GeneratedCib {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const nodes = Array.from({ length: nodeCount }, (_, i) => `node${String(i + 1).padStart(2, '0')}`);
  const resources: string[] = [];
  const constraints: string[] = [];
  /** node → lrm_resource XML fragments */
  const lrm = new Map<string, string[]>(nodes.map((n) => [n, []]));
  const attrs = new Map<string, string[]>(nodes.map((n) => [n, []]));
  let call = 10;
  const prim = (id: string): string => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${id}-mon" name="monitor" interval="10s" timeout="20s"/></operations></primitive>`;
  const history = (node: string, rscId: string, failed: boolean): void => {
    const key = (n: number, rc: number): string => `${n}:1:${rc}:bench`;
    const ops = [
      `<lrm_rsc_op id="${rscId}_last_0" operation_key="${rscId}_start_0" operation="start" transition-key="${key(call, 0)}" transition-magic="0:0;${key(call, 0)}" call-id="${call++}" rc-code="0" op-status="0" interval="0" last-rc-change="1700000000" exec-time="10" queue-time="0" op-digest="x"/>`,
      `<lrm_rsc_op id="${rscId}_monitor_10000" operation_key="${rscId}_monitor_10000" operation="monitor" transition-key="${key(call, 0)}" transition-magic="0:${failed ? 7 : 0};${key(call, 0)}" call-id="${call++}" rc-code="${failed ? 7 : 0}" op-status="${failed ? 4 : 0}" interval="10000" last-rc-change="1700000000" exec-time="5" queue-time="0" op-digest="y"/>`,
    ];
    lrm.get(node)?.push(`<lrm_resource id="${rscId}" class="ocf" provider="heartbeat" type="Dummy">${ops.join('')}</lrm_resource>`);
    if (failed) attrs.get(node)?.push(`<nvpair id="fc-${rscId}-${node}" name="fail-count-${rscId}#monitor_10000" value="1"/>`);
  };
  let made = 0;
  let n = 0;
  const prims: string[] = [];
  while (made < resourceCount) {
    const kind = rand();
    const running = rand() < 0.7;
    const failed = running && rand() < 0.01;
    if (kind < 0.7 || resourceCount - made < 3) {
      const id = `p${n++}`;
      resources.push(prim(id));
      prims.push(id);
      if (running) history(pick(nodes), id, failed);
      made += 1;
    } else if (kind < 0.97) {
      const g = `g${n++}`;
      const members = [0, 1, 2].map((i) => `${g}m${i}`);
      resources.push(`<group id="${g}">${members.map(prim).join('')}</group>`);
      if (running) { const node = pick(nodes); members.forEach((m) => history(node, m, false)); }
      made += 3;
    } else if (kind < 0.995) {
      const c = `c${n++}`;
      const child = `${c}child`;
      resources.push(`<clone id="${c}"><meta_attributes id="${c}-meta"><nvpair id="${c}-i" name="interleave" value="true"/></meta_attributes>${prim(child)}</clone>`);
      if (running) for (const node of nodes) history(node, child, false);
      made += 1;
    } else {
      const c = `ms${n++}`;
      const child = `${c}child`;
      resources.push(`<clone id="${c}"><meta_attributes id="${c}-meta"><nvpair id="${c}-p" name="promotable" value="true"/></meta_attributes><primitive id="${child}" class="ocf" provider="pacemaker" type="Stateful"/></clone>`);
      for (const node of nodes) attrs.get(node)?.push(`<nvpair id="${c}-score-${node}" name="master-${child}" value="${Math.floor(rand() * 100)}"/>`);
      made += 1;
    }
  }
  // Constraints: location preferences, colocation pairs, mandatory orders.
  for (const p of prims) {
    if (rand() < 0.3) constraints.push(`<rsc_location id="loc-${p}" rsc="${p}" node="${pick(nodes)}" score="${pick(['100', '50', '-INFINITY', 'INFINITY', '200'])}"/>`);
  }
  for (let i = 0; i + 1 < prims.length; i += 10) {
    constraints.push(`<rsc_colocation id="col-${i}" rsc="${prims[i + 1]}" with-rsc="${prims[i]}" score="${rand() < 0.5 ? 'INFINITY' : '100'}"/>`);
    constraints.push(`<rsc_order id="ord-${i}" first="${prims[i]}" then="${prims[i + 1]}" kind="Mandatory"/>`);
  }
  const nodeXml = nodes.map((nm, i) => `<node id="${i + 1}" uname="${nm}"/>`).join('\n      ');
  const stateXml = nodes.map((nm, i) => `<node_state id="${i + 1}" uname="${nm}" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="${i + 1}"><instance_attributes id="status-${i + 1}">${(attrs.get(nm) ?? []).join('')}</instance_attributes></transient_attributes>
      <lrm id="${i + 1}"><lrm_resources>${(lrm.get(nm) ?? []).join('\n')}</lrm_resources></lrm>
    </node_state>`).join('\n    ');
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="1" dc-uuid="1" have-quorum="1" validate-with="pacemaker-3.0" execution-date="1700000100">
  <configuration>
    <crm_config><cluster_property_set id="opts">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
      <nvpair id="o2" name="no-quorum-policy" value="stop"/>
    </cluster_property_set></crm_config>
    <nodes>
      ${nodeXml}
    </nodes>
    <resources>
${resources.join('\n')}
    </resources>
    <constraints>
${constraints.join('\n')}
    </constraints>
    <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="100"/><nvpair id="rd2" name="migration-threshold" value="3"/></meta_attributes></rsc_defaults>
  </configuration>
  <status>
    ${stateXml}
  </status>
</cib>
`;
  return { xml, primitives: made };
}
