// The few helpers the built-in images use, as an entry point of their own (@kip/shared/lite): an
// image starts with every container, and bundling all of shared into each would make every
// container start load twenty times the code.

export { formatBytes, parseDuration, parseQuantity } from './api/quantity.js';
export { scanArgs, type FlagGrammar, type FlagShape, type FlagWord, type ScannedArgs } from './flags.js';
