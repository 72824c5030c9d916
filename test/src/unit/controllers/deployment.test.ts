import assert from 'node:assert/strict';
import { ANNOTATION_REVISION, LABEL_POD_TEMPLATE_HASH, type Deployment, type ReplicaSet } from '@kip/shared';
import { computeTemplateHash } from '@kip/controlplane';
import {
  activePods,
  bind,
  create,
  deploymentKey,
  events,
  get,
  makeEnv,
  messages,
  newDeployment,
  newReplicaSet,
  NS,
  pods,
  readyAll,
  replicaSets,
  settle,
  updateDeployment,
  type Env,
} from './fixtures.js';

const deploymentNamed = (env: Env, name = 'web') => get<Deployment>(env, 'Deployment', name)!;
const revision = (o: { metadata: { annotations?: Record<string, string> } }) => o.metadata.annotations?.[ANNOTATION_REVISION];
const setImage = (image: string) => (d: Deployment) => {
  d.spec.template.spec.containers[0]!.image = image;
};

function newRSOf(env: Env, d: Deployment): ReplicaSet {
  const hash = computeTemplateHash(d.spec.template);
  return get<ReplicaSet>(env, 'ReplicaSet', `${d.metadata.name}-${hash}`)!;
}

/** Replica counts of the deployment's ReplicaSets, newest revision first: [spec.replicas, ready pods]. */
function sizes(env: Env, name = 'web'): number[] {
  const d = deploymentNamed(env, name);
  return replicaSets(env, d)
    .sort((a, b) => Number(revision(b)) - Number(revision(a)))
    .map((rs) => rs.spec.replicas ?? 0);
}

function condition(d: Deployment, type: 'Available' | 'Progressing') {
  const c = d.status?.conditions?.find((x) => x.type === type);
  return c && { status: c.status, reason: c.reason, message: c.message };
}

/** Brings a new deployment to a complete rollout with every pod ready. */
function rolledOut(env: Env, d: Deployment): Deployment {
  const stored = create(env, d);
  settle(env);
  readyAll(env);
  settle(env);
  return get<Deployment>(env, 'Deployment', stored.metadata.name)!;
}

