import assert from 'node:assert/strict';
import { CycleState, NodeCensus, NodeInfo, NodeReady, NodeUnschedulable, SchedulerCache, SKIP, SUCCESS, TaintToleration, ZONE_LABEL } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

function counts(c: NodeCensus) {
  return {
    notReady: c.notReady,
    unschedulable: c.unschedulable,
    hard: c.withHardTaints,
    prefer: c.withPreferNoScheduleTaints,
    zone: c.withLabel(ZONE_LABEL),
  };
}

const NONE = { notReady: 0, unschedulable: 0, hard: 0, prefer: 0, zone: 0 };

describe('scheduler node census', () => {
  it('follows each node through the changes the cache sees, and forgets removed nodes', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(makeNode('a'));
    cache.upsertNode(makeNode('b', { labels: { [ZONE_LABEL]: 'z1' } }));
    assert.deepEqual(counts(cache.census()), { ...NONE, zone: 1 });

    cache.upsertNode(makeNode('a', { ready: 'Unknown', unschedulable: true }));
    cache.upsertNode(
      makeNode('b', {
        taints: [
          { key: 'k', effect: 'NoExecute' },
          { key: 'p', effect: 'PreferNoSchedule' },
        ],
      }),
    );
    assert.deepEqual(counts(cache.census()), { notReady: 1, unschedulable: 1, hard: 1, prefer: 1, zone: 0 });

    // The same node again: counted once, not twice.
    cache.upsertNode(makeNode('a', { ready: 'Unknown', unschedulable: true }));
    assert.deepEqual(counts(cache.census()), { notReady: 1, unschedulable: 1, hard: 1, prefer: 1, zone: 0 });

    cache.removeNode('a');
    cache.removeNode('b');
    cache.removeNode('b');
    assert.deepEqual(counts(cache.census()), NONE);
  });

  it('counts a node that pods named before it existed once it is added', () => {
    const cache = new SchedulerCache();
    cache.updatePod(makePod('early', { nodeName: 'late', cpu: '100m' }));
    assert.deepEqual(counts(cache.census()), NONE);
    cache.upsertNode(makeNode('late', { ready: 'False' }));
    assert.equal(cache.census().notReady, 1);
    cache.removeNode('late');
    assert.equal(cache.census().notReady, 0);
  });

  it('lets the node-level filters skip only while no node can fail them', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(makeNode('a'));
    const pod = makePod('p');
    const pre = () => [NodeUnschedulable, NodeReady, TaintToleration].map((f) => f.preFilter!(pod, new CycleState(cache)));
    assert.deepEqual(pre(), [SKIP, SKIP, SKIP]);
    cache.upsertNode(makeNode('a', { unschedulable: true, ready: 'False', taints: [{ key: 'k', effect: 'NoSchedule' }] }));
    assert.deepEqual(pre(), [SUCCESS, SUCCESS, SUCCESS]);
    // A PreferNoSchedule taint keeps no pod off a node: the filter may still skip.
    cache.upsertNode(makeNode('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }));
    assert.deepEqual(pre(), [SKIP, SKIP, SKIP]);
    // Without a snapshot to ask, every filter runs.
    assert.deepEqual(
      [NodeUnschedulable, NodeReady, TaintToleration].map((f) => f.preFilter!(pod, new CycleState())),
      [SUCCESS, SUCCESS, SUCCESS],
    );
  });

  it('counts a fixed list of nodes the same way', () => {
    const nodes = [makeNode('a', { ready: 'False' }), makeNode('b', { labels: { [ZONE_LABEL]: 'z' } })].map((n) => NodeInfo.of(n));
    assert.deepEqual(counts(NodeCensus.of(nodes)), { ...NONE, notReady: 1, zone: 1 });
  });
});
