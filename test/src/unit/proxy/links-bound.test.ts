// Tunnel hellos name their sender, and a link is kept per name: a sender that names itself anew on
// each connection must not grow the agent's links without end.

import assert from 'node:assert/strict';
import { Links, MAX_PEERS, UNKNOWN_PEER } from '@kip/agent';

describe('agent/proxy/link: a bounded set of links', () => {
  it(`keeps ${MAX_PEERS} peers apart, then counts new names on one link`, () => {
    const links = new Links('self');
    const first = Array.from({ length: MAX_PEERS }, (_, i) => links.get(`node-${i}`));
    assert.equal(new Set(first).size, MAX_PEERS);
    const extra = links.get('node-new');
    assert.equal(extra.peer, UNKNOWN_PEER);
    assert.equal(links.get('node-newer'), extra, 'every further name shares it');
    assert.equal(links.get('node-7'), first[7], 'known peers keep their own link');
    assert.equal(links.all().length, MAX_PEERS + 1);
  });
});
