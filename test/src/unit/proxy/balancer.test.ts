// The balancer: round-robin over usable endpoints, the next candidate after a failure, and
// ClientIP affinity with its timeout, as pure decisions over candidates and time.

import assert from 'node:assert/strict';
import { Balancer, DEFAULT_AFFINITY_TIMEOUT_MS, endpointKey } from '@kip/agent';
import { endpoint } from './fixtures.js';

const A = endpoint('web-a', '10.244.1.2', 'node-1');
const B = endpoint('web-b', '10.244.2.2', 'node-2');
const C = endpoint('web-c', '10.244.3.2', 'node-3');
const ALL = [A, B, C];

function picks(b: Balancer, n: number, client?: string, now = 0, candidates = ALL): string[] {
  return Array.from({ length: n }, () => b.pick(candidates, client, now)?.pod ?? '-');
}

describe('proxy: balancer', () => {
  it('goes round-robin over the candidates', () => {
    assert.deepEqual(picks(new Balancer(), 7), ['web-a', 'web-b', 'web-c', 'web-a', 'web-b', 'web-c', 'web-a']);
  });

  it('keeps going round-robin when the candidate list shrinks and grows', () => {
    const b = new Balancer();
    assert.deepEqual(picks(b, 2), ['web-a', 'web-b']);
    assert.deepEqual(picks(b, 3, undefined, 0, [A, C]), ['web-a', 'web-c', 'web-a']);
    assert.deepEqual(picks(b, 3), ['web-b', 'web-c', 'web-a']);
  });

  it('has nothing to offer without candidates, or when every one was tried', () => {
    const b = new Balancer();
    assert.equal(b.pick([], undefined, 0), undefined);
    assert.equal(b.pick(ALL, undefined, 0, new Set(ALL.map(endpointKey))), undefined);
  });

  it('after a failure offers the next untried candidate, each at most once', () => {
    const b = new Balancer();
    const tried = new Set<string>();
    const order: string[] = [];
    for (let e = b.pick(ALL, undefined, 0, tried); e; e = b.pick(ALL, undefined, 0, tried)) {
      order.push(e.pod);
      tried.add(endpointKey(e));
    }
    assert.deepEqual(order, ['web-a', 'web-b', 'web-c']);
  });

  it('without affinity ignores who the client is', () => {
    assert.deepEqual(picks(new Balancer('None'), 3, 'default/client'), ['web-a', 'web-b', 'web-c']);
  });

  it('with ClientIP affinity sticks each client to the endpoint it got first', () => {
    const b = new Balancer('ClientIP');
    assert.deepEqual(picks(b, 3, 'default/x'), ['web-a', 'web-a', 'web-a']);
    assert.deepEqual(picks(b, 3, 'default/y'), ['web-b', 'web-b', 'web-b']);
    assert.deepEqual(picks(b, 2, 'default/x'), ['web-a', 'web-a']);
    assert.equal(b.affinityEntries, 2);
  });

  it('an unknown client is balanced round-robin even with affinity', () => {
    assert.deepEqual(picks(new Balancer('ClientIP'), 3, undefined), ['web-a', 'web-b', 'web-c']);
  });

  it('affinity lasts the timeout after the last use (Kubernetes default: 3 hours)', () => {
    assert.equal(DEFAULT_AFFINITY_TIMEOUT_MS, 10_800_000);
    const b = new Balancer('ClientIP', 1000);
    assert.equal(b.pick(ALL, 'c', 0)?.pod, 'web-a');
    assert.equal(b.pick(ALL, 'c', 900)?.pod, 'web-a', 'used again within the timeout');
    assert.equal(b.pick(ALL, 'c', 1800)?.pod, 'web-a', 'the timeout runs from the last use');
    assert.equal(b.pick(ALL, 'c', 2801)?.pod, 'web-b', 'idle longer than the timeout: balanced anew');
  });

  it('affinity moves when the endpoint is gone, or after it failed', () => {
    const b = new Balancer('ClientIP');
    assert.equal(b.pick(ALL, 'c', 0)?.pod, 'web-a');
    const moved = b.pick([B, C], 'c', 1)!;
    assert.notEqual(moved.pod, 'web-a', 'web-a left the endpoints');
    assert.equal(b.pick(ALL, 'c', 2)?.pod, moved.pod, 'and the client now sticks to the new one');
    b.failed('c', endpointKey(moved));
    assert.notEqual(b.pick(ALL, 'c', 3)?.pod, moved.pod, 'after a failure it is balanced anew');
  });

  it('a tried endpoint is skipped even if the client sticks to it', () => {
    const b = new Balancer('ClientIP');
    assert.equal(b.pick(ALL, 'c', 0)?.pod, 'web-a');
    assert.equal(b.pick(ALL, 'c', 1, new Set([endpointKey(A)]))?.pod, 'web-b');
  });

  it('switching affinity off forgets every client', () => {
    const b = new Balancer('ClientIP');
    b.pick(ALL, 'c', 0);
    b.setAffinity('None');
    assert.equal(b.affinityEntries, 0);
    assert.equal(b.sessionAffinity, 'None');
  });
});
