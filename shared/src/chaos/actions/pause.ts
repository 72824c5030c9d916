// pause: a gray failure. The agent and its pods are stopped (SIGSTOP) for the duration and then
// continued; nothing is closed, heartbeats just stop. A stopped agent cannot be told to resume, so
// a pause always has a duration.

import { Type } from '@sinclair/typebox';
import { parseDuration } from '../../api/quantity.js';
import { defineNodeAction, runsOverlap } from './action.js';

export const pause = defineNodeAction({
  name: 'pause',
  description: 'SIGSTOPs the agents and their pods for the duration, then SIGCONTs them',
  example: { duration: '20s' },
  params: Type.Object({}),
  wire: Type.Object({
    durationMs: Type.Number({ minimum: 0, description: 'how long the agent and its pods stay stopped' }),
  }),
  validate(e, spec, { durationMs, intervalMs }) {
    if (spec.duration === undefined) e.add('spec.duration', 'Required value: a pause needs a duration, e.g. "20s": a stopped agent cannot be told to resume');
    if (durationMs !== undefined && intervalMs !== undefined && intervalMs <= durationMs) e.add('spec.schedule.interval', runsOverlap(spec));
  },
  toWire: (spec) => ({ durationMs: parseDuration(spec.duration ?? '') ?? 0 }),
  describe: () => [],
});
