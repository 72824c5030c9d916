// A Registry over a MemoryStore with a FakeClock, and objects to put in it. Everything in memory;
// `nodeCanTerminate` says which nodes can stop pods gracefully.

import { FakeClock, silentLogger, type Deployment, type KObject, type Node, type Pod, type ReplicaSet, type Service } from '@kip/shared';
import { Registry } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';

export interface Env {
  clock: FakeClock;
  store: MemoryStore;
  registry: Registry;
  /** Nodes that can stop pods gracefully now. */
  terminating: Set<string>;
}

export function makeEnv(opts: { historySize?: number } = {}): Env {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock, historySize: opts.historySize });
  const terminating = new Set<string>();
  const registry = new Registry({ store, log: silentLogger, clock, nodeCanTerminate: (n) => terminating.has(n) });
  return { clock, store, registry, terminating };
}

export function pod(name: string, extra: { namespace?: string; labels?: Record<string, string>; nodeName?: string; grace?: number } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: extra.namespace, labels: extra.labels },
    spec: {
      containers: [{ name: 'main', image: 'pause' }],
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}),
    },
  };
}

export function deployment(name: string, replicas = 2, labels: Record<string, string> = { app: name }): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'pause' }] } } },
  };
}

export function replicaSet(name: string, replicas = 2, labels: Record<string, string> = { app: name }): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'pause' }] } } },
  };
}

export function service(name: string, selector: Record<string, string> = { app: name }): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector, ports: [{ port: 80 }] } };
}

export function node(name: string, labels: Record<string, string> = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: {} };
}

/** A copy to change: what the store hands out is frozen. */
export function copy<T extends KObject>(obj: T): T {
  return structuredClone(obj);
}
