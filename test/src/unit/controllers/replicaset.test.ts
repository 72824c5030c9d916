import assert from 'node:assert/strict';
import type { Pod, ReplicaSet } from '@kip/shared';
import { ApiError } from '@kip/controlplane';
import { activePods, bind, create, events, get, makeEnv, markReady, messages, newPod, newReplicaSet, NS, pods, setPhase, type Env } from './fixtures.js';

const key = (name: string) => `${NS}/${name}`;

function rsNamed(env: Env, name: string): ReplicaSet {
  return get<ReplicaSet>(env, 'ReplicaSet', name)!;
}

describe('controllers/replicaset', () => {
  it('creates the missing pods from the template, owned by the ReplicaSet', () => {
    const env = makeEnv();
    const rs = create(env, newReplicaSet('web', 3));
    env.rsc.reconcile(key('web'));
    const created = pods(env);
    assert.equal(created.length, 3);
    for (const p of created) {
      assert.match(p.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(p.metadata.generateName, 'web-');
      assert.equal(p.metadata.namespace, NS);
      assert.deepEqual(p.metadata.labels, { app: 'web' });
      assert.deepEqual(p.metadata.annotations, { note: 'from-template' });
      assert.deepEqual(p.metadata.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      assert.equal(p.spec.containers[0]!.image, 'pause');
      assert.equal(p.status?.phase, 'Pending');
    }
    const created_ = events(env, 'SuccessfulCreate');
    assert.deepEqual(created_.map((e) => e.message).sort(), created.map((p) => `Created pod: ${p.metadata.name}`).sort());
    for (const e of created_) {
      assert.equal(e.type, 'Normal');
      assert.equal(e.source?.component, 'replicaset-controller');
      assert.equal(e.involvedObject.kind, 'ReplicaSet');
      assert.equal(e.involvedObject.name, 'web');
    }
    assert.deepEqual(rsNamed(env, 'web').status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });
  });

  it('is idempotent: a second reconcile writes nothing', () => {
    const env = makeEnv();
    create(env, newReplicaSet('web', 2));
    env.rsc.reconcile(key('web'));
    const rv = env.store.resourceVersion();
    env.rsc.reconcile(key('web'));
    assert.equal(env.store.resourceVersion(), rv);
  });

  it('replaces a deleted pod, and one that is terminating or has failed', () => {
    const env = makeEnv({ nodeCanTerminate: () => true });
    const rs = create(env, newReplicaSet('web', 3));
    env.rsc.reconcile(key('web'));
    const [a, b, c] = pods(env);
    env.registry.delete('Pod', NS, a!.metadata.name);
    bind(env, b!, 'n1');
    const terminating = env.registry.delete<Pod>('Pod', NS, b!.metadata.name);
    assert.ok(terminating.metadata.deletionTimestamp, 'graceful deletion on a node that can terminate');
    setPhase(env, c!, 'Failed');
    env.rsc.reconcile(key('web'));
    const active = activePods(env, rs);
    assert.equal(active.length, 3);
    assert.ok(!active.some((p) => [a, b, c].some((old) => old!.metadata.name === p.metadata.name)));
    assert.equal(rsNamed(env, 'web').status?.replicas, 3, 'terminating and failed pods do not count');
  });

  it('scales down by deleting the cheapest pods to lose, with SuccessfulDelete events', () => {
    const env = makeEnv();
    create(env, newReplicaSet('web', 4));
    env.rsc.reconcile(key('web'));
    const [p1, p2, p3, p4] = pods(env);
    // p1: running+ready on n1; p2: running+ready on n2; p3: bound to n1 but not ready; p4: unscheduled.
    bind(env, p1!, 'n1');
    markReady(env, p1!);
    bind(env, p2!, 'n2');
    markReady(env, p2!);
    bind(env, p3!, 'n1');
    setPhase(env, p3!, 'Running');
    const next = structuredClone(rsNamed(env, 'web'));
    next.spec.replicas = 1;
    env.registry.update(next);
    env.rsc.reconcile(key('web'));
    const left = pods(env).map((p) => p.metadata.name);
    assert.deepEqual(left, [p2!.metadata.name], 'unscheduled, then not ready, then the one doubled up on n1 go first');
    assert.deepEqual(
      messages(env, 'SuccessfulDelete'),
      [p4, p3, p1].map((p) => `Deleted pod: ${p!.metadata.name}`),
    );
    assert.equal(rsNamed(env, 'web').status?.observedGeneration, 2);
  });

  it('adopts matching orphans instead of creating, and leaves pods of other controllers alone', () => {
    const env = makeEnv();
    create(env, newPod('orphan', { app: 'web' }));
    create(
      env,
      newPod(
        'foreign',
        { app: 'web' },
        { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'other-uid', controller: true }] },
      ),
    );
    create(env, newPod('unrelated', { app: 'db' }));
    const rs = create(env, newReplicaSet('web', 2));
    env.rsc.reconcile(key('web'));
    const orphan = get<Pod>(env, 'Pod', 'orphan')!;
    assert.equal(orphan.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid);
    assert.equal(orphan.metadata.ownerReferences?.[0]?.controller, true);
    assert.equal(get<Pod>(env, 'Pod', 'foreign')!.metadata.ownerReferences?.[0]?.uid, 'other-uid');
    assert.equal(get<Pod>(env, 'Pod', 'unrelated')!.metadata.ownerReferences, undefined);
    assert.equal(activePods(env, rs).length, 2, 'one adopted, one created');
    assert.equal(events(env, 'SuccessfulCreate').length, 1);
  });

  it('releases a pod relabelled out of its selector and replaces it', () => {
    const env = makeEnv();
    const rs = create(env, newReplicaSet('web', 2));
    env.rsc.reconcile(key('web'));
    const victim = pods(env)[0]!;
    const relabelled = structuredClone(victim);
    relabelled.metadata.labels = { app: 'debug' };
    env.registry.update(relabelled);
    env.rsc.reconcile(key('web'));
    const released = get<Pod>(env, 'Pod', victim.metadata.name)!;
    assert.equal(released.metadata.ownerReferences, undefined, 'its owner reference is removed; the pod keeps running');
    assert.equal(activePods(env, rs).length, 2);
    assert.equal(pods(env).length, 3);
  });

  it('counts ready and available pods, available only after minReadySeconds, and looks again then', () => {
    const env = makeEnv();
    create(env, newReplicaSet('web', 3, { minReadySeconds: 10 }));
    env.rsc.reconcile(key('web'));
    const [a, b] = pods(env);
    markReady(env, a!, 30_000); // ready long ago
    markReady(env, b!); // ready just now
    const result = env.rsc.reconcile(key('web'));
    assert.deepEqual(rsNamed(env, 'web').status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 });
    assert.deepEqual(result, { requeueAfterMs: 10_000 });
    env.clock.advance(10_000);
    assert.equal(env.rsc.reconcile(key('web')), undefined);
    assert.equal(rsNamed(env, 'web').status?.availableReplicas, 2);
  });

  it('counts fullyLabeledReplicas against the template labels, not just the selector', () => {
    const env = makeEnv();
    const rs = newReplicaSet('web', 2);
    rs.spec.template.metadata!.labels = { app: 'web', tier: 'front' };
    create(env, newPod('adoptee', { app: 'web' }));
    create(env, rs);
    env.rsc.reconcile(key('web'));
    const st = rsNamed(env, 'web').status!;
    assert.equal(st.replicas, 2);
    assert.equal(st.fullyLabeledReplicas, 1);
  });

  it('records FailedCreate, stops after the first failing batch, and fails the reconcile to be retried', () => {
    const env = makeEnv();
    let attempts = 0;
    env.registry.addAdmission((op, obj) => {
      if (op === 'create' && obj.kind === 'Pod') {
        attempts++;
        throw new ApiError('Invalid', 'pods "web-" is forbidden: quota exceeded');
      }
    });
    create(env, newReplicaSet('web', 20));
    assert.throws(() => env.rsc.reconcile(key('web')), /quota exceeded/);
    assert.equal(attempts, 1, 'slow start: the first batch has one pod');
    const failed = events(env, 'FailedCreate');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.type, 'Warning');
    assert.equal(failed[0]!.message, 'Error creating: pods "web-" is forbidden: quota exceeded');
    assert.equal(rsNamed(env, 'web').status?.replicas, 0, 'status is still written');
  });

  it('does nothing for a ReplicaSet that no longer exists', () => {
    const env = makeEnv();
    const rv = env.store.resourceVersion();
    assert.equal(env.rsc.reconcile(key('gone')), undefined);
    assert.equal(env.store.resourceVersion(), rv);
  });

  it('maps pod events to the owning ReplicaSet and orphans to the ReplicaSets that could adopt them', () => {
    const env = makeEnv();
    create(env, newReplicaSet('web', 1));
    create(env, newReplicaSet('db', 1));
    const keys: string[] = [];
    const unsubscribe = env.rsc.register((k) => keys.push(k));
    try {
      env.rsc.reconcile(key('web'));
      keys.length = 0;
      const owned = pods(env, rsNamed(env, 'web'))[0]!;
      markReady(env, owned);
      assert.deepEqual(keys, [key('web')]);
      keys.length = 0;
      create(env, newPod('stray', { app: 'db' }));
      assert.deepEqual(keys, [key('db')]);
    } finally {
      for (const u of unsubscribe) u();
    }
  });
});
