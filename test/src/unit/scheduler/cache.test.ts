import assert from 'node:assert/strict';
import type { Node, Pod } from '@kip/shared';
import { nodeUpdateEvents, SchedulerCache } from '@kip/controlplane';
import { ClusterEvents, type ClusterEvent } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

const MI = 2 ** 20;

function sums(cache: SchedulerCache, node: string) {
  const ni = cache.getNode(node);
  if (!ni) return undefined;
  assert.equal(ni.podCount, ni.podInfos.size);
  return { cpu: ni.requestedCpu, memory: ni.requestedMemory, pods: ni.podInfos.size, owners: Object.fromEntries(ni.ownerCounts) };
}

describe('scheduler cache', () => {
  it('sums the requests and owners of the pods bound to a node', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    c.updatePod(makePod('a', { nodeName: 'n1', cpu: '250m', memory: '64Mi', owner: 'rs-1' }));
    c.updatePod(makePod('b', { nodeName: 'n1', cpu: '500m', owner: 'rs-1' }));
    c.updatePod(makePod('c', { nodeName: 'n1', memory: '1Mi' }));
    assert.deepEqual(sums(c, 'n1'), { cpu: 750, memory: 65 * MI, pods: 3, owners: { 'rs-1': 2 } });
    // Non-zero sums count the defaults where a container asks for nothing.
    assert.equal(c.getNode('n1')!.nonZeroRequestedCpu, 250 + 500 + 100);
  });

  it('applies an update as the difference from the previous version', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    c.updatePod(makePod('a', { nodeName: 'n1', cpu: '1', owner: 'rs-1' }));
    const freed = c.updatePod(makePod('a', { nodeName: 'n1', cpu: '300m', owner: 'rs-1' }));
    assert.equal(freed, true);
    assert.deepEqual(sums(c, 'n1'), { cpu: 300, memory: 0, pods: 1, owners: { 'rs-1': 1 } });
    assert.equal(c.updatePod(makePod('a', { nodeName: 'n1', cpu: '300m', owner: 'rs-1' })), false, 'a repeat of the same version frees nothing');
  });

  it('subtracts a deleted pod exactly once', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    c.updatePod(makePod('a', { nodeName: 'n1', cpu: '1', owner: 'rs-1' }));
    assert.equal(c.removePod('uid-a'), true);
    assert.equal(c.removePod('uid-a'), false);
    assert.deepEqual(sums(c, 'n1'), { cpu: 0, memory: 0, pods: 0, owners: {} });
  });

  it('stops counting a pod once it has Succeeded or Failed', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    c.updatePod(makePod('job', { nodeName: 'n1', cpu: '1' }));
    assert.equal(c.updatePod(makePod('job', { nodeName: 'n1', cpu: '1', phase: 'Succeeded' })), true);
    assert.deepEqual(sums(c, 'n1'), { cpu: 0, memory: 0, pods: 0, owners: {} });
    c.updatePod(makePod('done', { nodeName: 'n1', cpu: '1', phase: 'Failed' }));
    assert.deepEqual(sums(c, 'n1'), { cpu: 0, memory: 0, pods: 0, owners: {} });
  });

  it('keeps the resources of a terminating pod but no longer spreads against it', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    c.updatePod(makePod('a', { nodeName: 'n1', cpu: '1', owner: 'rs-1' }));
    c.updatePod(makePod('a', { nodeName: 'n1', cpu: '1', owner: 'rs-1', deletionTimestamp: '2026-01-01T00:00:00Z' }));
    assert.deepEqual(sums(c, 'n1'), { cpu: 1000, memory: 0, pods: 1, owners: {} });
  });

  it('counts an assumed pod once, whether or not its store event follows', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    const pod = makePod('a', { cpu: '1', owner: 'rs-1' });
    c.assume(pod, 'n1');
    assert.equal(c.isAssumed('uid-a'), true);
    assert.deepEqual(sums(c, 'n1'), { cpu: 1000, memory: 0, pods: 1, owners: { 'rs-1': 1 } });
    // The store confirms the bind: same uid, no double count.
    const boundPod: Pod = { ...pod, spec: { ...pod.spec, nodeName: 'n1' } };
    assert.equal(c.updatePod(boundPod), false);
    assert.equal(c.isAssumed('uid-a'), false);
    assert.deepEqual(sums(c, 'n1'), { cpu: 1000, memory: 0, pods: 1, owners: { 'rs-1': 1 } });
    // Forgetting after confirmation changes nothing.
    c.forget('uid-a');
    assert.deepEqual(sums(c, 'n1'), { cpu: 1000, memory: 0, pods: 1, owners: { 'rs-1': 1 } });
  });

  it('confirms an assumed pod in place, keeping the stored version for preemption to read', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    const pod = makePod('a', { cpu: '1', memory: '64Mi', owner: 'rs-1', labels: { app: 'web' } });
    c.assume({ ...pod, spec: { ...pod.spec, nodeName: 'n1' } }, 'n1');
    // As the store writes it: a new object, the unchanged parts shared.
    const stored: Pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: '7' }, spec: { ...pod.spec, nodeName: 'n1' } };
    assert.equal(c.updatePod(stored), false);
    assert.equal(c.isAssumed('uid-a'), false);
    assert.deepEqual(sums(c, 'n1'), { cpu: 1000, memory: 64 * MI, pods: 1, owners: { 'rs-1': 1 } });
    assert.equal(c.getNode('n1')!.podInfos.get('uid-a')!.pod, stored);
  });

  it('recounts an assumed pod whose store version changed what it counts', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    c.upsertNode(makeNode('n2'));
    const pod = makePod('a', { cpu: '1', owner: 'rs-1', labels: { app: 'web' } });
    c.assume({ ...pod, spec: { ...pod.spec, nodeName: 'n1' } }, 'n1');
    const relabelled: Pod = { ...pod, metadata: { ...pod.metadata, labels: { app: 'db' } }, spec: { ...pod.spec, nodeName: 'n1' } };
    assert.equal(c.updatePod(relabelled), false);
    assert.deepEqual(c.getNode('n1')!.podInfos.get('uid-a')!.labels, { app: 'db' });
    const bigger = makePod('a', { cpu: '2', owner: 'rs-1', nodeName: 'n1' });
    c.assume(pod, 'n1');
    assert.equal(c.updatePod(bigger), false);
    assert.deepEqual(sums(c, 'n1'), { cpu: 2000, memory: 0, pods: 1, owners: { 'rs-1': 1 } });
    // Bound elsewhere than assumed: counted there, and the first node freed.
    c.assume(pod, 'n1');
    assert.equal(c.updatePod({ ...pod, spec: { ...pod.spec, nodeName: 'n2' } }), true);
    assert.deepEqual(sums(c, 'n1'), { cpu: 0, memory: 0, pods: 0, owners: {} });
    assert.deepEqual(sums(c, 'n2'), { cpu: 1000, memory: 0, pods: 1, owners: { 'rs-1': 1 } });
  });

  it('forgets an assumed pod whose bind failed', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    c.assume(makePod('a', { cpu: '1' }), 'n1');
    c.forget('uid-a');
    assert.deepEqual(sums(c, 'n1'), { cpu: 0, memory: 0, pods: 0, owners: {} });
    assert.equal(c.nodeOf('uid-a'), undefined);
  });

  it('keeps pods that arrive before their node, and their node keeps them', () => {
    const c = new SchedulerCache();
    c.updatePod(makePod('early', { nodeName: 'late', cpu: '2' }));
    assert.equal(c.numNodes(), 0, 'a node known only from pods is not a scheduling target');
    c.upsertNode(makeNode('late'));
    assert.equal(c.numNodes(), 1);
    assert.deepEqual(sums(c, 'late'), { cpu: 2000, memory: 0, pods: 1, owners: {} });
  });

  it('drops a deleted node from the search but keeps its pods until they go', () => {
    const c = new SchedulerCache();
    for (const n of ['a', 'b', 'c']) c.upsertNode(makeNode(n));
    c.updatePod(makePod('p', { nodeName: 'b', cpu: '1' }));
    c.removeNode('b');
    assert.deepEqual(
      c
        .nodeList()
        .map((n) => n.name)
        .sort(),
      ['a', 'c'],
    );
    assert.equal(c.getNode('b')?.requestedCpu, 1000);
    c.removePod('uid-p');
    assert.equal(c.getNode('b'), undefined);
  });

  it('reports a new node as NodeAdd and tracks allocatable from status', () => {
    const c = new SchedulerCache();
    assert.deepEqual(c.upsertNode(makeNode('n1', { cpu: '2', memory: '1Gi', pods: '10' })), [ClusterEvents.NodeAdd]);
    const ni = c.getNode('n1')!;
    assert.deepEqual([ni.allocatableCpu, ni.allocatableMemory, ni.allocatablePods], [2000, 1024 * MI, 10]);
  });

  describe('node update events', () => {
    const base = makeNode('n1');
    const cases: { name: string; change: (n: Node) => void; want: ClusterEvent[] }[] = [
      { name: 'a heartbeat changes nothing that matters', change: (n) => (n.status!.conditions![0]!.lastHeartbeatTime = '2026-01-01T00:00:10Z'), want: [] },
      { name: 'a label change', change: (n) => (n.metadata.labels = { ...n.metadata.labels, disk: 'ssd' }), want: [ClusterEvents.NodeLabelChange] },
      { name: 'a taint added', change: (n) => (n.spec.taints = [{ key: 'k', effect: 'NoSchedule' }]), want: [ClusterEvents.NodeTaintChange] },
      { name: 'a cordon', change: (n) => (n.spec.unschedulable = true), want: [ClusterEvents.NodeUnschedulableChange] },
      {
        name: 'more allocatable memory',
        change: (n) => (n.status!.allocatable = { ...n.status!.allocatable, memory: '16Gi' }),
        want: [ClusterEvents.NodeAllocatableChange],
      },
      { name: 'Ready turning Unknown', change: (n) => (n.status!.conditions = [{ type: 'Ready', status: 'Unknown' }]), want: [ClusterEvents.NodeReadyChange] },
      {
        name: 'several parts at once',
        change: (n) => {
          n.spec.unschedulable = true;
          n.spec.taints = [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }];
        },
        want: [ClusterEvents.NodeTaintChange, ClusterEvents.NodeUnschedulableChange],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const next = structuredClone(base);
        c.change(next);
        assert.deepEqual(nodeUpdateEvents(base, next), c.want);
        const cache = new SchedulerCache();
        cache.upsertNode(base);
        assert.deepEqual(cache.upsertNode(next), c.want);
      });
    }
  });
});
