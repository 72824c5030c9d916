import assert from 'node:assert/strict';
import type { Deployment, Endpoints, Pod, Service } from '@kip/shared';
import { GarbageCollector } from '@kip/controlplane';
import { activePods, bind, create, get, makeEnv, newDeployment, newPod, NS, pods, readyAll, replicaSets, settle, SyncDriver, type Env } from './fixtures.js';

function withGC(env: Env): SyncDriver {
  return new SyncDriver(new GarbageCollector(env.deps), env.clock);
}

describe('controllers/garbage-collector', () => {
  it('deleting a Deployment removes its ReplicaSets and their pods', () => {
    const env = makeEnv();
    const gc = withGC(env);
    try {
      create(env, newDeployment('web', 3));
      create(env, newDeployment('other', 1));
      settle(env);
      readyAll(env);
      settle(env);
      gc.drain();
      assert.equal(pods(env).length, 4, 'nothing is collected while owners live');
      env.registry.delete('Deployment', NS, 'web');
      gc.drain();
      assert.deepEqual(
        replicaSets(env).map((rs) => rs.metadata.name.split('-')[0]),
        ['other'],
      );
      assert.equal(pods(env).length, 1);
      assert.ok(pods(env)[0]!.metadata.name.startsWith('other-'));
    } finally {
      gc.close();
    }
  });

  it('deletes pods through the registry, so pods on a live node terminate gracefully', () => {
    const env = makeEnv({ nodeCanTerminate: () => true });
    const gc = withGC(env);
    try {
      create(env, newDeployment('web', 2));
      settle(env);
      for (const p of pods(env)) bind(env, p, 'n1');
      env.registry.delete('Deployment', NS, 'web');
      gc.drain();
      assert.equal(replicaSets(env).length, 0);
      const left = pods(env);
      assert.equal(left.length, 2, 'pods stay until their node confirms');
      assert.ok(left.every((p) => p.metadata.deletionTimestamp));
      assert.equal(activePods(env).length, 0);
    } finally {
      gc.close();
    }
  });

  it('keeps an object that still has a live owner, dropping only the reference to the dead one', () => {
    const env = makeEnv();
    const gc = withGC(env);
    try {
      const a = create(env, newDeployment('a', 0));
      const b = create(env, newDeployment('b', 0));
      const ref = (d: Deployment) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid! });
      create(env, newPod('shared', { x: 'y' }, { ownerReferences: [ref(a), ref(b)] }));
      env.registry.delete('Deployment', NS, 'a');
      gc.drain();
      const shared = get<Pod>(env, 'Pod', 'shared');
      assert.ok(shared);
      assert.deepEqual(shared.metadata.ownerReferences, [ref(b)]);
      env.registry.delete('Deployment', NS, 'b');
      gc.drain();
      assert.equal(get<Pod>(env, 'Pod', 'shared'), undefined);
    } finally {
      gc.close();
    }
  });

  it('treats an owner re-created under the same name (new uid) as gone', () => {
    const env = makeEnv();
    const gc = withGC(env);
    try {
      const old = create(env, newDeployment('web', 0));
      create(env, newPod('dep', { x: 'y' }, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: old.metadata.uid! }] }));
      env.store.delete('Deployment', NS, 'web');
      create(env, newDeployment('web', 0));
      gc.drain();
      assert.equal(get<Pod>(env, 'Pod', 'dep'), undefined);
    } finally {
      gc.close();
    }
  });

  it('collects any kind carrying ownerReferences, e.g. Endpoints of a deleted Service', () => {
    const env = makeEnv();
    const gc = withGC(env);
    try {
      const svc = create<Service>(env, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: NS },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      });
      const ep: Endpoints = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'web', namespace: NS, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid! }] },
        subsets: [],
      };
      env.store.create(ep);
      env.registry.delete('Service', NS, 'web');
      gc.drain();
      assert.equal(env.store.get('Endpoints', NS, 'web'), undefined);
    } finally {
      gc.close();
    }
  });

  it('finds dangling references on the periodic scan, e.g. left while it was not running', () => {
    const env = makeEnv();
    const d = create(env, newDeployment('web', 2));
    settle(env);
    // The owner goes while no collector watches: nothing enqueues its dependents.
    env.registry.delete('Deployment', NS, d.metadata.name);
    const gc = withGC(env);
    try {
      gc.drain();
      assert.equal(replicaSets(env).length, 1, 'no event told it');
      gc.resync();
      gc.drain();
      assert.equal(replicaSets(env).length, 0);
      assert.equal(pods(env).length, 0, 'and the pods followed their ReplicaSet');
    } finally {
      gc.close();
    }
  });

  it('leaves objects alone whose owner is of a kind kip does not serve', () => {
    const env = makeEnv();
    const gc = withGC(env);
    try {
      create(
        env,
        newPod('widget-pod', { x: 'y' }, { ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'u1', controller: true }] }),
      );
      gc.resync();
      gc.drain();
      assert.ok(get<Pod>(env, 'Pod', 'widget-pod'));
    } finally {
      gc.close();
    }
  });

  it('re-checks a dependent whose owner references change', () => {
    const env = makeEnv();
    const gc = withGC(env);
    try {
      const bystander = create(env, newDeployment('web', 0));
      const pod = create(env, newPod('p', { x: 'y' }));
      gc.drain();
      const next = structuredClone(get<Pod>(env, 'Pod', 'p')!);
      next.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'never-existed', uid: 'nope' }];
      env.registry.update(next);
      gc.drain();
      assert.equal(get<Pod>(env, 'Pod', pod.metadata.name), undefined);
      assert.ok(get<Deployment>(env, 'Deployment', bystander.metadata.name), 'unrelated objects stay');
    } finally {
      gc.close();
    }
  });
});
