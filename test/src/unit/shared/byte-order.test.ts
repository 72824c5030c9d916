import assert from 'node:assert/strict';
import { byteOrder } from '@kip/shared';

describe('shared/byteOrder', () => {
  it('orders as Go and etcd do, by bytes: upper case before lower, punctuation and digits before letters', () => {
    const names = ['b', 'a1', 'B', 'a-2', 'a', 'A', 'a.1', 'aa', ''];
    assert.deepEqual([...names].sort(byteOrder), ['', 'A', 'B', 'a', 'a-2', 'a.1', 'a1', 'aa', 'b']);
  });

  it('says equal only for equal strings', () => {
    assert.equal(byteOrder('node-1', 'node-1'), 0);
    assert.equal(byteOrder('node-1', 'node-10'), -1);
    assert.equal(byteOrder('node-2', 'node-10'), 1);
  });
});
