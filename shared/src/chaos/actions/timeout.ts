// timeout: the link goes silent. Data stops both ways a fault covers and nothing is closed, so
// each side waits on its own timeouts, as behind a firewall that drops without a word.

import { Type } from '@sinclair/typebox';
import { defineNetworkAction } from './action.js';

export const timeout = defineNetworkAction({
  name: 'timeout',
  description: 'holds the traffic until it heals',
  example: {},
  params: Type.Object({}),
  wire: Type.Object({}),
  toWire: () => ({}),
  describe: () => [],
  note: 'data stops, nothing is closed',
  enforce: { scope: 'direction', shape: (s) => ({ ...s, held: true }) },
});
