// kill happens at once and does not last: there is nothing to watch or to undo.

import type { NodeActionRules } from './rules.js';

export const kill: NodeActionRules = {
  inject: ({ description, skippedNote }) => ({
    message: `killed ${description}${skippedNote}`,
    nodeMessage: 'node killed (agent SIGKILLed, its pods die with it)',
  }),
  checkHeal: () => ({ healed: true }),
  healDeleted: () => 'deleted; a node that is restarting still comes back',
};
