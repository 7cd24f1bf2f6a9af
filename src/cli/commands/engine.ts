/**
 * `vigil engine`: run one node's cluster engine alone (links, membership, quorum, DC election and
 * the replicated CIB log; no resources). For tests, benchmarks and debugging; `vigild` runs the
 * same engine with everything else on top. See docs/operations-engine.md.
 *
 * `vigil witness`: a voter-only member (cluster.quorum.witness in vigil.yaml). It votes and stores
 * the replicated log, so its vote means what any other vote means, but it never becomes DC and
 * runs no resources. Two nodes and a witness survive the loss of any one of the three.
 *
 * The options of both are declared in index.ts.
 */
import { runEngine } from '../../daemon/engine-run.js';
import { WITNESS_NODE } from '../../daemon/engine.js';

export interface EngineCliOptions {
  config: string;
  node?: string;
  stateDir?: string;
  control?: boolean;
  events: boolean;
  logLevel: string;
  logFile?: string;
}

/** `vigil engine --node NAME` */
export async function engine(o: EngineCliOptions): Promise<void> {
  await runEngine({
    config: o.config, node: o.node ?? '', role: 'node', control: o.control === true, events: o.events, logLevel: o.logLevel,
    ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.logFile ? { logFile: o.logFile } : {}),
  });
}

/** `vigil witness` */
export async function witness(o: EngineCliOptions): Promise<void> {
  await runEngine({
    config: o.config, node: o.node ?? WITNESS_NODE, role: 'witness', control: o.control === true, events: o.events, logLevel: o.logLevel,
    ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.logFile ? { logFile: o.logFile } : {}),
  });
}
