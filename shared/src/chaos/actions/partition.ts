// partition: no traffic between the two sides, and no new connection either (no SYN gets
// through). At the TCP level bytes are held, not dropped: when it heals, what was sent arrives.

import { defineNetworkAction } from './action.js';

export const partition = defineNetworkAction({
  name: 'partition',
  description: 'no traffic between the two sides until it heals',
  enforce: { scope: 'direction', shape: (s) => ({ ...s, held: true }) },
});
