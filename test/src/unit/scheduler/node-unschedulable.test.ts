import assert from 'node:assert/strict';
import type { Toleration } from '@kip/shared';
import { ClusterEvents, runFilterPlugin } from '@kip/controlplane';
import { NodeInfo } from '@kip/controlplane';
import { ERR_REASON_UNSCHEDULABLE, NodeUnschedulable, TAINT_NODE_UNSCHEDULABLE } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

describe('scheduler plugin NodeUnschedulable', () => {
  const cases: { name: string; cordoned: boolean; tolerations?: Toleration[]; fits: boolean }[] = [
    { name: 'a schedulable node passes', cordoned: false, fits: true },
    { name: 'a cordoned node rejects an ordinary pod', cordoned: true, fits: false },
    {
      name: 'a cordoned node takes a pod tolerating node.kubernetes.io/unschedulable:NoSchedule',
      cordoned: true,
      tolerations: [{ key: TAINT_NODE_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' }],
      fits: true,
    },
    { name: 'a cordoned node takes a pod that tolerates everything', cordoned: true, tolerations: [{ operator: 'Exists' }], fits: true },
    {
      name: 'a toleration for the NoExecute effect does not cover the cordon',
      cordoned: true,
      tolerations: [{ key: TAINT_NODE_UNSCHEDULABLE, operator: 'Exists', effect: 'NoExecute' }],
      fits: false,
    },
    { name: 'a toleration for another key does not cover the cordon', cordoned: true, tolerations: [{ key: 'dedicated', operator: 'Exists' }], fits: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = runFilterPlugin(NodeUnschedulable, makePod('p', { tolerations: c.tolerations }), NodeInfo.of(makeNode('n1', { unschedulable: c.cordoned })));
      if (c.fits) assert.equal(s.code, 'Success');
      else assert.deepEqual({ code: s.code, reasons: [...s.reasons] }, { code: 'Unschedulable', reasons: ['node(s) were unschedulable'] });
    });
  }

  it('exports the reason kube-scheduler prints', () => {
    assert.equal(ERR_REASON_UNSCHEDULABLE, 'node(s) were unschedulable');
  });

  it('registers for node additions and cordon changes', () => {
    assert.deepEqual([...NodeUnschedulable.events].sort(), [ClusterEvents.NodeAdd, ClusterEvents.NodeUnschedulableChange].sort());
  });
});
