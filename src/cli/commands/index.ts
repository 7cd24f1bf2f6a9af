import type { Command } from 'commander';
import { register as agentCommand } from './agent.js';
import { register as configCommand } from './config.js';
import { register as engineCommand } from './engine.js';
import { register as importCommand } from './import.js';
import { register as simCommand } from './sim.js';
import { register as simulateCommand } from './simulate.js';
import { register as explainCommand } from './explain.js';
import { register as witnessCommand } from './witness.js';
import { register as initCommand } from './init.js';
import { register as startCommand } from './start.js';
import { register as stopCommand } from './stop.js';
import { register as statusCommand } from './status.js';
import { register as nodeCommand } from './node.js';
import { register as resourceCommand } from './resource.js';
import { register as clusterConfigCommand } from './cluster-config.js';

/** Every CLI command module exports a function that adds its command(s) to the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [agentCommand, configCommand, importCommand, simCommand, simulateCommand, explainCommand, engineCommand, witnessCommand, initCommand, startCommand, stopCommand, statusCommand, nodeCommand, resourceCommand, clusterConfigCommand];
