export * from './executor.js';
export * from './process.js';
export * from './request.js';
