// bandwidth: a link's capacity. The agent lets bytes out of a token bucket at the rate, one
// bucket per link and direction shared by every connection on it; the tightest of several wins.

import { Type } from '@sinclair/typebox';
import { parseRate } from '../params.js';
import { defineNetworkAction } from './action.js';

export const bandwidth = defineNetworkAction({
  name: 'bandwidth',
  description: 'limits the rate of the traffic',
  example: { bandwidth: { rate: '1mbps' } },
  params: Type.Object({
    rate: Type.String({ description: 'in bits (1mbps, 500kbps) or bytes (10MB/s) per second' }),
  }),
  wire: Type.Object({
    bytesPerSecond: Type.Number({ minimum: 0 }),
  }),
  validate(e, block, at) {
    const rate = e.string(block.rate, `${at}.rate`, true);
    if (rate !== undefined && parseRate(rate) === undefined)
      e.add(`${at}.rate`, `Invalid value: "${rate}": must be a rate such as "1mbps" (megabits), "500kbps" or "10MB/s" (megabytes)`);
  },
  toWire: (b) => ({ bytesPerSecond: parseRate(b?.rate) ?? 0 }),
  describe: (b) => [{ name: 'rate', value: String(b?.rate ?? '?'), inline: String(b?.rate ?? '?') }],
  enforce: {
    scope: 'direction',
    shape: (s, f) => ((f.bytesPerSecond ?? 0) > 0 ? { ...s, bytesPerSecond: Math.min(s.bytesPerSecond ?? Infinity, f.bytesPerSecond!) } : s),
  },
});
