import assert from 'node:assert/strict';
import type { Pod, StatefulSet } from '@kip/shared';
import { claimName, ordinalOf, planStatefulSet, podName, type SetAction } from '@kip/controlplane';

const UPDATE = 'web-new';
const OLD = 'web-old';

function set(replicas: number, spec: Partial<StatefulSet['spec']> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      ...spec,
    },
  };
}

type State = 'ready' | 'pending' | 'terminating' | 'failed';

function pod(ordinal: number, state: State = 'ready', revision = UPDATE): Pod {
  const ready = state === 'ready' || state === 'terminating';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${ordinal}`,
      namespace: 'default',
      uid: `uid-${ordinal}`,
      labels: { app: 'web', 'controller-revision-hash': revision },
      ...(state === 'terminating' ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'pause' }] },
    status: {
      phase: state === 'failed' ? 'Failed' : state === 'pending' ? 'Pending' : 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:00:55Z' }],
    },
  };
}

/** Actions as short strings: `create web-2 (update)`, `delete web-1 (scale-down)`. */
function show(actions: SetAction[]): string[] {
  return actions.map((a) => (a.type === 'create' ? `create ${podName('web', a.ordinal)} (${a.revision})` : `delete ${a.pod.metadata.name} (${a.why})`));
}

const NOW = Date.parse('2026-01-01T00:01:00Z');
const plan = (s: StatefulSet, pods: Pod[]) => show(planStatefulSet({ set: s, pods, updateRevision: UPDATE, now: NOW }).actions);

describe('controllers/statefulset-plan', () => {
  describe('names', () => {
    it('reads ordinals only from names of the set form', () => {
      const cases: [string, number | undefined][] = [
        ['web-0', 0],
        ['web-12', 12],
        ['web-01', undefined],
        ['web-', undefined],
        ['web-x', undefined],
        ['webby-1', undefined],
        ['web-1-2', undefined],
        ['other-1', undefined],
      ];
      for (const [name, want] of cases) assert.equal(ordinalOf('web', name), want, name);
      assert.equal(ordinalOf('web-1', 'web-1-2'), 2, 'a set whose name ends in a number');
    });

    it('names claims <template>-<set>-<ordinal>', () => {
      assert.equal(claimName('www', 'web', 0), 'www-web-0');
      assert.equal(claimName('data', 'db-main', 11), 'data-db-main-11');
    });
  });

  describe('OrderedReady', () => {
    const cases: { name: string; replicas: number; pods: Pod[]; want: string[] }[] = [
      { name: 'an empty set creates web-0 only', replicas: 3, pods: [], want: ['create web-0 (update)'] },
      { name: 'web-1 waits for web-0 to be Running and Ready', replicas: 3, pods: [pod(0, 'pending')], want: [] },
      { name: 'web-1 comes once web-0 is Ready', replicas: 3, pods: [pod(0)], want: ['create web-1 (update)'] },
      { name: 'a missing lower ordinal is made first', replicas: 3, pods: [pod(1), pod(2)], want: ['create web-0 (update)'] },
      { name: 'a failed pod is deleted to be made again', replicas: 2, pods: [pod(0, 'failed'), pod(1)], want: ['delete web-0 (failed)'] },
      { name: 'a terminating pod blocks everything above it', replicas: 3, pods: [pod(0, 'terminating')], want: [] },
      { name: 'scale down removes the highest ordinal first, one at a time', replicas: 1, pods: [pod(0), pod(1), pod(2)], want: ['delete web-2 (scale-down)'] },
      { name: 'scale down waits while the removed pod terminates', replicas: 1, pods: [pod(0), pod(1), pod(2, 'terminating')], want: [] },
      { name: 'scale down waits for the pods that stay to be Ready', replicas: 1, pods: [pod(0, 'pending'), pod(1)], want: [] },
      { name: 'an unhealthy pod being removed is removed first', replicas: 1, pods: [pod(0), pod(1), pod(2, 'pending')], want: ['delete web-2 (scale-down)'] },
    ];
    for (const c of cases) it(c.name, () => assert.deepEqual(plan(set(c.replicas), c.pods), c.want));
  });

  describe('Parallel', () => {
    const parallel = (n: number) => set(n, { podManagementPolicy: 'Parallel' });
    it('creates every missing pod at once, without waiting for readiness', () => {
      assert.deepEqual(plan(parallel(3), [pod(1, 'pending')]), ['create web-0 (update)', 'create web-2 (update)']);
    });
    it('removes every surplus pod at once, highest first', () => {
      assert.deepEqual(plan(parallel(1), [pod(0, 'pending'), pod(1), pod(2, 'pending')]), ['delete web-2 (scale-down)', 'delete web-1 (scale-down)']);
    });
  });

  describe('rolling update', () => {
    it('deletes the highest pod not at the update revision, one at a time', () => {
      assert.deepEqual(plan(set(3), [pod(0, 'ready', OLD), pod(1, 'ready', OLD), pod(2, 'ready', OLD)]), ['delete web-2 (update)']);
      assert.deepEqual(plan(set(3), [pod(0, 'ready', OLD), pod(1, 'ready', OLD), pod(2)]), ['delete web-1 (update)']);
      assert.deepEqual(plan(set(3), [pod(0, 'ready', OLD), pod(1), pod(2)]), ['delete web-0 (update)']);
      assert.deepEqual(plan(set(3), [pod(0), pod(1), pod(2)]), []);
    });
    it('waits for the updated pod to be Ready before the next', () => {
      assert.deepEqual(plan(set(3, { podManagementPolicy: 'Parallel' }), [pod(0, 'ready', OLD), pod(1, 'ready', OLD), pod(2, 'pending')]), []);
    });
    it('stops at the partition, and makes pods below it again at the current revision', () => {
      const partitioned = set(3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
      assert.deepEqual(plan(partitioned, [pod(0, 'ready', OLD), pod(1, 'ready', OLD), pod(2)]), []);
      assert.deepEqual(plan(partitioned, [pod(1, 'ready', OLD), pod(2)]), ['create web-0 (current)']);
      assert.deepEqual(plan(partitioned, [pod(0, 'ready', OLD), pod(1, 'ready', OLD)]), ['create web-2 (update)']);
    });
    it('OnDelete replaces nothing by itself, and makes new pods at the update revision', () => {
      const onDelete = set(2, { updateStrategy: { type: 'OnDelete' } });
      assert.deepEqual(plan(onDelete, [pod(0, 'ready', OLD), pod(1, 'ready', OLD)]), []);
      assert.deepEqual(plan(onDelete, [pod(1, 'ready', OLD)]), ['create web-0 (update)']);
    });
  });

  it('with minReadySeconds, waits for each pod to be Available (Ready long enough), not just Ready', () => {
    // Ready for 5 s at NOW.
    assert.deepEqual(plan(set(2, { minReadySeconds: 10 }), [pod(0)]), []);
    assert.deepEqual(plan(set(2, { minReadySeconds: 5 }), [pod(0)]), ['create web-1 (update)']);
    assert.deepEqual(plan(set(2, { minReadySeconds: 10 }), [pod(0, 'ready', OLD), pod(1)]), [], 'the rollout waits too');
  });

  it('counts ordinals from spec.ordinals.start', () => {
    const s = set(2, { ordinals: { start: 5 } });
    assert.deepEqual(plan(s, []), ['create web-5 (update)']);
    assert.deepEqual(plan(s, [pod(5), pod(6), pod(0)]), ['delete web-0 (scale-down)']);
  });
});
