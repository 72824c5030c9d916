import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget } from '@kip/shared';
import { defaultPlugins, findPreemption, Framework, SchedulerCache, type PreemptionOutcome } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

/** A cache with 1-cpu nodes and the pods given (each bound to its nodeName). */
function cacheWith(nodes: string[], pods: Pod[]): SchedulerCache {
  const c = new SchedulerCache();
  for (const n of nodes) c.upsertNode(makeNode(n, { cpu: '1' }));
  for (const p of pods) c.updatePod(p);
  return c;
}

function preempt(c: SchedulerCache, pod: Pod, budgets: PodDisruptionBudget[] = []): PreemptionOutcome {
  return findPreemption({
    budgets,
    pod,
    nodes: c.nodeList(),
    framework: new Framework(defaultPlugins()),
    snapshot: c,
    withoutPods: (uids, fn) => c.withoutPods(uids, fn),
    getNode: (name) => c.getNode(name),
    anyLowerPriority: c.hasPodsBelow(pod.spec.priority ?? 0),
  });
}

const bound = (name: string, node: string, cpu: string, priority: number, extra: Parameters<typeof makePod>[1] = {}) =>
  makePod(name, { nodeName: node, cpu, priority, phase: 'Running', ...extra });

function victimsOf(o: PreemptionOutcome): { node: string; victims: string[] } | string {
  if (o.kind !== 'preempt') return o.kind;
  return { node: o.candidate.node.name, victims: o.candidate.victims.map((v) => v.name) };
}

