export * from './agent.js';
export { labAgent, parseFenceInput, labAgentMetadata } from './lab-agent.js';
export * from './device.js';
