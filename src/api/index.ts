export * from './protocol.js';
export * from './socket.js';
export * from './locate.js';
export * from './format.js';
