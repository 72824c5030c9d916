// The agent-to-agent tunnel: frames, proof, the dialling and the accepting side.

export * from './errors.js';
export * from './frames.js';
export * from './proof.js';
export * from './dial.js';
export * from './accept.js';
export * from './secure.js';
