// The real kubectl on a Deployment's life: create, scale, wait, describe, the rollout verbs
// (history, restart, pause, resume, undo, with their revision annotations), and delete with each
// propagation policy (--cascade=background|foreground|orphan): what a user types, and what they
// read back, compared by columns and values rather than bytes.

import assert from 'node:assert/strict';
import type { KObject, Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

interface Deploy extends KObject {
  spec: { replicas?: number; paused?: boolean; template: { metadata?: { annotations?: Record<string, string> }; spec: { containers: { image: string }[] } } };
  status?: { readyReplicas?: number };
}

describe('kubectl on workloads: scale, wait, describe, rollout and delete --cascade', function () {
  this.timeout(180_000);
  let cluster: TestCluster;

  before(async function () {
    requireKubectl();
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
  });

  after(async () => {
    await cluster?.stop();
  });

  const kubectl = (...args: string[]): Promise<KubectlRun> => runKubectl(args, { kubeconfig: cluster.kubeconfig, timeoutMs: 90_000 });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.err}${r.out}`);
    return r.out;
  };
  const podsOf = async (app: string) => (await cluster.api.list<Pod>('pods', { labelSelector: `app=${app}` })).filter((p) => !p.metadata.deletionTimestamp);
  const replicaSets = async (app: string) => cluster.api.list<KObject>('replicasets', { labelSelector: `app=${app}` });

  it('create, scale and wait: the Deployment reaches its replicas, and kubectl wait says so', async () => {
    await ok('create', 'deployment', 'web', '--image=busybox', '--replicas=1', '--', 'sleep', '3600');
    assert.match(await ok('scale', 'deployment/web', '--replicas=3'), /^deployment\.apps\/web scaled$/m);
    assert.match(await ok('wait', '--for=condition=Available', 'deployment/web', '--timeout=90s'), /^deployment\.apps\/web condition met$/m);
    await eventually('3 pods Ready', async () => (await podsOf('web')).filter((p) => p.status?.phase === 'Running').length === 3, { timeoutMs: 90_000 });
    assert.match(await ok('wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=90s'), /condition met/);
    const row = (await ok('get', 'deployment', 'web')).split('\n')[1] ?? '';
    assert.match(row, /^web\s+3\/3\s+3\s+3\s+\S+$/, 'NAME READY UP-TO-DATE AVAILABLE AGE');
  });

  it('describe shows the Deployment as kubectl users read it', async () => {
    const d = await ok('describe', 'deployment', 'web');
    assert.match(d, /^Name:\s+web$/m);
    assert.match(d, /^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);
    assert.match(d, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(d, /Image:\s+busybox/);
  });

  it('rollout: set image makes revision 2, restart stamps restartedAt, pause holds changes until resume, undo goes back', async () => {
    await ok('set', 'image', 'deployment/web', 'busybox=alpine');
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    const history = await ok('rollout', 'history', 'deployment/web');
    assert.match(history, /^REVISION\s+CHANGE-CAUSE$/m);
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+<none>$/m);

    assert.match(await ok('rollout', 'restart', 'deployment/web'), /^deployment\.apps\/web restarted$/m);
    const restarted = await cluster.api.get<Deploy>('deployments', 'web');
    assert.match(restarted?.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] ?? '', /^\d{4}-\d\d-\d\dT/);
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    assert.match(await ok('rollout', 'history', 'deployment/web'), /^3\s+<none>$/m);

    assert.match(await ok('rollout', 'pause', 'deployment/web'), /^deployment\.apps\/web paused$/m);
    await ok('set', 'image', 'deployment/web', 'busybox=debian');
    // Once the controller has seen the change (observedGeneration), a paused Deployment has made nothing of it.
    await eventually('the controller to observe the paused change', async () => {
      const d = await cluster.api.get<Deploy & { status?: { observedGeneration?: number } }>('deployments', 'web');
      return d !== undefined && d.status?.observedGeneration === d.metadata.generation;
    });
    const images = (
      await cluster.api.list<KObject & { spec: { template: { spec: { containers: { image: string }[] } } } }>('replicasets', { labelSelector: 'app=web' })
    ).map((rs) => rs.spec.template.spec.containers[0]?.image);
    assert.ok(!images.includes('debian'), `a paused Deployment makes no new ReplicaSet (${images.join(', ')})`);
    assert.equal((await podsOf('web')).filter((p) => p.spec.containers[0]?.image === 'debian').length, 0, 'nor pods');
    assert.equal((await cluster.api.get<Deploy>('deployments', 'web'))?.spec.paused, true);
    assert.match(await ok('rollout', 'resume', 'deployment/web'), /^deployment\.apps\/web resumed$/m);
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    await eventually('the pods run debian', async () => (await podsOf('web')).every((p) => p.spec.containers[0]?.image === 'debian'), { timeoutMs: 90_000 });

    const replicaSets = async () => (await cluster.api.list<KObject>('replicasets', { labelSelector: 'app=web' })).map((rs) => rs.metadata.name).sort();
    const before = await replicaSets();
    assert.match(await ok('rollout', 'undo', 'deployment/web'), /^deployment\.apps\/web rolled back$/m);
    await ok('rollout', 'status', 'deployment/web', '--timeout=90s');
    const back = await cluster.api.get<Deploy>('deployments', 'web');
    assert.equal(back?.spec.template.spec.containers[0]?.image, 'alpine', 'undo goes back to the revision before');
    // kubectl sends the old template back as Go encodes it (creationTimestamp: null, resources: {}):
    // it is still that revision's template, so its ReplicaSet is scaled up again, as in Kubernetes,
    // and the revision moves to the top of the history.
    assert.deepEqual(await replicaSets(), before, 'undo reuses the earlier ReplicaSet rather than making another');
    const afterUndo = await ok('rollout', 'history', 'deployment/web');
    assert.match(afterUndo, /^5\s+<none>$/m);
    assert.doesNotMatch(afterUndo, /^3\s+<none>$/m);
    assert.match(await ok('rollout', 'history', 'deployment/web', '--revision=1'), /Image:\s+busybox/);
  });

  it('delete --cascade=orphan leaves the ReplicaSets and pods, without owner', async () => {
    await ok('create', 'deployment', 'orph', '--image=busybox', '--replicas=2', '--', 'sleep', '3600');
    await eventually('2 pods of orph', async () => (await podsOf('orph')).length === 2, { timeoutMs: 90_000 });
    assert.match(await ok('delete', 'deployment', 'orph', '--cascade=orphan'), /^deployment\.apps "orph" deleted$/m);
    await eventually('the Deployment gone', async () => (await cluster.api.get('deployments', 'orph')) === undefined);
    const rs = await replicaSets('orph');
    assert.equal(rs.length, 1, 'the ReplicaSet stays');
    await eventually('the ReplicaSet without owner', async () => ((await replicaSets('orph'))[0]?.metadata.ownerReferences ?? []).length === 0);
    assert.equal((await podsOf('orph')).length, 2, 'its pods keep running');
    await ok('delete', 'replicaset', rs[0]!.metadata.name);
  });

  it('delete --cascade=foreground waits for the dependents; background deletes at once and the pods follow', async () => {
    await ok('create', 'deployment', 'fg', '--image=busybox', '--replicas=2', '--', 'sleep', '3600');
    await ok('create', 'deployment', 'bg', '--image=busybox', '--replicas=2', '--', 'sleep', '3600');
    await eventually('pods of fg and bg', async () => (await podsOf('fg')).length === 2 && (await podsOf('bg')).length === 2, { timeoutMs: 90_000 });
    assert.match(await ok('delete', 'deployment', 'fg', '--cascade=foreground', '--wait=true'), /^deployment\.apps "fg" deleted$/m);
    // Foreground: the owner is gone only after its dependents are.
    assert.equal((await replicaSets('fg')).length, 0, 'no ReplicaSet outlives a foreground deletion');
    assert.match(await ok('delete', 'deployment', 'bg', '--cascade=background'), /^deployment\.apps "bg" deleted$/m);
    await eventually('bg ReplicaSets and pods collected', async () => (await replicaSets('bg')).length === 0 && (await podsOf('bg')).length === 0, {
      timeoutMs: 90_000,
    });
  });
});