describe('scheduler preemption (DefaultPreemption)', () => {
  it('evicts only as many lower-priority pods as the pod needs, reprieving the most important first', () => {
    const c = cacheWith(['n1'], [bound('low-a', 'n1', '300m', 1), bound('low-b', 'n1', '300m', 5), bound('low-c', 'n1', '300m', 3)]);
    // 900m used of 1000m; 500m needs two of them gone. low-b (5) is reprieved first, then low-c (3) would be,
    // but without low-c there is not room: low-a and low-c go.
    assert.deepEqual(victimsOf(preempt(c, makePod('high', { cpu: '500m', priority: 10 }))), { node: 'n1', victims: ['low-c', 'low-a'] });
  });

  it('never evicts pods of equal or higher priority', () => {
    const c = cacheWith(['n1'], [bound('same', 'n1', '800m', 10), bound('higher', 'n1', '100m', 20)]);
    assert.deepEqual(victimsOf(preempt(c, makePod('p', { cpu: '500m', priority: 10 }))), 'none');
  });

  it('picks the node whose most important victim matters least', () => {
    const c = cacheWith(['n1', 'n2'], [bound('mid', 'n1', '800m', 50), bound('low', 'n2', '800m', 1)]);
    assert.deepEqual(victimsOf(preempt(c, makePod('p', { cpu: '500m', priority: 100 }))), { node: 'n2', victims: ['low'] });
  });

  it('with equal top priorities, picks the node with fewer victims', () => {
    const c = cacheWith(['n1', 'n2'], [bound('a1', 'n1', '500m', 1), bound('a2', 'n1', '500m', 1), bound('b1', 'n2', '800m', 1)]);
    assert.deepEqual(victimsOf(preempt(c, makePod('p', { cpu: '600m', priority: 100 }))), { node: 'n2', victims: ['b1'] });
  });

  it('does not pick victims where evicting them would not help (other filters still reject)', () => {
    const c = cacheWith(['n1'], [bound('low', 'n1', '800m', 1)]);
    const p = makePod('p', { cpu: '500m', priority: 100, nodeSelector: { disk: 'ssd' } });
    assert.deepEqual(victimsOf(preempt(c, p)), 'none');
  });

  it('evicting a pod that the anti-affinity of the incoming pod selects makes room', () => {
    const c = cacheWith(['n1'], [bound('web-old', 'n1', '100m', 1, { labels: { app: 'web' } })]);
    const p = makePod('web-new', {
      priority: 100,
      labels: { app: 'web' },
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
        },
      },
    });
    assert.deepEqual(victimsOf(preempt(c, p)), { node: 'n1', victims: ['web-old'] });
  });

  it('says per node why none was found, in kube-scheduler words', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('cordoned', { cpu: '1', unschedulable: true }));
    c.upsertNode(makeNode('higher', { cpu: '1' }));
    c.upsertNode(makeNode('small', { cpu: '1' }));
    c.updatePod(bound('top', 'higher', '900m', 500));
    c.updatePod(bound('low', 'small', '100m', 1));
    const o = preempt(c, makePod('big', { cpu: '2', priority: 100 }));
    assert.equal(o.kind, 'none');
    assert.equal(
      o.kind === 'none' && o.message,
      '0/3 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
  });

  it('leaves the cache exactly as it was', () => {
    const c = cacheWith(['n1'], [bound('low', 'n1', '800m', 1)]);
    preempt(c, makePod('p', { cpu: '500m', priority: 100 }));
    const ni = c.getNode('n1')!;
    assert.equal(ni.requestedCpu, 800);
    assert.deepEqual([...ni.podInfos.keys()], ['uid-low']);
  });

  it('respects preemptionPolicy Never, and waits for terminating victims on the nominated node', () => {
    const c = cacheWith(['n1'], [bound('low', 'n1', '800m', 1)]);
    const never = makePod('p', { cpu: '500m', priority: 100 });
    never.spec.preemptionPolicy = 'Never';
    const o = preempt(c, never);
    assert.equal(o.kind, 'ineligible');
    assert.equal(o.kind === 'ineligible' && o.message, 'not eligible due to preemptionPolicy=Never.');

    const c2 = cacheWith(['n1'], [bound('low', 'n1', '800m', 1, { deletionTimestamp: '2026-01-01T00:00:00Z' })]);
    const nominated = makePod('p', { cpu: '500m', priority: 100 });
    nominated.status = { ...nominated.status, nominatedNodeName: 'n1' };
    const o2 = preempt(c2, nominated);
    assert.equal(o2.kind === 'ineligible' && o2.message, 'not eligible due to a terminating pod on the nominated node.');
  });

  describe('with PodDisruptionBudgets (filterPodsWithPDBViolation)', () => {
    const pdb = (app: string, allowed: number, disruptedPods: Record<string, string> = {}): PodDisruptionBudget => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: `${app}-pdb`, namespace: 'default', generation: 1 },
      spec: { minAvailable: 1, selector: { matchLabels: { app } } },
      status: { disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1, observedGeneration: 1, disruptedPods },
    });

    it('prefers the node where preempting breaks no budget, over a lower-priority victim that would', () => {
      const c = cacheWith(['n1', 'n2'], [bound('guarded', 'n1', '800m', 1, { labels: { app: 'db' } }), bound('free', 'n2', '800m', 5)]);
      const p = makePod('p', { cpu: '500m', priority: 100 });
      assert.deepEqual(victimsOf(preempt(c, p)), { node: 'n1', victims: ['guarded'] }, 'without budgets the lowest priority goes');
      assert.deepEqual(victimsOf(preempt(c, p, [pdb('db', 0)])), { node: 'n2', victims: ['free'] });
    });

    it('on one node, reprieves the victim a budget protects when another makes room', () => {
      const c = cacheWith(['n1'], [bound('guarded', 'n1', '400m', 1, { labels: { app: 'db' } }), bound('other', 'n1', '400m', 5)]);
      const p = makePod('p', { cpu: '500m', priority: 100 });
      assert.deepEqual(victimsOf(preempt(c, p)), { node: 'n1', victims: ['guarded'] });
      assert.deepEqual(victimsOf(preempt(c, p, [pdb('db', 0)])), { node: 'n1', victims: ['other'] });
      assert.deepEqual(victimsOf(preempt(c, p, [pdb('db', 1)])), { node: 'n1', victims: ['guarded'] }, 'a budget with room left protects nothing');
    });

    it('still preempts when only a protected pod makes room: budgets are best effort, as in kube-scheduler', () => {
      const c = cacheWith(['n1'], [bound('guarded', 'n1', '800m', 1, { labels: { app: 'db' } })]);
      const o = preempt(c, makePod('p', { cpu: '500m', priority: 100 }), [pdb('db', 0)]);
      assert.equal(o.kind, 'preempt');
      if (o.kind === 'preempt') assert.equal(o.candidate.budgetViolations, 1);
    });
  });
});
