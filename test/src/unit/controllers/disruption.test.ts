// PodDisruptionBudgets: the disruption controller's arithmetic (integers and percentages, min and
// max), its reconcile against a store in memory, and the eviction API's check-and-spend.

import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget, ReplicaSet } from '@kip/shared';
import { ApiError, calculateBudgetStatus, DisruptionController, evictPod, expectedPods, pendingDisruptions, type ScaleOf } from '@kip/controlplane';
import { bind, create, get, makeEnv, markReady, newPod, newReplicaSet, NS, pods, type Env } from './fixtures.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');

function budget(spec: PodDisruptionBudget['spec'], generation = 1, status?: PodDisruptionBudget['status']): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: NS, generation },
    spec,
    ...(status ? { status } : {}),
  };
}

function pod(name: string, ready: boolean, extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels: { app: 'web' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-rs', uid: 'rs-uid', controller: true }],
      ...extra,
    },
    spec: { containers: [{ name: 'main', image: 'pause' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const SEL = { matchLabels: { app: 'web' } };
const scaleOf =
  (n: number): ScaleOf =>
  (ref) =>
    ref.uid === 'rs-uid' ? n : undefined;

describe('controllers/disruption-budget: arithmetic', () => {
  const five = ['a', 'b', 'c', 'd', 'e'].map((n, i) => pod(n, i < 4)); // 4 of 5 healthy
  const cases: [string, PodDisruptionBudget['spec'], number, { expected: number; desired: number; allowed: number }][] = [
    ['minAvailable 2 (an integer counts the pods there are)', { minAvailable: 2, selector: SEL }, 10, { expected: 5, desired: 2, allowed: 2 }],
    ['minAvailable 50% of the controller’s 5, rounded up to 3', { minAvailable: '50%', selector: SEL }, 5, { expected: 5, desired: 3, allowed: 1 }],
    ['minAvailable 100%: nothing may go', { minAvailable: '100%', selector: SEL }, 5, { expected: 5, desired: 5, allowed: 0 }],
    ['maxUnavailable 1 of a controller of 5', { maxUnavailable: 1, selector: SEL }, 5, { expected: 5, desired: 4, allowed: 0 }],
    ['maxUnavailable 30% of 5 rounds up to 2', { maxUnavailable: '30%', selector: SEL }, 5, { expected: 5, desired: 3, allowed: 1 }],
    ['maxUnavailable 0%', { maxUnavailable: '0%', selector: SEL }, 5, { expected: 5, desired: 5, allowed: 0 }],
    ['the controller’s scale, not the pods there are, for a percentage', { minAvailable: '50%', selector: SEL }, 8, { expected: 8, desired: 4, allowed: 0 }],
  ];
  for (const [name, spec, scale, want] of cases)
    it(name, () => {
      const st = calculateBudgetStatus(budget(spec), five, scaleOf(scale), NOW);
      assert.deepEqual(
        { expected: st.expectedPods, desired: st.desiredHealthy, allowed: st.disruptionsAllowed, healthy: st.currentHealthy },
        { ...want, healthy: 4 },
      );
      assert.equal(st.conditions?.[0]?.reason, want.allowed > 0 ? 'SufficientPods' : 'InsufficientPods');
    });

  it('a selector matches pods of its namespace only; none matches nothing, empty matches all', () => {
    const other = pod('x', true, { namespace: 'other' });
    assert.equal(calculateBudgetStatus(budget({ minAvailable: 1, selector: SEL }), [...five, other], scaleOf(5), NOW).expectedPods, 5);
    assert.equal(calculateBudgetStatus(budget({ minAvailable: 1 }), five, scaleOf(5), NOW).expectedPods, 0);
    assert.equal(calculateBudgetStatus(budget({ minAvailable: 1, selector: {} }), five, scaleOf(5), NOW).expectedPods, 5);
  });

  it('fails safe (no disruption) when a percentage meets a pod without a controller', () => {
    const st = calculateBudgetStatus(budget({ minAvailable: '50%', selector: SEL }), [pod('a', true, { ownerReferences: [] })], scaleOf(5), NOW);
    assert.equal(st.disruptionsAllowed, 0);
    assert.deepEqual([st.conditions?.[0]?.status, st.conditions?.[0]?.reason], ['False', 'SyncFailed']);
    assert.throws(() => expectedPods(budget({ maxUnavailable: 1, selector: SEL }), [pod('a', true, { ownerReferences: [] })], scaleOf(5)));
  });

  it('keeps evicted pods out of the healthy count until they are gone or two minutes have passed', () => {
    const recent = new Date(NOW - 10_000).toISOString();
    const stale = new Date(NOW - 3 * 60_000).toISOString();
    const kept = pendingDisruptions({ a: recent, b: stale, gone: recent }, five, NOW);
    assert.deepEqual(kept, { a: recent });
    const st = calculateBudgetStatus(
      budget({ minAvailable: 2, selector: SEL }, 1, {
        disruptionsAllowed: 1,
        currentHealthy: 4,
        desiredHealthy: 2,
        expectedPods: 5,
        disruptedPods: { a: recent },
      }),
      five,
      scaleOf(5),
      NOW,
    );
    assert.equal(st.currentHealthy, 3);
    assert.deepEqual(st.disruptedPods, { a: recent });
  });
});

describe('controllers/disruption and the eviction API', () => {
  function setup(minAvailable: number | string): { env: Env; dc: DisruptionController; podNames: string[] } {
    const env = makeEnv();
    const rs = create<ReplicaSet>(env, newReplicaSet('web', 2));
    env.rsc.reconcile(`${NS}/web`);
    for (const p of pods(env, rs)) {
      bind(env, p, 'n1');
      markReady(env, p);
    }
    create(env, budget({ minAvailable, selector: SEL }));
    const dc = new DisruptionController(env.deps);
    dc.reconcile(`${NS}/web`);
    return { env, dc, podNames: pods(env, rs).map((p) => p.metadata.name) };
  }

  it('refuses an eviction with 429 and Kubernetes’ message when no disruption is allowed', () => {
    const { env, podNames } = setup(2);
    const pdb = get<PodDisruptionBudget>(env, 'PodDisruptionBudget', 'web')!;
    assert.deepEqual([pdb.status?.disruptionsAllowed, pdb.status?.currentHealthy, pdb.status?.desiredHealthy, pdb.status?.observedGeneration], [0, 2, 2, 1]);
    const err = (() => {
      try {
        evictPod(env.registry, NS, podNames[0]!, {}, env.clock);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 429);
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(err.toStatus().details?.causes, [
      { reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' },
    ]);
    assert.ok(get<Pod>(env, 'Pod', podNames[0]!), 'the pod stays');
  });

  it('allows an eviction the budget covers, spending it at once so a second one is refused', () => {
    const { env, dc, podNames } = setup('50%');
    assert.equal(get<PodDisruptionBudget>(env, 'PodDisruptionBudget', 'web')?.status?.disruptionsAllowed, 1);
    const marks: string[] = [];
    const stop = env.store.watch({ kind: 'Pod' }, (ev) => {
      const c = (ev.object as Pod).status?.conditions?.find((x) => x.type === 'DisruptionTarget');
      if (ev.type === 'MODIFIED' && c) marks.push(`${ev.object.metadata.name} ${c.status} ${c.reason}: ${c.message}`);
    });
    evictPod(env.registry, NS, podNames[0]!, {}, env.clock);
    stop();
    assert.deepEqual(marks, [`${podNames[0]} True EvictionByEvictionAPI: Eviction API: evicting`], 'marked DisruptionTarget before it goes');
    assert.ok(!get<Pod>(env, 'Pod', podNames[0]!), 'deleted (its node cannot terminate it, so at once)');
    const spent = get<PodDisruptionBudget>(env, 'PodDisruptionBudget', 'web')!;
    assert.equal(spent.status?.disruptionsAllowed, 0);
    assert.deepEqual(Object.keys(spent.status?.disruptedPods ?? {}), [podNames[0]]);
    assert.throws(
      () => evictPod(env.registry, NS, podNames[1]!, {}, env.clock),
      (e: unknown) => e instanceof ApiError && e.code === 429,
    );
    dc.reconcile(`${NS}/web`);
    assert.equal(get<PodDisruptionBudget>(env, 'PodDisruptionBudget', 'web')?.status?.disruptedPods, undefined, 'forgotten once the pod is gone');
  });

  it('evicts pods that serve nothing without asking the budget, and refuses while the budget is not yet processed', () => {
    const { env, podNames } = setup(2);
    const pending = create(env, { ...newPod('starting', { app: 'web' }) });
    evictPod(env.registry, NS, pending.metadata.name, {}, env.clock);
    assert.ok(!get<Pod>(env, 'Pod', 'starting'), 'a Pending pod may always go');
    const next = structuredClone(get<PodDisruptionBudget>(env, 'PodDisruptionBudget', 'web')!);
    next.spec.minAvailable = 1;
    env.registry.update(next);
    assert.throws(
      () => evictPod(env.registry, NS, podNames[0]!, {}, env.clock),
      (e: unknown) => e instanceof ApiError && e.code === 429 && /still being processed/.test(JSON.stringify(e.toStatus())),
    );
  });

  it('refuses a pod covered by two budgets', () => {
    const { env, podNames } = setup(1);
    create(env, { ...budget({ minAvailable: 1, selector: SEL }), metadata: { name: 'web-2', namespace: NS } });
    assert.throws(
      () => evictPod(env.registry, NS, podNames[0]!, {}, env.clock),
      (e: unknown) => e instanceof ApiError && e.code === 500,
    );
  });
});
