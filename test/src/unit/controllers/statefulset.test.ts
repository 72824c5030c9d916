import assert from 'node:assert/strict';
import { acceptClaimTemplateMounts, FieldErrors, type ControllerRevision, type PersistentVolumeClaim, type Pod, type StatefulSet } from '@kip/shared';
import { ApiError, StatefulSetController } from '@kip/controlplane';
import { bind, create, get, makeEnv, markReady, messages, NS, pods, type Env } from './fixtures.js';

const KEY = `${NS}/web`;

function newSet(replicas: number, spec: Partial<StatefulSet['spec']> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: NS },
    spec: {
      replicas,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'nginx' } },
      template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'http-echo' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  };
}

function setup(replicas: number, spec: Partial<StatefulSet['spec']> = {}): { env: Env; ssc: StatefulSetController; set: StatefulSet } {
  const env = makeEnv({ nodeCanTerminate: () => false });
  const ssc = new StatefulSetController(env.deps);
  const set = create(env, newSet(replicas, spec));
  return { env, ssc, set };
}

const names = (env: Env) => pods(env).map((p) => p.metadata.name);
const setOf = (env: Env) => get<StatefulSet>(env, 'StatefulSet', 'web')!;

/** Reconciles, marking every new pod Running and Ready, until nothing changes. */
function converge(env: Env, ssc: StatefulSetController): void {
  for (let i = 0; i < 50; i++) {
    const rv = env.store.resourceVersion();
    ssc.reconcile(KEY);
    for (const p of pods(env)) if (p.status?.phase !== 'Running' && !p.metadata.deletionTimestamp) markReady(env, p);
    if (env.store.resourceVersion() === rv) return;
  }
  throw new Error('the StatefulSet controller did not converge');
}

