// Flags several commands share, defined once so that their names and help read the same everywhere.

import type { FlagSpec } from '../flags.js';

export const OUTPUT_FLAG: FlagSpec = {
  name: 'output',
  short: 'o',
  type: 'string',
  valueName: 'format',
  description: 'Output format: json, yaml, name or wide.',
};

export const SELECTOR_FLAGS: FlagSpec[] = [
  {
    name: 'selector',
    short: 'l',
    type: 'string',
    valueName: 'string',
    description: 'Label selector to filter on, e.g. -l app=web,tier!=db or -l "env in (a,b)".',
  },
  { name: 'field-selector', type: 'string', valueName: 'string', description: 'Field selector to filter on, e.g. --field-selector spec.nodeName=node-1.' },
];

export const LABEL_SELECTOR_FLAG: FlagSpec = SELECTOR_FLAGS[0]!;

export const ALL_NAMESPACES_FLAG: FlagSpec = {
  name: 'all-namespaces',
  short: 'A',
  type: 'bool',
  description: 'List the requested object(s) across all namespaces.',
};

export const FILENAME_FLAG: FlagSpec = {
  name: 'filename',
  short: 'f',
  type: 'strings',
  valueName: 'strings',
  description: 'A manifest file, a directory of them (*.yaml, *.yml, *.json), or - for standard input. Repeatable.',
};

export const RECURSIVE_FLAG: FlagSpec = {
  name: 'recursive',
  short: 'R',
  type: 'bool',
  description: 'Process the directories given with -f recursively.',
};

export const GRACE_PERIOD_FLAG: FlagSpec = {
  name: 'grace-period',
  type: 'int',
  default: -1,
  valueName: 'int',
  description: "Seconds a pod is given to stop; -1 uses the pod's own terminationGracePeriodSeconds, 0 deletes at once.",
};
