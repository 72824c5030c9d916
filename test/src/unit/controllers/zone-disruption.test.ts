// Zone states and eviction rates as Kubernetes' node lifecycle controller computes them, and the
// rate-limited queue that spaces out the tainting of lost nodes.

import assert from 'node:assert/strict';
import { FakeClock, PROFILES, type Node } from '@kip/shared';
import { EvictionQueue, TokenBucket } from '@kip/controlplane';
import { LABEL_REGION, LABEL_ZONE, judgeDisruption, zoneEvictionRate, zoneOf, zoneState, type ZoneState } from '@kip/controlplane';

const RATES = { nodeEvictionRate: 0.1, secondaryNodeEvictionRate: 0.01 };

describe('controllers/zone-disruption', () => {
  const states: [string, number, number, ZoneState][] = [
    ['every node Ready', 10, 0, 'Normal'],
    ['no node Ready', 0, 3, 'FullDisruption'],
    ['an empty zone', 0, 0, 'Normal'],
    ['half unhealthy is under the 55% threshold', 5, 5, 'Normal'],
    ['55% unhealthy', 9, 11, 'PartialDisruption'],
    ['two unhealthy nodes are never a partial disruption', 1, 2, 'Normal'],
    ['three of four unhealthy', 1, 3, 'PartialDisruption'],
  ];
  for (const [name, ready, notReady, want] of states) it(`zone state: ${name}`, () => assert.equal(zoneState({ ready, notReady }), want));

  const rates: [string, ZoneState, number, number][] = [
    ['a normal zone evicts at the normal rate', 'Normal', 10, 0.1],
    ['a partially disrupted small zone does not evict', 'PartialDisruption', 50, 0],
    ['a partially disrupted large zone evicts at the secondary rate', 'PartialDisruption', 51, 0.01],
    ['a fully disrupted zone evicts at the normal rate (when others are not)', 'FullDisruption', 3, 0.1],
  ];
  for (const [name, state, size, want] of rates) it(`eviction rate: ${name}`, () => assert.equal(zoneEvictionRate(state, size, RATES), want));

  it('names a zone by its region and zone labels', () => {
    const node = (labels?: Record<string, string>): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', labels }, spec: {} });
    assert.equal(zoneOf(node()), zoneOf(node({ other: 'x' })));
    assert.notEqual(zoneOf(node({ [LABEL_ZONE]: 'a' })), zoneOf(node({ [LABEL_ZONE]: 'b' })));
    assert.notEqual(zoneOf(node({ [LABEL_ZONE]: 'a', [LABEL_REGION]: 'r1' })), zoneOf(node({ [LABEL_ZONE]: 'a', [LABEL_REGION]: 'r2' })));
  });

  it('enters master disruption when every zone is fully disrupted, and says when it leaves it', () => {
    const counts = new Map([
      ['a', { ready: 0, notReady: 3 }],
      ['b', { ready: 0, notReady: 2 }],
    ]);
    const d = judgeDisruption(counts, new Map(), RATES);
    assert.deepEqual([d.masterDisruption, d.leftMasterDisruption, [...d.rates.values()]], [true, false, [0, 0]]);
    const back = judgeDisruption(new Map([...counts, ['b', { ready: 1, notReady: 1 }]]), d.states, RATES);
    assert.deepEqual([back.masterDisruption, back.leftMasterDisruption, back.rates.get('a'), back.rates.get('b')], [false, true, 0.1, 0.1]);
    const later = judgeDisruption(new Map([...counts, ['b', { ready: 1, notReady: 1 }]]), back.states, RATES);
    assert.equal(later.leftMasterDisruption, false, 'said once');
  });
});

describe('controllers/eviction-queue', () => {
  it('a token bucket of burst 1 gives one token, then one per 1/rate', () => {
    const b = new TokenBucket(2, 0);
    assert.deepEqual([b.tryTake(0), b.tryTake(0), b.tryTake(499), b.tryTake(500), b.tryTake(5000), b.tryTake(5000)], [true, false, false, true, true, false]);
    assert.equal(new TokenBucket(0, 0).tryTake(1e9), false, 'rate 0 never gives one');
  });

  it('hands out nodes in the order they came, while tokens last; a removed node is skipped', () => {
    const clock = new FakeClock();
    const q = new EvictionQueue(1, clock);
    const got: string[] = [];
    for (const n of ['a', 'b', 'c']) q.add(n);
    q.remove('b');
    q.process((n) => got.push(n));
    assert.deepEqual(got, ['a']);
    clock.advance(1000);
    q.process((n) => got.push(n));
    assert.deepEqual(got, ['a', 'c']);
    assert.equal(q.size, 0);
  });

  it('a new rate starts without a token when the old bucket had none (Kubernetes SwapLimiter)', () => {
    const clock = new FakeClock();
    const q = new EvictionQueue(PROFILES.fast.nodeEvictionRate, clock);
    const got: string[] = [];
    q.add('a');
    q.add('b');
    q.process((n) => got.push(n));
    q.setRate(0.5);
    q.process((n) => got.push(n));
    assert.deepEqual(got, ['a'], 'drained before, drained after');
    clock.advance(2000);
    q.process((n) => got.push(n));
    assert.deepEqual(got, ['a', 'b']);
    q.setRate(0);
    q.add('c');
    clock.advance(60_000);
    q.process((n) => got.push(n));
    assert.deepEqual(got, ['a', 'b'], 'rate 0: nothing');
  });
});
