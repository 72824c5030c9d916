// `kip uncordon`: make cordoned nodes schedulable again.

import type { Command } from '../command.js';
import { LABEL_SELECTOR_FLAG } from './common-flags.js';
import { schedulableCommand } from './cordon.js';

export const uncordonCommand: Command = {
  name: 'uncordon',
  group: 'cluster',
  summary: 'Mark node as schedulable',
  usage: ['uncordon NODE [NODE...] [flags]', 'uncordon -l SELECTOR [flags]'],
  description: 'Mark a node schedulable again after kip cordon or kip drain.',
  examples: ['  # Let the scheduler use node-1 again', '  kip uncordon node-1'].join('\n'),
  flags: [LABEL_SELECTOR_FLAG],
  run: schedulableCommand(false),
};
