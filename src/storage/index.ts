export * from './file-storage.js';
export * from './records.js';
