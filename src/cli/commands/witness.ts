/**
 * `vigil witness`: a voter-only member (cluster.quorum.witness in vigil.yaml). It votes and stores
 * the replicated log, so its vote means what any other vote means, but it never becomes DC and
 * runs no resources. Two nodes and a witness survive the loss of any one of the three.
 */
import type { Command } from 'commander';
import { runEngine } from '../../daemon/engine-run.js';
import { WITNESS_NODE } from '../../daemon/engine.js';
import { engineOptions } from './engine.js';
import type { EngineCliOptions } from './engine.js';

export function register(program: Command): void {
  engineOptions(program
    .command('witness')
    .description('run the cluster\'s witness: votes for the DC election, never DC, no resources')
    .option('--node <name>', `the witness's name on the wire (always "${WITNESS_NODE}")`, WITNESS_NODE))
    .action(async (o: EngineCliOptions) => {
      await runEngine({
        config: o.config, node: o.node ?? WITNESS_NODE, role: 'witness', control: o.control === true, events: o.events, logLevel: o.logLevel,
        ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.logFile ? { logFile: o.logFile } : {}),
      });
    });
}
