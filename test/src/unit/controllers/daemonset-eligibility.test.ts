// Where a DaemonSet's pod belongs, as Kubernetes' NodeShouldRunDaemonPod decides: tables of nodes
// and templates built in memory.

import assert from 'node:assert/strict';
import type { Node, PodSpec, Taint } from '@kip/shared';
import { nodeShouldRunDaemonPod, pinToNode, targetNodeName, tolerationMs, withDaemonTolerations } from '@kip/controlplane';

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: taints.length ? { taints } : {} };
}

const spec = (extra: Partial<PodSpec> = {}): PodSpec => ({ containers: [{ name: 'main', image: 'pause' }], ...extra });

describe('controllers/daemonset-eligibility', () => {
  const cases: [string, PodSpec, Node, { shouldRun: boolean; shouldContinueRunning: boolean }][] = [
    ['any node, without selector or taints', spec(), node('n1'), { shouldRun: true, shouldContinueRunning: true }],
    ['nodeSelector matching', spec({ nodeSelector: { disk: 'ssd' } }), node('n1', { disk: 'ssd' }), { shouldRun: true, shouldContinueRunning: true }],
    [
      'nodeSelector not matching: neither run nor stay',
      spec({ nodeSelector: { disk: 'ssd' } }),
      node('n1', { disk: 'hdd' }),
      { shouldRun: false, shouldContinueRunning: false },
    ],
    [
      'required affinity NotIn, label absent: matches',
      spec({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'd', operator: 'NotIn', values: ['off'] }] }] },
          },
        },
      }),
      node('n1'),
      { shouldRun: true, shouldContinueRunning: true },
    ],
    [
      'required affinity NotIn, labelled out',
      spec({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'd', operator: 'NotIn', values: ['off'] }] }] },
          },
        },
      }),
      node('n1', { d: 'off' }),
      { shouldRun: false, shouldContinueRunning: false },
    ],
    [
      'untolerated NoSchedule taint: no new pod, but one there stays',
      spec(),
      node('n1', {}, [{ key: 'gpu', effect: 'NoSchedule' }]),
      { shouldRun: false, shouldContinueRunning: true },
    ],
    [
      'untolerated NoExecute taint: neither run nor stay',
      spec(),
      node('n1', {}, [{ key: 'gpu', effect: 'NoExecute' }]),
      { shouldRun: false, shouldContinueRunning: false },
    ],
    [
      'tolerated NoExecute taint',
      spec({ tolerations: [{ key: 'gpu', operator: 'Exists' }] }),
      node('n1', {}, [{ key: 'gpu', effect: 'NoExecute' }]),
      { shouldRun: true, shouldContinueRunning: true },
    ],
    [
      'PreferNoSchedule taint keeps nothing off',
      spec(),
      node('n1', {}, [{ key: 'x', effect: 'PreferNoSchedule' }]),
      { shouldRun: true, shouldContinueRunning: true },
    ],
    [
      'a cordoned node (unschedulable taint) still runs daemons',
      spec(),
      node('n1', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]),
      { shouldRun: true, shouldContinueRunning: true },
    ],
    [
      'an unreachable node keeps its daemons, but gets no new one',
      spec(),
      node('n1', {}, [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      ]),
      { shouldRun: false, shouldContinueRunning: true },
    ],
    [
      'memory pressure does not keep a daemon off',
      spec(),
      node('n1', {}, [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }]),
      { shouldRun: true, shouldContinueRunning: true },
    ],
  ];
  for (const [name, s, n, want] of cases) it(name, () => assert.deepEqual(nodeShouldRunDaemonPod(s, n), want));

  it('adds the daemon tolerations once, keeping the pod’s own, but not a tolerationSeconds that would evict it', () => {
    const t = withDaemonTolerations([
      { key: 'gpu', operator: 'Exists' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
    ]);
    assert.equal(t.length, 7);
    assert.deepEqual(t[0], { key: 'gpu', operator: 'Exists' });
    assert.deepEqual(t[1], { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' });
    assert.equal(t.filter((x) => x.key === 'node.kubernetes.io/not-ready').length, 1);
    assert.ok(t.some((x) => x.key === 'node.kubernetes.io/unschedulable' && x.effect === 'NoSchedule'));
  });

  it('pins a pod to its node by matchFields, keeping the label expressions of every term', () => {
    const plain = pinToNode(undefined, 'n2');
    assert.deepEqual(plain.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }],
    });
    const kept = pinToNode(
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'd', operator: 'In', values: ['x'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['other'] }] },
            ],
          },
        },
      },
      'n2',
    );
    assert.deepEqual(kept.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [
      { matchExpressions: [{ key: 'd', operator: 'In', values: ['x'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] },
    ]);
    assert.equal(targetNodeName(spec({ affinity: kept })), 'n2');
    assert.equal(targetNodeName(spec({ nodeName: 'n3', affinity: kept })), 'n3');
    assert.equal(targetNodeName(spec()), undefined);
  });

  it('a daemon pod is never evicted from an unreachable node: it tolerates the NoExecute taint for ever', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'd' }, spec: spec({ tolerations: withDaemonTolerations(undefined) }) } as const;
    const taint: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
    assert.equal(tolerationMs(pod, taint, 300_000), Infinity);
    assert.equal(tolerationMs({ ...pod, spec: spec() }, taint, 300_000), 300_000, 'other pods go after the default');
  });
});
