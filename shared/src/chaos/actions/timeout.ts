// timeout: the link goes silent. Data stops both ways a fault covers and nothing is closed, so
// each side waits on its own timeouts, as behind a firewall that drops without a word.

import { defineNetworkAction } from './action.js';

export const timeout = defineNetworkAction({
  name: 'timeout',
  description: 'holds the traffic until it heals',
  note: 'data stops, nothing is closed',
  enforce: { scope: 'direction', shape: (s) => ({ ...s, held: true }) },
});
