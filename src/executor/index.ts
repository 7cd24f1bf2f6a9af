export * from './executor.js';
export * from './process.js';
