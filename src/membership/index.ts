export * from './timings.js';
export * from './membership.js';
