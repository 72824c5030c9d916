// kill: the node's agent SIGKILLs itself and its pods die with it, as on a machine that lost power.
// It happens at once; the node stays down until someone starts its agent again.

import { defineNodeAction } from './action.js';

export const kill = defineNodeAction({
  name: 'kill',
  description: "SIGKILLs the nodes' agents; their pods die with them",
  validate(e, spec) {
    if (spec.duration !== undefined)
      e.add('spec.duration', 'Forbidden: kill happens at once and takes no duration; use action restart with restartDelay to bring the node back');
  },
});
