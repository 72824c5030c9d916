// restart: the agent leaves a restart request and SIGKILLs itself; whoever started it (kip's
// launcher, a test cluster) starts it again under the same name after restartDelay.

import { Type } from '@sinclair/typebox';
import { parseDuration } from '../../api/quantity.js';
import { formatDurationMs } from '../params.js';
import { DEFAULT_RESTART_DELAY_MS } from '../restart.js';
import { defineNodeAction } from './action.js';

export const restart = defineNodeAction({
  name: 'restart',
  description: "kills the nodes, then kip's launcher starts them again after restartDelay",
  example: { restartDelay: '2s' },
  params: Type.Object({
    restartDelay: Type.Optional(Type.String({ description: 'how long a restarted node stays down before it comes back (default 3s)' })),
  }),
  wire: Type.Object({
    restartDelayMs: Type.Optional(Type.Number({ minimum: 0, description: 'how long the node stays down before whoever started the agent starts it again' })),
  }),
  validate(e, spec) {
    e.duration(spec.restartDelay, 'spec.restartDelay', { allowZero: true });
    if (spec.duration !== undefined)
      e.add('spec.duration', 'Forbidden: restart happens at once and takes no duration; restartDelay says how long the node stays down');
  },
  toWire: (spec) => ({ restartDelayMs: parseDuration(spec.restartDelay ?? '') ?? DEFAULT_RESTART_DELAY_MS }),
  describe: (spec) => [{ name: 'restartDelay', value: String(spec.restartDelay ?? formatDurationMs(DEFAULT_RESTART_DELAY_MS)) }],
});
