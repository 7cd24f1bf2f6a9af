export * from './frame.js';
export * from './keys.js';
export * from './replay.js';
export * from './chunks.js';
export * from './sender.js';
export * from './receiver.js';
export * from './links.js';
export * from './endpoint.js';