describe('controllers/deployment', () => {
  it('creates its ReplicaSet named and labelled by the pod-template-hash', () => {
    const env = makeEnv();
    const d = create(env, newDeployment('web', 3));
    env.dc.reconcile(deploymentKey(d));
    const [rs] = replicaSets(env);
    assert.ok(rs);
    const hash = computeTemplateHash(deploymentNamed(env).spec.template);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual(rs.metadata.labels, { app: 'web', [LABEL_POD_TEMPLATE_HASH]: hash });
    assert.deepEqual(rs.spec.selector, { matchLabels: { app: 'web', [LABEL_POD_TEMPLATE_HASH]: hash } });
    assert.deepEqual(rs.spec.template.metadata?.labels, { app: 'web', [LABEL_POD_TEMPLATE_HASH]: hash });
    assert.equal(rs.spec.replicas, 3);
    assert.equal(revision(rs), '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    assert.deepEqual(
      rs.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [['Deployment', 'web', d.metadata.uid, true]],
    );
    assert.equal(revision(deploymentNamed(env)), '1');
    const scaling = events(env, 'ScalingReplicaSet');
    assert.deepEqual(
      scaling.map((e) => [e.message, e.involvedObject.kind, e.source?.component]),
      [[`Scaled up replica set web-${hash} from 0 to 3`, 'Deployment', 'deployment-controller']],
    );
    const cond = condition(deploymentNamed(env), 'Progressing');
    assert.deepEqual(cond, { status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"` });
  });

  it('reports Available and a finished rollout once the pods are ready', () => {
    const env = makeEnv();
    create(env, newDeployment('web', 3));
    settle(env);
    let d = deploymentNamed(env);
    assert.equal(pods(env).length, 3);
    assert.deepEqual(condition(d, 'Available'), {
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
    });
    readyAll(env);
    settle(env);
    d = deploymentNamed(env);
    const rs = newRSOf(env, d);
    assert.deepEqual(
      { ...d.status, conditions: undefined },
      { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, conditions: undefined },
    );
    assert.deepEqual(condition(d, 'Available'), { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    assert.deepEqual(condition(d, 'Progressing'), {
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.`,
    });
  });

  it('scales by resizing the ReplicaSet when only replicas change', () => {
    const env = makeEnv();
    rolledOut(env, newDeployment('web', 3));
    updateDeployment(env, 'web', (d) => (d.spec.replicas = 5));
    settle(env);
    assert.equal(replicaSets(env).length, 1, 'no new ReplicaSet for a scale change');
    const rs = replicaSets(env)[0]!;
    assert.equal(rs.spec.replicas, 5);
    assert.equal(pods(env).length, 5);
    updateDeployment(env, 'web', (d) => (d.spec.replicas = 2));
    settle(env);
    assert.equal(activePods(env).length, 2);
    assert.deepEqual(messages(env, 'ScalingReplicaSet').slice(1), [
      `Scaled up replica set ${rs.metadata.name} from 3 to 5`,
      `Scaled down replica set ${rs.metadata.name} from 5 to 2`,
    ]);
  });

  it('rolls out a new template step by step within maxSurge and maxUnavailable', () => {
    const env = makeEnv();
    rolledOut(env, newDeployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    const oldRS = replicaSets(env)[0]!;
    updateDeployment(env, 'web', setImage('http-echo'));
    const steps: number[][] = [];
    for (let i = 0; i < 10; i++) {
      settle(env);
      // The invariants of a rolling update, at every stable point.
      const active = activePods(env);
      const ready = active.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      assert.ok(active.length <= 4 + 1, `at most replicas + maxSurge pods (had ${active.length})`);
      assert.ok(ready.length >= 4 - 1, `at least replicas - maxUnavailable available (had ${ready.length})`);
      steps.push(sizes(env));
      if (readyAll(env) === 0) break; // the new pods pass their readiness probes; none left: done
    }
    assert.deepEqual(steps, [
      [2, 3],
      [4, 1],
      [4, 0],
    ]);
    const d = deploymentNamed(env);
    const newRS = newRSOf(env, d);
    assert.equal(revision(newRS), '2');
    assert.equal(revision(d), '2');
    assert.equal(get<ReplicaSet>(env, 'ReplicaSet', oldRS.metadata.name)?.spec.replicas, 0, 'the old ReplicaSet stays, at 0, as history');
    assert.equal(activePods(env, newRS).length, 4);
    assert.ok(activePods(env).every((p) => p.spec.containers[0]!.image === 'http-echo'));
    assert.deepEqual(condition(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(d.status?.updatedReplicas, 4);
    assert.deepEqual(messages(env, 'ScalingReplicaSet').slice(1), [
      `Scaled up replica set ${newRS.metadata.name} from 0 to 1`,
      `Scaled down replica set ${oldRS.metadata.name} from 4 to 3`,
      `Scaled up replica set ${newRS.metadata.name} from 1 to 2`,
      `Scaled down replica set ${oldRS.metadata.name} from 3 to 1`,
      `Scaled up replica set ${newRS.metadata.name} from 2 to 4`,
      `Scaled down replica set ${oldRS.metadata.name} from 1 to 0`,
    ]);
  });

  it('says the rollout is progressing while it moves', () => {
    const env = makeEnv();
    rolledOut(env, newDeployment('web', 4));
    updateDeployment(env, 'web', setImage('http-echo'));
    settle(env);
    readyAll(env);
    settle(env);
    const d = deploymentNamed(env);
    assert.deepEqual(condition(d, 'Progressing'), {
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${newRSOf(env, d).metadata.name}" is progressing.`,
    });
  });

  it('marks a rollout that stops moving as past its progress deadline', () => {
    const env = makeEnv();
    rolledOut(env, newDeployment('web', 2));
    updateDeployment(env, 'web', setImage('broken'));
    settle(env); // the new pods never become ready
    const result = env.dc.reconcile(deploymentKey(deploymentNamed(env)));
    assert.ok(result && result.requeueAfterMs > 590_000 && result.requeueAfterMs <= 601_000, `looks again at the deadline (${JSON.stringify(result)})`);
    env.clock.advance(601_000);
    env.dc.reconcile(deploymentKey(deploymentNamed(env)));
    const d = deploymentNamed(env);
    assert.deepEqual(condition(d, 'Progressing'), {
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${newRSOf(env, d).metadata.name}" has timed out progressing.`,
    });
  });

  it('Recreate: scales the old pods away, waits until they are gone, then brings the new ones up', () => {
    const env = makeEnv({ nodeCanTerminate: () => true });
    create(env, newDeployment('web', 3, { strategy: { type: 'Recreate' } }));
    settle(env);
    for (const p of pods(env)) bind(env, p, 'n1');
    readyAll(env);
    settle(env);
    const oldRS = replicaSets(env)[0]!;
    updateDeployment(env, 'web', setImage('http-echo'));
    settle(env);
    assert.equal(replicaSets(env).length, 1, 'no new ReplicaSet while old pods are still terminating');
    assert.equal(get<ReplicaSet>(env, 'ReplicaSet', oldRS.metadata.name)!.spec.replicas, 0);
    const terminating = pods(env);
    assert.equal(terminating.length, 3);
    assert.ok(terminating.every((p) => p.metadata.deletionTimestamp));
    // The node confirms two of three: still waiting.
    for (const p of terminating.slice(0, 2)) env.registry.finalizePod({ namespace: NS, name: p.metadata.name, uid: p.metadata.uid! });
    settle(env);
    assert.equal(replicaSets(env).length, 1);
    env.registry.finalizePod({ namespace: NS, name: terminating[2]!.metadata.name, uid: terminating[2]!.metadata.uid! });
    settle(env);
    const d = deploymentNamed(env);
    const newRS = newRSOf(env, d);
    assert.equal(newRS.spec.replicas, 3);
    assert.equal(activePods(env, newRS).length, 3);
    assert.deepEqual(messages(env, 'ScalingReplicaSet').slice(1), [
      `Scaled down replica set ${oldRS.metadata.name} from 3 to 0`,
      `Scaled up replica set ${newRS.metadata.name} from 0 to 3`,
    ]);
  });

  it('gives a template that comes back its old ReplicaSet with the next revision', () => {
    const env = makeEnv();
    rolledOut(env, newDeployment('web', 2));
    const first = replicaSets(env)[0]!;
    updateDeployment(env, 'web', setImage('http-echo'));
    settle(env);
    readyAll(env);
    settle(env);
    readyAll(env);
    settle(env);
    assert.equal(revision(deploymentNamed(env)), '2');
    updateDeployment(env, 'web', setImage('pause'));
    for (let i = 0; i < 4; i++) {
      settle(env);
      readyAll(env);
    }
    settle(env);
    assert.equal(replicaSets(env).length, 2, 'the first ReplicaSet is reused, not a third created');
    const back = get<ReplicaSet>(env, 'ReplicaSet', first.metadata.name)!;
    assert.equal(revision(back), '3');
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back.spec.replicas, 2);
    assert.equal(revision(deploymentNamed(env)), '3');
  });

  it('deletes old ReplicaSets at 0 beyond revisionHistoryLimit, oldest revision first', () => {
    const env = makeEnv();
    rolledOut(env, newDeployment('web', 1, { revisionHistoryLimit: 1 }));
    const names: string[] = [replicaSets(env)[0]!.metadata.name];
    for (const image of ['v2', 'v3', 'v4']) {
      updateDeployment(env, 'web', setImage(image));
      for (let i = 0; i < 4; i++) {
        settle(env);
        readyAll(env);
      }
      settle(env);
      names.push(newRSOf(env, deploymentNamed(env)).metadata.name);
    }
    const left = replicaSets(env)
      .map((rs) => rs.metadata.name)
      .sort();
    assert.deepEqual(left, [names[2]!, names[3]!].sort(), 'the current ReplicaSet and one old one remain');
  });

  it('adopts an orphaned ReplicaSet its selector matches instead of creating one', () => {
    const env = makeEnv();
    const d = newDeployment('web', 2);
    const orphan = newReplicaSet('web-orphan', 2, { labels: { app: 'web' } });
    orphan.spec.template = structuredClone(d.spec.template);
    create(env, orphan);
    settle(env);
    const stored = create(env, d);
    settle(env);
    const rss = replicaSets(env, stored);
    assert.deepEqual(
      rss.map((rs) => rs.metadata.name),
      ['web-orphan'],
    );
    assert.equal(replicaSets(env).length, 1, 'no ReplicaSet of its own was created');
    assert.equal(revision(rss[0]!), '1');
    assert.equal(activePods(env).length, 2);
  });

  it('while paused, scales but does not roll out; resumed, it does', () => {
    const env = makeEnv();
    rolledOut(env, newDeployment('web', 2));
    updateDeployment(env, 'web', (d) => {
      d.spec.paused = true;
      setImage('http-echo')(d);
      d.spec.replicas = 3;
    });
    settle(env);
    assert.equal(replicaSets(env).length, 1, 'no new ReplicaSet while paused');
    assert.equal(replicaSets(env)[0]!.spec.replicas, 3, 'scaling still applies');
    assert.deepEqual(condition(deploymentNamed(env), 'Progressing'), { status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    updateDeployment(env, 'web', (d) => (d.spec.paused = false));
    settle(env);
    assert.equal(replicaSets(env).length, 2);
    assert.equal(newRSOf(env, deploymentNamed(env)).spec.template.spec.containers[0]!.image, 'http-echo');
  });

  it('scales in proportion when replicas change in the middle of a rollout', () => {
    const env = makeEnv();
    rolledOut(env, newDeployment('web', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    updateDeployment(env, 'web', setImage('broken'));
    settle(env);
    assert.deepEqual(sizes(env), [5, 8], 'stuck: 5 new pods that never become ready, 8 old');
    updateDeployment(env, 'web', (d) => (d.spec.replicas = 15));
    settle(env);
    assert.deepEqual(sizes(env), [7, 11], 'of 5 more, 3 go to the bigger old ReplicaSet and 2 to the new');
  });

  it('writes nothing when reconciled again at rest', () => {
    const env = makeEnv();
    const d = rolledOut(env, newDeployment('web', 2));
    const rv = env.store.resourceVersion();
    env.dc.reconcile(deploymentKey(d));
    env.dc.reconcile(deploymentKey(d));
    assert.equal(env.store.resourceVersion(), rv);
  });

  it('maps ReplicaSet events to the owning Deployment', () => {
    const env = makeEnv();
    const d = create(env, newDeployment('web', 1));
    const keys: string[] = [];
    const unsubscribe = env.dc.register((k) => keys.push(k));
    try {
      env.dc.reconcile(deploymentKey(d));
      keys.length = 0;
      env.rsc.reconcile(`${NS}/${replicaSets(env)[0]!.metadata.name}`); // status write
      assert.ok(keys.length > 0 && keys.every((k) => k === deploymentKey(d)), JSON.stringify(keys));
    } finally {
      for (const u of unsubscribe) u();
    }
  });
});
