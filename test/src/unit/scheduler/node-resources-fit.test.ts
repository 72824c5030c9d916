import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import { ClusterEvents, runFilterPlugin, runScorePlugin } from '@kip/controlplane';
import { NodeInfo } from '@kip/controlplane';
import { leastRequestedScore, NodeResourcesFit } from '@kip/controlplane';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, podResources } from '@kip/controlplane';
import { makeNode, makePod, type PodSpecOptions } from './fixtures.js';

const bound = (name: string, o: PodSpecOptions): Pod => makePod(name, { ...o, nodeName: 'n1' });

describe('scheduler plugin NodeResourcesFit', () => {
  describe('filter', () => {
    const cases: { name: string; node?: { cpu?: string; memory?: string; pods?: string }; existing?: PodSpecOptions[]; pod: PodSpecOptions; want: string[] }[] =
      [
        { name: 'a pod that fits an empty node passes', pod: { cpu: '1', memory: '1Gi' }, want: [] },
        { name: 'a pod asking for exactly what is left passes', existing: [{ cpu: '3', memory: '6Gi' }], pod: { cpu: '1', memory: '2Gi' }, want: [] },
        { name: 'too much cpu is Insufficient cpu', existing: [{ cpu: '3500m' }], pod: { cpu: '1' }, want: ['Insufficient cpu'] },
        { name: 'too much memory is Insufficient memory', pod: { memory: '9Gi' }, want: ['Insufficient memory'] },
        {
          name: 'both short gives both reasons, cpu first',
          existing: [{ cpu: '4', memory: '8Gi' }],
          pod: { cpu: '100m', memory: '1Mi' },
          want: ['Insufficient cpu', 'Insufficient memory'],
        },
        { name: 'a full pod count is Too many pods', node: { pods: '2' }, existing: [{}, {}], pod: {}, want: ['Too many pods'] },
        { name: 'a pod with no requests fits a node with no cpu left', existing: [{ cpu: '4', memory: '8Gi' }], pod: {}, want: [] },
        {
          name: 'every reason at once, in kube-scheduler order',
          node: { pods: '1', cpu: '1', memory: '1Gi' },
          existing: [{ cpu: '1', memory: '1Gi' }],
          pod: { cpu: '1', memory: '1Gi' },
          want: ['Too many pods', 'Insufficient cpu', 'Insufficient memory'],
        },
      ];
    for (const c of cases) {
      it(c.name, () => {
        const pods = (c.existing ?? []).map((o, i) => bound(`e${i}`, o));
        const s = runFilterPlugin(NodeResourcesFit, makePod('p', c.pod), NodeInfo.of(makeNode('n1', c.node), pods));
        assert.equal(s.code, c.want.length ? 'Unschedulable' : 'Success');
        assert.deepEqual([...s.reasons], c.want);
      });
    }

    it('counts a request defaulted from a limit', () => {
      const pod = makePod('p');
      pod.spec.containers[0]!.resources = { limits: { cpu: '5' } };
      const s = runFilterPlugin(NodeResourcesFit, pod, NodeInfo.of(makeNode('n1')));
      assert.deepEqual([...s.reasons], ['Insufficient cpu']);
    });
  });

  describe('score (LeastAllocated)', () => {
    it('prefers the emptier node', () => {
      const empty = NodeInfo.of(makeNode('empty'));
      const half = NodeInfo.of(makeNode('half'), [bound('e', { cpu: '2', memory: '4Gi' })]);
      // empty: (4000-1000)/4000 -> 75 for cpu and memory; half: (4000-3000)/4000 -> 25.
      assert.deepEqual(runScorePlugin(NodeResourcesFit, makePod('p', { cpu: '1', memory: '2Gi' }), [empty, half]), [75, 25]);
    });

    it('counts pods without requests at 100m / 200Mi, as kube-scheduler scores them', () => {
      const r = podResources(makePod('p').spec);
      assert.deepEqual(r, { cpu: 0, memory: 0, nonZeroCpu: DEFAULT_MILLI_CPU_REQUEST, nonZeroMemory: DEFAULT_MEMORY_REQUEST });
      const empty = NodeInfo.of(makeNode('empty'));
      const busy = NodeInfo.of(makeNode('busy'), [bound('a', {}), bound('b', {})]);
      // empty: cpu (4000-100)/4000 = 97.5 -> 97, memory (8192-200)/8192 = 97.5 -> 97.
      // busy: cpu (4000-300)/4000 = 92.5 -> 92, memory (8192-600)/8192 = 92.6 -> 92.
      assert.deepEqual(runScorePlugin(NodeResourcesFit, makePod('p'), [empty, busy]), [97, 92]);
    });

    const table: { name: string; requested: number; capacity: number; want: number }[] = [
      { name: 'nothing requested scores 100', requested: 0, capacity: 4000, want: 100 },
      { name: 'a quarter used scores 75', requested: 1000, capacity: 4000, want: 75 },
      { name: 'fractions are truncated', requested: 1, capacity: 3, want: 66 },
      { name: 'over capacity scores 0', requested: 5000, capacity: 4000, want: 0 },
      { name: 'no capacity scores 0', requested: 0, capacity: 0, want: 0 },
    ];
    for (const c of table) it(`leastRequestedScore: ${c.name}`, () => assert.equal(leastRequestedScore(c.requested, c.capacity), c.want));
  });

  it('has weight 1 and registers for node additions, allocatable changes and pod deletions', () => {
    assert.equal(NodeResourcesFit.weight, 1);
    assert.deepEqual([...NodeResourcesFit.events].sort(), [ClusterEvents.NodeAdd, ClusterEvents.NodeAllocatableChange, ClusterEvents.PodDelete].sort());
  });
});
