import assert from 'node:assert/strict';
import { newUid } from '@kip/controlplane';

describe('controlplane/store/uid', () => {
  it('makes version 4 UUIDs in the canonical lower-case form', () => {
    for (let i = 0; i < 1000; i++) {
      const uid = newUid();
      assert.match(uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('never repeats, across many draws of its random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(newUid());
    assert.equal(seen.size, 20_000);
  });

  it('uses every hex digit in the random positions', () => {
    // A formatting slip (a wrong nibble table, a byte written twice) would leave digits out.
    const digits = new Set<string>();
    for (let i = 0; i < 200; i++) for (const ch of newUid().replaceAll('-', '')) digits.add(ch);
    assert.equal(digits.size, 16);
  });
});
