// The scheduler's public surface, for the control-plane process and tools.

export * from './scheduler.js';
export * from './placement.js';
export * from './framework.js';
export * from './cycle-state.js';
export * from './diagnosis.js';
export * from './node-info.js';
export * from './pod-resources.js';
export * from './cache.js';
export * from './owner-index.js';
export * from './score-summary.js';
export * from './queue.js';
export * from './default-plugins.js';
export * from './plugins/node-ready.js';
export * from './plugins/node-unschedulable.js';
export * from './plugins/node-resources-fit.js';
export * from './plugins/balanced-allocation.js';
export * from './plugins/node-affinity.js';
export * from './plugins/taint-toleration.js';
export * from './plugins/owner-spread.js';
