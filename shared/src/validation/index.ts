export * from './errors.js';
export * from './names.js';
export * from './schema.js';