describe('controllers/statefulset', () => {
  it('creates web-0 with its identity and claim, and web-1 only once web-0 is Running and Ready', () => {
    const { env, ssc, set } = setup(2);
    ssc.reconcile(KEY);
    assert.deepEqual(names(env), ['web-0']);
    const p0 = pods(env)[0]!;
    const rev = setOf(env).status!.updateRevision!;
    assert.match(rev, /^web-[a-z0-9]+$/);
    assert.deepEqual(p0.metadata.labels, {
      app: 'nginx',
      'statefulset.kubernetes.io/pod-name': 'web-0',
      'apps.kubernetes.io/pod-index': '0',
      'controller-revision-hash': rev,
    });
    assert.equal(p0.spec.hostname, 'web-0');
    assert.equal(p0.spec.subdomain, 'nginx');
    assert.deepEqual((p0.spec as { volumes?: unknown }).volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-0' } }]);
    assert.equal(p0.metadata.ownerReferences?.[0]?.uid, set.metadata.uid);
    const claim = get<PersistentVolumeClaim>(env, 'PersistentVolumeClaim', 'www-web-0')!;
    assert.deepEqual(claim.metadata.labels, { app: 'nginx' });
    assert.equal(claim.metadata.ownerReferences, undefined, 'claims are retained: no owner');
    assert.deepEqual(claim.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' });

    ssc.reconcile(KEY);
    assert.deepEqual(names(env), ['web-0'], 'web-1 waits');
    markReady(env, p0);
    ssc.reconcile(KEY);
    assert.deepEqual(names(env), ['web-0', 'web-1']);
    assert.deepEqual(messages(env, 'SuccessfulCreate'), [
      'create Claim www-web-0 Pod web-0 in StatefulSet web success',
      'create Pod web-0 in StatefulSet web successful',
      'create Claim www-web-1 Pod web-1 in StatefulSet web success',
      'create Pod web-1 in StatefulSet web successful',
    ]);
    markReady(env, pods(env)[1]!);
    ssc.reconcile(KEY);
    const status = setOf(env).status!;
    assert.deepEqual(status, {
      observedGeneration: 1,
      replicas: 2,
      readyReplicas: 2,
      currentReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      currentRevision: rev,
      updateRevision: rev,
      collisionCount: 0,
    });
    const rv = env.store.resourceVersion();
    ssc.reconcile(KEY);
    assert.equal(env.store.resourceVersion(), rv, 'a settled set writes nothing');
  });

  it('makes a deleted pod again under the same name, on the same claim', () => {
    const { env, ssc } = setup(2);
    converge(env, ssc);
    const claim = get<PersistentVolumeClaim>(env, 'PersistentVolumeClaim', 'www-web-1')!;
    const old = pods(env)[1]!;
    env.registry.delete('Pod', NS, 'web-1');
    ssc.reconcile(KEY);
    const again = get<Pod>(env, 'Pod', 'web-1')!;
    assert.notEqual(again.metadata.uid, old.metadata.uid);
    assert.equal(get<PersistentVolumeClaim>(env, 'PersistentVolumeClaim', 'www-web-1')!.metadata.uid, claim.metadata.uid);
    assert.equal(messages(env, 'SuccessfulCreate').filter((m) => m.startsWith('create Claim')).length, 2, 'no new claim');
  });

  it('waits for a terminating pod to go before making it again', () => {
    const { env, ssc } = setup(1);
    converge(env, ssc);
    bind(env, pods(env)[0]!, 'n1');
    // As a graceful deletion leaves it while its node stops it: marked, still there.
    const terminating = get<Pod>(env, 'Pod', 'web-0')!;
    const next = structuredClone(terminating);
    next.metadata.deletionTimestamp = new Date(env.clock.now()).toISOString();
    env.store.update(next);
    ssc.reconcile(KEY);
    assert.deepEqual(names(env), ['web-0']);
    assert.equal(get<Pod>(env, 'Pod', 'web-0')!.metadata.uid, terminating.metadata.uid);
  });

  it('scales down from the highest ordinal, one at a time, keeping the claims', () => {
    const { env, ssc } = setup(3);
    converge(env, ssc);
    assert.deepEqual(names(env), ['web-0', 'web-1', 'web-2']);
    const s = structuredClone(setOf(env));
    s.spec.replicas = 1;
    env.registry.update(s);
    converge(env, ssc);
    assert.deepEqual(names(env), ['web-0']);
    assert.deepEqual(messages(env, 'SuccessfulDelete'), ['delete Pod web-2 in StatefulSet web successful', 'delete Pod web-1 in StatefulSet web successful']);
    assert.deepEqual(
      env.store
        .list('PersistentVolumeClaim')
        .items.map((c) => c.metadata.name)
        .sort(),
      ['www-web-0', 'www-web-1', 'www-web-2'],
    );
  });

  it('with the Delete retention policies, the set owns its claims and a scaled-away pod owns its own', () => {
    const { env, ssc } = setup(2, { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } });
    converge(env, ssc);
    const owners = (name: string) =>
      (get<PersistentVolumeClaim>(env, 'PersistentVolumeClaim', name)?.metadata.ownerReferences ?? []).map(
        (r) => `${r.kind}/${r.name}/${r.controller ?? false}`,
      );
    assert.deepEqual(owners('www-web-0'), ['StatefulSet/web/false']);
    assert.deepEqual(owners('www-web-1'), ['StatefulSet/web/false']);
    const s = structuredClone(setOf(env));
    s.spec.replicas = 1;
    env.registry.update(s);
    ssc.reconcile(KEY);
    assert.deepEqual(owners('www-web-1').sort(), ['Pod/web-1/false', 'StatefulSet/web/false']);
    assert.deepEqual(owners('www-web-0'), ['StatefulSet/web/false']);
    // Retain again: the references go.
    const r = structuredClone(setOf(env));
    r.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Retain', whenScaled: 'Retain' };
    r.spec.replicas = 2;
    env.registry.update(r);
    converge(env, ssc);
    assert.deepEqual(owners('www-web-0'), []);
    assert.deepEqual(owners('www-web-1'), []);
  });

  it('Parallel creates every pod at once', () => {
    const { env, ssc } = setup(3, { podManagementPolicy: 'Parallel' });
    ssc.reconcile(KEY);
    assert.deepEqual(names(env), ['web-0', 'web-1', 'web-2']);
  });

  it('rolls a new template out from the highest ordinal down to the partition, and keeps the old template below it', () => {
    const { env, ssc } = setup(3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } });
    converge(env, ssc);
    const oldRev = setOf(env).status!.currentRevision!;
    const s = structuredClone(setOf(env));
    s.spec.template.spec.containers[0]!.image = 'pause';
    env.registry.update(s);
    const order: string[] = [];
    for (let i = 0; i < 20; i++) {
      ssc.reconcile(KEY);
      for (const p of pods(env))
        if (p.status?.phase !== 'Running') {
          order.push(p.metadata.name);
          markReady(env, p);
        }
    }
    assert.deepEqual(order, ['web-2', 'web-1'], 'highest first, web-0 left below the partition');
    const st = setOf(env).status!;
    assert.notEqual(st.updateRevision, oldRev);
    assert.equal(st.currentRevision, oldRev, 'not complete while web-0 is old');
    assert.equal(st.updatedReplicas, 2);
    assert.equal(st.currentReplicas, 1);
    const images = Object.fromEntries(pods(env).map((p) => [p.metadata.name, p.spec.containers[0]!.image]));
    assert.deepEqual(images, { 'web-0': 'http-echo', 'web-1': 'pause', 'web-2': 'pause' });
    // web-0, deleted below the partition, comes back from the old revision's template.
    env.registry.delete('Pod', NS, 'web-0');
    ssc.reconcile(KEY);
    const web0 = get<Pod>(env, 'Pod', 'web-0')!;
    assert.equal(web0.spec.containers[0]!.image, 'http-echo');
    assert.equal(web0.metadata.labels?.['controller-revision-hash'], oldRev);
    const revs = env.store.list<ControllerRevision>('ControllerRevision', { namespace: NS }).items;
    assert.deepEqual(
      revs.map((r) => [r.metadata.name, r.revision]).sort(),
      [
        [oldRev, 1],
        [st.updateRevision, 2],
      ].sort(),
    );
    // Partition 0 finishes the rollout, and the update revision becomes current.
    const s2 = structuredClone(setOf(env));
    s2.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    env.registry.update(s2);
    converge(env, ssc);
    const done = setOf(env).status!;
    assert.equal(done.currentRevision, done.updateRevision);
    assert.equal(done.currentReplicas, 3);
  });

  it('adopts an orphan of its name form, and leaves other pods its selector matches alone', () => {
    const { env, ssc, set } = setup(1);
    create(env, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: NS, labels: { app: 'nginx' } },
      spec: { containers: [{ name: 'c', image: 'pause' }] },
    } as Pod);
    create(env, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', namespace: NS, labels: { app: 'nginx' } },
      spec: { containers: [{ name: 'c', image: 'pause' }] },
    } as Pod);
    ssc.reconcile(KEY);
    assert.equal(get<Pod>(env, 'Pod', 'web-0')!.metadata.ownerReferences?.[0]?.uid, set.metadata.uid);
    assert.equal(get<Pod>(env, 'Pod', 'stray')!.metadata.ownerReferences, undefined);
  });

  it('refuses updates to the parts of a set and a claim that are their identity', () => {
    const { env, ssc } = setup(1);
    ssc.reconcile(KEY);
    const s = structuredClone(setOf(env));
    s.spec.replicas = 4;
    s.spec.template.spec.containers[0]!.image = 'pause';
    env.registry.update(s);
    const renamed = structuredClone(setOf(env));
    renamed.spec.serviceName = 'other';
    assert.throws(
      () => env.registry.update(renamed),
      /spec: Forbidden: updates to statefulset spec for fields other than 'replicas', .* and 'minReadySeconds' are forbidden/,
    );
    const claim = structuredClone(get<PersistentVolumeClaim>(env, 'PersistentVolumeClaim', 'www-web-0')!);
    claim.spec.volumeName = 'pv-1';
    const bound = env.registry.update<PersistentVolumeClaim>(claim);
    const moved = structuredClone(bound);
    moved.spec.volumeName = 'pv-2';
    assert.throws(() => env.registry.update(moved), /spec: Forbidden: spec is immutable after creation except resources.requests/);
    const grown = structuredClone(bound);
    grown.spec.resources = { requests: { storage: '2Gi' } };
    env.registry.update(grown);
  });

  it('takes back a template volumeMount "Not found" only for the name of a claim template', () => {
    const errors = new FieldErrors();
    errors.add('spec.template.spec.containers[0].volumeMounts[0].name', 'Not found: "www"');
    errors.add('spec.template.spec.containers[0].volumeMounts[1].name', 'Not found: "cache"');
    errors.add('spec.template.spec.initContainers[1].volumeMounts[0].name', 'Not found: "www"');
    errors.add('spec.template.spec.containers[0].name', 'Not found: "www"');
    acceptClaimTemplateMounts(errors, 'spec', new Set(['www']));
    assert.deepEqual(
      errors.list.map((e) => e.field),
      ['spec.template.spec.containers[0].volumeMounts[1].name', 'spec.template.spec.containers[0].name'],
    );
  });

  it('refuses a set with invalid fields, naming them', () => {
    const env = makeEnv();
    const bad = newSet(1, {
      serviceName: 'Not_A_Label',
      podManagementPolicy: 'Sometimes' as never,
      volumeClaimTemplates: [
        { metadata: { name: 'www' }, spec: { resources: { requests: { storage: 'lots' } } } },
        { metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      ],
    });
    assert.throws(
      () => env.registry.create(bad),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.reason, 'Invalid');
        for (const field of [
          'spec.serviceName',
          'spec.podManagementPolicy',
          'spec.volumeClaimTemplates[0].spec.accessModes',
          'spec.volumeClaimTemplates[0].spec.resources.requests.storage',
          'spec.volumeClaimTemplates[1].metadata.name',
        ])
          assert.match(err.message, new RegExp(field.replace(/[.[\]]/g, '\\$&')), field);
        return true;
      },
    );
  });
});
