import assert from 'node:assert/strict';
import type { Taint, Toleration } from '@kip/shared';
import { ClusterEvents, runFilterPlugin, runScorePlugin } from '@kip/controlplane';
import { NodeInfo } from '@kip/controlplane';
import { TaintToleration, toleratesTaint, untoleratedTaintReason } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

describe('scheduler plugin TaintToleration', () => {
  describe('filter', () => {
    const cases: { name: string; taints: Taint[]; tolerations?: Toleration[]; want?: string }[] = [
      { name: 'a node without taints passes', taints: [] },
      {
        name: 'an untolerated NoSchedule taint rejects, naming key and value',
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        want: 'node(s) had untolerated taint {dedicated: gpu}',
      },
      {
        name: 'a taint without value prints an empty value, as kube-scheduler does',
        taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }],
        want: 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }',
      },
      {
        name: 'an Equal toleration with the same value tolerates',
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      },
      {
        name: 'a toleration without operator means Equal',
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        tolerations: [{ key: 'dedicated', value: 'gpu' }],
      },
      {
        name: 'an Equal toleration with another value does not tolerate',
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
        want: 'node(s) had untolerated taint {dedicated: gpu}',
      },
      {
        name: 'an Exists toleration tolerates any value of its key',
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      },
      {
        name: 'a toleration for another effect does not tolerate',
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }],
        want: 'node(s) had untolerated taint {dedicated: gpu}',
      },
      {
        name: 'PreferNoSchedule taints never filter',
        taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }],
      },
      {
        name: 'the first untolerated taint is the one reported',
        taints: [
          { key: 'a', value: '1', effect: 'NoSchedule' },
          { key: 'b', value: '2', effect: 'NoExecute' },
        ],
        tolerations: [{ key: 'a', operator: 'Exists' }],
        want: 'node(s) had untolerated taint {b: 2}',
      },
      {
        name: 'the not-ready taint set by node lifecycle is covered by its usual toleration',
        taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }],
        tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const s = runFilterPlugin(TaintToleration, makePod('p', { tolerations: c.tolerations }), NodeInfo.of(makeNode('n1', { taints: c.taints })));
        if (!c.want) assert.equal(s.code, 'Success');
        else assert.deepEqual({ code: s.code, reasons: [...s.reasons] }, { code: 'Unschedulable', reasons: [c.want] });
      });
    }
  });

  describe('toleratesTaint', () => {
    const taint: Taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
    const cases: { name: string; t: Toleration; want: boolean }[] = [
      { name: 'empty key with Exists matches every taint', t: { operator: 'Exists' }, want: true },
      { name: 'matching key, value and effect', t: { key: 'k', value: 'v', effect: 'NoSchedule' }, want: true },
      { name: 'matching key and value with no effect covers all effects', t: { key: 'k', value: 'v' }, want: true },
      { name: 'other key', t: { key: 'x', operator: 'Exists' }, want: false },
      { name: 'other value', t: { key: 'k', value: 'w' }, want: false },
    ];
    for (const c of cases) it(c.name, () => assert.equal(toleratesTaint(c.t, taint), c.want));
  });

  describe('score', () => {
    it('prefers nodes with fewer untolerated PreferNoSchedule taints', () => {
      const soft = (key: string): Taint => ({ key, value: 'x', effect: 'PreferNoSchedule' });
      const nodes = [
        NodeInfo.of(makeNode('clean')),
        NodeInfo.of(makeNode('one', { taints: [soft('a')] })),
        NodeInfo.of(makeNode('two', { taints: [soft('a'), soft('b')] })),
        NodeInfo.of(makeNode('hard-only', { taints: [{ key: 'h', effect: 'NoSchedule' }] })),
      ];
      assert.deepEqual(runScorePlugin(TaintToleration, makePod('p'), nodes), [100, 50, 0, 100]);
    });

    it('ignores PreferNoSchedule taints the pod tolerates', () => {
      const nodes = [NodeInfo.of(makeNode('clean')), NodeInfo.of(makeNode('spot', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }))];
      const pod = makePod('p', { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }] });
      assert.deepEqual(runScorePlugin(TaintToleration, pod, nodes), [100, 100]);
    });

    it('does not count tolerations that only cover other effects', () => {
      const nodes = [NodeInfo.of(makeNode('clean')), NodeInfo.of(makeNode('spot', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }))];
      const pod = makePod('p', { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'NoSchedule' }] });
      assert.deepEqual(runScorePlugin(TaintToleration, pod, nodes), [100, 0]);
    });
  });

  it('formats the reason from any taint', () => {
    assert.equal(untoleratedTaintReason({ key: 'k', effect: 'NoSchedule' }), 'node(s) had untolerated taint {k: }');
  });

  it('has weight 3 and registers for node additions and taint changes', () => {
    assert.equal(TaintToleration.weight, 3);
    assert.deepEqual([...TaintToleration.events].sort(), [ClusterEvents.NodeAdd, ClusterEvents.NodeTaintChange].sort());
  });
});
