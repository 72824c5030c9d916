import assert from 'node:assert/strict';
import { FakeClock, silentLogger, type Pod } from '@kip/shared';
import { Registry } from '@kip/controlplane';
import { StoreEventRecorder } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';
import { ControllerManager, defaultControllers } from '@kip/controlplane';
import { eventually } from '../../helpers/wait.js';
import { newDeployment, NS } from './fixtures.js';

describe('controllers/manager', () => {
  let manager: ControllerManager | undefined;
  afterEach(() => {
    manager?.stop();
    manager = undefined;
  });

  function start() {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const registry = new Registry({ store, log: silentLogger, clock });
    const recorder = new StoreEventRecorder(store, { component: 'controller-manager', clock });
    const opts = { store, registry, recorder, log: silentLogger, clock };
    manager = new ControllerManager(opts);
    for (const c of defaultControllers(opts)) manager.add(c);
    manager.start();
    return { clock, store, registry };
  }

  it('runs the default controllers: ReplicaSet, StatefulSet, Deployment, Job, TTL-after-finished, CronJob, DaemonSet, disruption, garbage collector, pod GC', () => {
    start();
    assert.deepEqual(
      manager!.controllers.map((c) => c.name),
      ['replicaset', 'statefulset', 'deployment', 'job', 'ttl-after-finished', 'cronjob', 'daemonset', 'disruption', 'garbage-collector', 'pod-gc'],
    );
    assert.throws(() => manager!.add(manager!.controllers[0]!), /already registered/);
  });

  it('turns a Deployment into pods, and its deletion into none, on its own', async () => {
    const { store, registry } = start();
    registry.create(newDeployment('web', 3));
    const pods = () => store.list<Pod>('Pod', { namespace: NS }).items;
    await eventually('3 pods', () => pods().length === 3, { timeoutMs: 10_000, intervalMs: 5 });
    assert.equal(store.list('ReplicaSet').items.length, 1);
    registry.delete('Deployment', NS, 'web');
    await eventually('ReplicaSets and pods collected', () => store.list('ReplicaSet').items.length === 0 && pods().length === 0, {
      timeoutMs: 10_000,
      intervalMs: 5,
    });
  });

  it('stops: later changes are not acted on, and no timers are left', async () => {
    const { clock, store, registry } = start();
    manager!.stop();
    assert.equal(clock.pendingTimers(), 0);
    registry.create(newDeployment('web', 2));
    for (const c of manager!.controllers) assert.equal(manager!.runner(c.name)!.queue.length, 0, `${c.name} no longer watches`);
    await new Promise((r) => setImmediate(r));
    assert.equal(store.list('ReplicaSet').items.length, 0);
  });
});
