// reset: connections torn down with an ECONNRESET, as a flaky middlebox does: a new connection is
// refused with the probability, and each live one is reset with it once a second. Several resets
// on a link are independent chances.

import { Type } from '@sinclair/typebox';
import { parseProbability } from '../params.js';
import { defineNetworkAction } from './action.js';

export const reset = defineNetworkAction({
  name: 'reset',
  description: 'resets connections at random',
  example: { reset: { probability: '0.5' } },
  params: Type.Object({
    probability: Type.Union([Type.String(), Type.Number()], { description: 'chance (0-1) that a new connection, or a live one each second, is reset' }),
  }),
  wire: Type.Object({
    probability: Type.Number({ minimum: 0, maximum: 1, description: 'the chance a new connection is refused, and that a live one is reset each second' }),
  }),
  validate(e, block, at) {
    const p = block.probability;
    if (p === undefined) e.add(`${at}.probability`, 'Required value: a probability from 0 to 1, e.g. "0.5"');
    else if (parseProbability(p as string) === undefined)
      e.add(`${at}.probability`, `Invalid value: ${JSON.stringify(p)}: must be a probability from 0 to 1, e.g. "0.5"`);
  },
  toWire: (r) => ({ probability: parseProbability(r?.probability) ?? 0 }),
  describe: (r) => [{ name: 'probability', value: String(r?.probability ?? '?') }],
  enforce: {
    scope: 'connection',
    effect: (c, f) => ((f.probability ?? 0) > 0 ? { resets: [...c.resets, { probability: f.probability!, chaos: f.chaos, seed: f.seed }] } : c),
  },
});
