// Controllers under test run against a MemoryStore preloaded in memory, a Registry over it and a
// FakeClock. Reconciles are driven by hand: `settle` reconciles the workload controllers until
// nothing more is written, as a level-triggered system would converge.

import {
  FakeClock,
  isoTime,
  silentLogger,
  type Deployment,
  type DeploymentSpec,
  type Event,
  type KObject,
  type Node,
  type Pod,
  type ReplicaSet,
} from '@kip/shared';
import { Registry } from '@kip/controlplane';
import { StoreEventRecorder } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';
import type { Controller, ControllerDeps } from '@kip/controlplane';
import { DeploymentController } from '@kip/controlplane';
import { ReplicaSetController } from '@kip/controlplane';
import { WorkQueue } from '@kip/controlplane';

export const NS = 'default';

export interface Env {
  clock: FakeClock;
  store: MemoryStore;
  registry: Registry;
  recorder: StoreEventRecorder;
  deps: ControllerDeps;
  rsc: ReplicaSetController;
  dc: DeploymentController;
}

export function makeEnv(opts: { nodeCanTerminate?: (node: string) => boolean } = {}): Env {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const registry = new Registry({ store, log: silentLogger, clock, nodeCanTerminate: opts.nodeCanTerminate });
  const recorder = new StoreEventRecorder(store, { component: 'test', clock });
  const deps: ControllerDeps = { store, registry, recorder, log: silentLogger, clock };
  return { clock, store, registry, recorder, deps, rsc: new ReplicaSetController(deps), dc: new DeploymentController(deps) };
}

export const container = (image = 'pause') => ({ name: 'main', image });

export function newReplicaSet(name: string, replicas: number, extra: { labels?: Record<string, string>; minReadySeconds?: number } = {}): ReplicaSet {
  const labels = extra.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS, labels },
    spec: {
      replicas,
      minReadySeconds: extra.minReadySeconds,
      selector: { matchLabels: labels },
      template: { metadata: { labels, annotations: { note: 'from-template' } }, spec: { containers: [container()] } },
    },
  };
}

export function newDeployment(name: string, replicas: number, spec: Partial<DeploymentSpec> = {}): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container()] } }, ...spec },
  };
}

export function newPod(name: string, labels: Record<string, string>, extra: Partial<Pod['metadata']> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels, ...extra }, spec: { containers: [container()] } };
}

export function newNode(name: string): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} };
}

export function get<T extends KObject>(env: Env, kind: string, name: string): T | undefined {
  return env.store.get<T>(kind, kind === 'Node' ? undefined : NS, name);
}

/** Pods in the namespace, optionally only those a ReplicaSet controls, by name. */
export function pods(env: Env, owner?: KObject): Pod[] {
  const all = env.store.list<Pod>('Pod', { namespace: NS }).items;
  const mine = owner ? all.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid && r.controller)) : all;
  return [...mine].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

export const activePods = (env: Env, owner?: KObject) =>
  pods(env, owner).filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded');

export function replicaSets(env: Env, owner?: KObject): ReplicaSet[] {
  const all = env.store.list<ReplicaSet>('ReplicaSet', { namespace: NS }).items;
  return owner ? all.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) : all;
}

export function events(env: Env, reason?: string): Event[] {
  const all = env.store.list<Event>('Event').items.filter((e) => !reason || e.reason === reason);
  return all.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

export const messages = (env: Env, reason?: string) => events(env, reason).map((e) => e.message);

/** Binds a pod to a node, as the scheduler does: a store write of spec.nodeName. */
export function bind(env: Env, pod: Pod, node: string): Pod {
  const next = structuredClone(env.store.get<Pod>('Pod', NS, pod.metadata.name)!);
  next.spec.nodeName = node;
  return env.store.update<Pod>(next);
}

/** Writes a Running, Ready status as the kubelet would; `readyAgoMs` backdates the Ready transition. */
export function markReady(env: Env, pod: Pod, readyAgoMs = 0): Pod {
  const cur = env.store.get<Pod>('Pod', NS, pod.metadata.name)!;
  const next = structuredClone(cur);
  next.status = {
    ...(next.status ?? {}),
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: isoTime(env.clock.now() - readyAgoMs) }],
  };
  return env.registry.updateStatus(next);
}

export function setPhase(env: Env, pod: Pod, phase: NonNullable<Pod['status']>['phase']): Pod {
  const next = structuredClone(env.store.get<Pod>('Pod', NS, pod.metadata.name)!);
  next.status = { ...(next.status ?? {}), phase };
  return env.registry.updateStatus(next);
}

/** Marks every not-yet-ready active pod Ready; returns how many. */
export function readyAll(env: Env, owner?: KObject): number {
  let n = 0;
  for (const p of activePods(env, owner)) {
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    markReady(env, p);
    n++;
  }
  return n;
}

/**
 * Reconciles every Deployment and ReplicaSet until a full round writes nothing. Throws if that
 * takes more than `maxRounds`, which would mean the controllers fight each other.
 */
export function settle(env: Env, maxRounds = 50): number {
  for (let round = 1; round <= maxRounds; round++) {
    const before = env.store.resourceVersion();
    for (const d of env.store.list('Deployment').items) env.dc.reconcile(`${d.metadata.namespace}/${d.metadata.name}`);
    for (const rs of env.store.list('ReplicaSet').items) env.rsc.reconcile(`${rs.metadata.namespace}/${rs.metadata.name}`);
    if (env.store.resourceVersion() === before) return round;
  }
  throw new Error(`controllers did not settle within ${maxRounds} rounds`);
}

/**
 * Drives one controller from its own watches, synchronously: what it enqueues is reconciled by
 * drain(), including requeues that fall due as the fake clock advances.
 */
export class SyncDriver {
  readonly queue: WorkQueue;
  readonly reconciled: string[] = [];
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly controller: Controller,
    clock: FakeClock,
  ) {
    this.queue = new WorkQueue({ clock });
    this.unsubscribe = controller.register((key, afterMs) => (afterMs ? this.queue.addAfter(key, afterMs) : this.queue.add(key)));
  }

  resync(): void {
    for (const k of this.controller.resyncKeys()) this.queue.add(k);
  }

  drain(max = 1000): void {
    for (let i = 0; i < max; i++) {
      const key = this.queue.get();
      if (key === undefined) return;
      try {
        this.reconciled.push(key);
        const r = this.controller.reconcile(key);
        if (r) this.queue.addAfter(key, r.requeueAfterMs);
      } finally {
        this.queue.done(key);
      }
    }
    throw new Error('queue did not drain');
  }

  close(): void {
    for (const u of this.unsubscribe) u();
    this.queue.close();
  }
}

export function deploymentKey(d: KObject): string {
  return `${d.metadata.namespace}/${d.metadata.name}`;
}

/** Creates an object through the registry, as a user would with `kip apply`. */
export function create<T extends KObject>(env: Env, obj: T): T {
  return env.registry.create<T>(obj);
}

/** Replaces a Deployment's spec through the registry, as `kip apply` of a changed manifest would. */
export function updateDeployment(env: Env, name: string, change: (d: Deployment) => void): Deployment {
  const next = structuredClone(get<Deployment>(env, 'Deployment', name)!);
  change(next);
  return env.registry.update<Deployment>(next);
}
