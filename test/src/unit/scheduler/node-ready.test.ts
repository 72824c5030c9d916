import assert from 'node:assert/strict';
import { ClusterEvents, runFilterPlugin } from '@kip/controlplane';
import { NodeInfo } from '@kip/controlplane';
import { ERR_REASON_NOT_READY, NodeReady } from '@kip/controlplane';
import { makeNode, makePod, type NodeSpecOptions } from './fixtures.js';

describe('scheduler plugin NodeReady', () => {
  const cases: { name: string; node: NodeSpecOptions; want: string[] }[] = [
    { name: 'a node with Ready=True passes', node: { ready: 'True' }, want: [] },
    { name: 'a node with Ready=False is not ready', node: { ready: 'False' }, want: [ERR_REASON_NOT_READY] },
    { name: 'a node with Ready=Unknown (lost heartbeats) is not ready', node: { ready: 'Unknown' }, want: [ERR_REASON_NOT_READY] },
    { name: 'a node that has not reported any condition yet is not ready', node: { ready: null }, want: [ERR_REASON_NOT_READY] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = runFilterPlugin(NodeReady, makePod('p'), NodeInfo.of(makeNode('n1', c.node)));
      assert.equal(s.code, c.want.length ? 'Unschedulable' : 'Success');
      assert.deepEqual([...s.reasons], c.want);
    });
  }

  it('says it in kube-scheduler words', () => {
    assert.equal(ERR_REASON_NOT_READY, 'node(s) were not ready');
  });

  it('registers for node additions and Ready changes only', () => {
    assert.deepEqual([...NodeReady.events].sort(), [ClusterEvents.NodeAdd, ClusterEvents.NodeReadyChange].sort());
  });
});
