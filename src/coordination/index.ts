export * from './types.js';
export * from './cib-update.js';
export * from './quorum.js';
export * from './log.js';
export * from './node.js';
export { Prng, nextRandom } from './prng.js';
export * from './persist.js';
