// What other workspaces use of validation: the collector and its wording, and the schema check.
// The helpers for writing schemas (withCheck, StringEnum, …) are for the kinds in this workspace.

export { FieldErrors, formatFieldErrors, isObj, showValue, type FieldError, type Obj } from './errors.js';
export { ENV_NAME, isDNS1123Label, isDNS1123Subdomain } from './names.js';
export { checkSchema, unknownFields, withCheck, type CheckContext } from './schema.js';
