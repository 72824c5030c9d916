// delay: netem's latency with jitter, each delay drawn around the latency and pulled toward the
// one before by the correlation. Bytes are held for the delay, in order; nothing is dropped.

import { Type } from '@sinclair/typebox';
import { parseChaosDuration, parseCorrelation } from '../params.js';
import { defineNetworkAction } from './action.js';

export const delay = defineNetworkAction({
  name: 'delay',
  description: 'adds latency, with jitter, to the traffic',
  example: { delay: { latency: '100ms', jitter: '20ms', correlation: '25' } },
  params: Type.Object({
    latency: Type.String({ description: 'added latency' }),
    jitter: Type.Optional(Type.String({ description: 'random variation around the latency' })),
    correlation: Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'how much each delay follows the last, 0-100' })),
  }),
  wire: Type.Object({
    latencyMs: Type.Number({ minimum: 0 }),
    jitterMs: Type.Optional(Type.Number({ minimum: 0 })),
    correlation: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: "0 to 1: how much each delay follows the one before (netem's correlation)" }),
    ),
  }),
  validate(e, block, at) {
    e.duration(block.latency, `${at}.latency`, { required: true, allowZero: true });
    e.duration(block.jitter, `${at}.jitter`, { allowZero: true });
    const corr = block.correlation;
    if (corr !== undefined && parseCorrelation(corr as string) === undefined)
      e.add(`${at}.correlation`, `Invalid value: ${JSON.stringify(corr)}: must be a percentage from 0 to 100, e.g. "25"`);
  },
  toWire(d) {
    const out: { latencyMs: number; jitterMs?: number; correlation?: number } = { latencyMs: parseChaosDuration(d?.latency) ?? 0 };
    const jitter = parseChaosDuration(d?.jitter);
    if (jitter) out.jitterMs = jitter;
    const corr = parseCorrelation(d?.correlation);
    if (corr) out.correlation = corr;
    return out;
  },
  describe(d) {
    return [
      { name: 'latency', value: String(d?.latency ?? '?'), inline: String(d?.latency ?? '?') },
      ...(d?.jitter ? [{ name: 'jitter', value: String(d.jitter), inline: `±${String(d.jitter)}` }] : []),
      ...(d?.correlation ? [{ name: 'correlation', value: `${String(d.correlation).replace(/%$/, '')}%` }] : []),
    ];
  },
  enforce: {
    scope: 'direction',
    shape: (s, f) => ({
      ...s,
      latencyMs: s.latencyMs + (f.latencyMs ?? 0),
      jitterMs: s.jitterMs + (f.jitterMs ?? 0),
      correlation: Math.max(s.correlation, f.correlation ?? 0),
      delaySeeds: [...s.delaySeeds, f.seed],
    }),
  },
});
