export * from './ids.js';
export * from './score.js';
export * from './time.js';
export * from './cluster.js';
export * from './errors.js';
