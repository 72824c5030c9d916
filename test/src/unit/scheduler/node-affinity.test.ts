import assert from 'node:assert/strict';
import type { Affinity, NodeSelectorTerm } from '@kip/shared';
import { ClusterEvents, runFilterPlugin, runScorePlugin } from '@kip/controlplane';
import { NodeInfo } from '@kip/controlplane';
import { ERR_REASON_AFFINITY_MISMATCH, NodeAffinity } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

const required = (...terms: NodeSelectorTerm[]): Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});

describe('scheduler plugin NodeAffinity', () => {
  describe('filter', () => {
    const node = makeNode('node-1', { labels: { disk: 'ssd', zone: 'a', gen: '5' } });
    const cases: { name: string; nodeSelector?: Record<string, string>; affinity?: Affinity; fits: boolean }[] = [
      { name: 'a pod with neither selector nor affinity fits', fits: true },
      { name: 'a matching nodeSelector fits', nodeSelector: { disk: 'ssd' }, fits: true },
      { name: 'a nodeSelector needs every label', nodeSelector: { disk: 'ssd', zone: 'b' }, fits: false },
      { name: 'a nodeSelector on a missing label does not fit', nodeSelector: { gpu: 'true' }, fits: false },
      { name: 'required In matches', affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }), fits: true },
      { name: 'required NotIn rejects', affinity: required({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }), fits: false },
      { name: 'required Exists matches', affinity: required({ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }), fits: true },
      {
        name: 'required DoesNotExist rejects a present label',
        affinity: required({ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }),
        fits: false,
      },
      { name: 'required Gt compares integers', affinity: required({ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }), fits: true },
      {
        name: 'terms are ORed: one matching term is enough',
        affinity: required(
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] },
          { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
        ),
        fits: true,
      },
      {
        name: 'expressions in a term are ANDed',
        affinity: required({
          matchExpressions: [
            { key: 'disk', operator: 'In', values: ['ssd'] },
            { key: 'zone', operator: 'In', values: ['z'] },
          ],
        }),
        fits: false,
      },
      {
        name: 'matchFields on metadata.name picks the node by name',
        affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }),
        fits: true,
      },
      {
        name: 'matchFields on metadata.name rejects other nodes',
        affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] }),
        fits: false,
      },
      {
        name: 'nodeSelector and required affinity must both hold',
        nodeSelector: { disk: 'hdd' },
        affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }),
        fits: false,
      },
      { name: 'an empty term matches nothing, as in Kubernetes', affinity: required({}), fits: false },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const s = runFilterPlugin(NodeAffinity, makePod('p', { nodeSelector: c.nodeSelector, affinity: c.affinity }), NodeInfo.of(node));
        if (c.fits) assert.equal(s.code, 'Success');
        else
          assert.deepEqual(
            { code: s.code, reasons: [...s.reasons] },
            { code: 'Unschedulable', reasons: ["node(s) didn't match Pod's node affinity/selector"] },
          );
      });
    }
    it('exports the reason kube-scheduler prints', () => assert.equal(ERR_REASON_AFFINITY_MISMATCH, "node(s) didn't match Pod's node affinity/selector"));
  });

  describe('score', () => {
    const nodes = [
      NodeInfo.of(makeNode('fast', { labels: { disk: 'ssd', zone: 'a' } })),
      NodeInfo.of(makeNode('local', { labels: { zone: 'a' } })),
      NodeInfo.of(makeNode('plain')),
    ];
    it('sums the weights of matching preferred terms and scales to 100', () => {
      const pod = makePod('p', {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 60, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
              { weight: 20, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
            ],
          },
        },
      });
      // fast: 80 -> 100; local: 20 -> 25; plain: 0.
      assert.deepEqual(runScorePlugin(NodeAffinity, pod, nodes), [100, 25, 0]);
    });
    it('scores every node 0 when the pod has no preference', () => {
      assert.deepEqual(runScorePlugin(NodeAffinity, makePod('p'), nodes), [0, 0, 0]);
    });
  });

  it('has weight 2 and registers for node additions and label changes', () => {
    assert.equal(NodeAffinity.weight, 2);
    assert.deepEqual([...NodeAffinity.events].sort(), [ClusterEvents.NodeAdd, ClusterEvents.NodeLabelChange].sort());
  });
});
