import assert from 'node:assert/strict';
import type { Node, Pod } from '@kip/shared';
import { TAINT_OUT_OF_SERVICE, TAINT_SHUTDOWN } from '@kip/controlplane';
import { PodGarbageCollector } from '@kip/controlplane';
import { bind, create, events, get, makeEnv, newNode, newPod, NS, SyncDriver, type Env } from './fixtures.js';

function setup(): { env: Env; gc: PodGarbageCollector; driver: SyncDriver } {
  const env = makeEnv({ nodeCanTerminate: () => true });
  const gc = new PodGarbageCollector(env.deps);
  return { env, gc, driver: new SyncDriver(gc, env.clock) };
}

/** A pod bound to n1 that the registry marked for graceful deletion with the given grace. */
function terminating(env: Env, name: string, graceSeconds: number): Pod {
  const p = create(env, newPod(name, { app: 'x' }));
  bind(env, p, 'n1');
  return env.registry.delete<Pod>('Pod', NS, name, { gracePeriodSeconds: graceSeconds });
}

describe('controllers/pod-gc', () => {
  it('force-deletes a terminating pod whose node has not confirmed 10 s after its deadline', () => {
    const { env, driver } = setup();
    try {
      create(env, newNode('n1'));
      const p = terminating(env, 'stuck', 30);
      assert.ok(p.metadata.deletionTimestamp);
      driver.drain();
      assert.ok(get<Pod>(env, 'Pod', 'stuck'), 'kept within grace + slack');
      env.clock.advance(39_999);
      driver.drain();
      assert.ok(get<Pod>(env, 'Pod', 'stuck'));
      env.clock.advance(1);
      driver.drain();
      assert.equal(get<Pod>(env, 'Pod', 'stuck'), undefined);
      const [ev] = events(env, 'DeletionByPodGC');
      assert.ok(ev);
      assert.equal(ev.type, 'Warning');
      assert.equal(ev.involvedObject.name, 'stuck');
      assert.equal(ev.source?.component, 'pod-garbage-collector');
      assert.match(ev.message, /node "n1" did not confirm termination within 10s/);
    } finally {
      driver.close();
    }
  });

  it('asks to look again exactly when the slack runs out', () => {
    const { env, gc, driver } = setup();
    try {
      create(env, newNode('n1'));
      terminating(env, 'p', 5);
      env.clock.advance(2000);
      assert.deepEqual(gc.reconcile(`${NS}/p`), { requeueAfterMs: 13_000 });
    } finally {
      driver.close();
    }
  });

  it('deletes a pod bound to a node that does not exist, and leaves pods on live nodes', () => {
    const { env, driver } = setup();
    try {
      create(env, newNode('n1'));
      bind(env, create(env, newPod('ghost', { app: 'x' })), 'vanished');
      bind(env, create(env, newPod('fine', { app: 'x' })), 'n1');
      create(env, newPod('pending', { app: 'x' }));
      driver.drain();
      assert.equal(get<Pod>(env, 'Pod', 'ghost'), undefined);
      assert.ok(get<Pod>(env, 'Pod', 'fine'));
      assert.ok(get<Pod>(env, 'Pod', 'pending'), 'an unscheduled pod is not orphaned');
      assert.match(events(env, 'DeletionByPodGC')[0]!.message, /node "vanished" no longer exists/);
    } finally {
      driver.close();
    }
  });

  it('deletes the pods of a Node object that is deleted', () => {
    const { env, driver } = setup();
    try {
      create(env, newNode('n1'));
      create(env, newNode('n2'));
      for (const [name, node] of [
        ['a', 'n1'],
        ['b', 'n1'],
        ['c', 'n2'],
      ] as const)
        bind(env, create(env, newPod(name, { app: 'x' })), node);
      driver.drain();
      env.registry.delete('Node', undefined, 'n1');
      driver.drain();
      assert.equal(get<Pod>(env, 'Pod', 'a'), undefined);
      assert.equal(get<Pod>(env, 'Pod', 'b'), undefined);
      assert.ok(get<Pod>(env, 'Pod', 'c'));
    } finally {
      driver.close();
    }
  });

  it('finds what it missed on the periodic scan', () => {
    const env = makeEnv({ nodeCanTerminate: () => true });
    create(env, newNode('n1'));
    terminating(env, 'old', 1);
    bind(env, create(env, newPod('lost', { app: 'x' })), 'gone-node');
    env.clock.advance(60_000);
    const driver = new SyncDriver(new PodGarbageCollector(env.deps), env.clock);
    try {
      driver.resync();
      driver.drain();
      assert.equal(get<Pod>(env, 'Pod', 'old'), undefined);
      assert.equal(get<Pod>(env, 'Pod', 'lost'), undefined);
    } finally {
      driver.close();
    }
  });

  /** The node as the node lifecycle controller leaves it when it is lost: Ready Unknown, with these taints. */
  function markDown(env: Env, name: string, taintKeys: string[]): void {
    const n = structuredClone(get<Node>(env, 'Node', name)!);
    n.status = { ...n.status, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] };
    n.spec.taints = taintKeys.map((key) => ({ key, effect: 'NoSchedule' as const }));
    env.store.update(n);
  }

  for (const [why, key] of [
    ['its agent process has exited (shutdown taint)', TAINT_SHUTDOWN],
    ['an administrator marked it out of service', TAINT_OUT_OF_SERVICE],
  ] as const) {
    it(`force-deletes the terminating pods of a node known to be down, at once: ${why}`, () => {
      const { env, driver } = setup();
      try {
        create(env, newNode('n1'));
        terminating(env, 'leaving', 30);
        bind(env, create(env, newPod('staying', { app: 'x' })), 'n1');
        driver.drain();
        markDown(env, 'n1', [key]);
        driver.drain();
        assert.equal(get<Pod>(env, 'Pod', 'leaving'), undefined, 'nothing of it runs: it stops counting against n1 now, not 40 s later');
        assert.ok(get<Pod>(env, 'Pod', 'staying'), 'a pod not being deleted is the eviction’s business, by its tolerations');
        assert.match(events(env, 'DeletionByPodGC')[0]!.message, /node "n1" is down/);
        terminating(env, 'later', 30);
        driver.drain();
        assert.equal(get<Pod>(env, 'Pod', 'later'), undefined, 'a pod deleted after the node went down goes at once too');
      } finally {
        driver.close();
      }
    });
  }

  it('waits out the deadline for a node that is only unreachable (it may still run its pods)', () => {
    const { env, driver } = setup();
    try {
      create(env, newNode('n1'));
      terminating(env, 'leaving', 30);
      markDown(env, 'n1', ['node.kubernetes.io/unreachable']);
      driver.drain();
      assert.ok(get<Pod>(env, 'Pod', 'leaving'));
    } finally {
      driver.close();
    }
  });
});
