export * from './agent.js';
export { labAgent, parseFenceInput, LAB_AGENT_METADATA } from './lab-agent.js';
export * from './device.js';
