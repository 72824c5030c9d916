// The pure parts of chaos, shared by the control plane, the agents and the CLI.

export * from './select.js';
export * from './choose.js';
export * from './schedule.js';
export * from './params.js';
export * from './plan.js';
export { validateActionParams, validateChaosSpec } from './validate.js';
export * from './restart.js';
export * from './control-plane.js';
export * from './resumer.js';
export * from './actions/index.js';
export * from './actions/action.js';
export * from './actions/effects.js';
export * from './actions/words.js';
