export * from './certificates.js';
export * from './files.js';
export * from './inspect.js';
export * from './keys.js';
