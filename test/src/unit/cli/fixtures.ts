// Objects for the CLI's unit tests, built in memory with only the fields each test is about.

import type { ContainerStatus, Deployment, Event, Node, Pod, PodPhase, ReplicaSet } from '@kip/shared';

export const NOW = Date.parse('2024-05-01T12:00:00Z');
export const ago = (ms: number) => new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function running(name: string, ready = true, restartCount = 0): ContainerStatus {
  return { name, state: { running: { startedAt: ago(60_000) } }, lastState: {}, ready, restartCount, image: 'http-echo', imageID: 'kip://http-echo' };
}

export function pod(
  name: string,
  opts: Partial<{
    containers: string[];
    statuses: ContainerStatus[];
    phase: PodPhase;
    node: string;
    ip: string;
    labels: Record<string, string>;
    age: number;
    namespace: string;
    owner: string;
    deleting: boolean;
  }> = {},
): Pod {
  const containers = (opts.containers ?? ['web']).map((c) => ({ name: c, image: 'http-echo' }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      uid: `uid-${name}`,
      creationTimestamp: ago(opts.age ?? 5_000),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: opts.owner, uid: `uid-${opts.owner}`, controller: true }] } : {}),
      ...(opts.deleting ? { deletionTimestamp: ago(1_000) } : {}),
    },
    spec: { containers, ...(opts.node ? { nodeName: opts.node } : {}) },
    status: {
      phase: opts.phase ?? 'Running',
      ...(opts.ip ? { podIP: opts.ip } : {}),
      containerStatuses: opts.statuses ?? containers.map((c) => running(c.name)),
    },
  };
}

export function node(
  name: string,
  opts: Partial<{ ready: 'True' | 'False' | 'Unknown' | 'none'; unschedulable: boolean; pid: number; labels: Record<string, string> }> = {},
): Node {
  const ready = opts.ready ?? 'True';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: ago(3 * 60_000 + 2_000), labels: opts.labels ?? { 'kubernetes.io/hostname': name } },
    spec: { ...(opts.unschedulable ? { unschedulable: true } : {}), podCIDR: '10.244.1.0/24' },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: ready === 'none' ? [] : [{ type: 'Ready', status: ready, reason: 'KubeletReady', message: 'agent is posting ready status' }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      nodeInfo: { operatingSystem: 'linux', architecture: 'amd64', kubeletVersion: 'v0.1.0', agentPid: opts.pid ?? 4242 },
    },
  };
}

export function deployment(name: string, replicas = 3): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: ago(60_000),
      labels,
      annotations: { 'deployment.kubernetes.io/revision': '2' },
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'http-echo:2', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    },
    status: { replicas, updatedReplicas: replicas, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1 },
  };
}

export function replicaSet(name: string, owner: Deployment, image: string, replicas: number, revision: string): ReplicaSet {
  const labels = { app: owner.metadata.name, 'pod-template-hash': name.split('-').pop()! };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: ago(30_000),
      labels,
      annotations: { 'deployment.kubernetes.io/revision': revision },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner.metadata.name, uid: owner.metadata.uid!, controller: true }],
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } },
    },
    status: { replicas, readyReplicas: replicas },
  };
}

export function event(
  reason: string,
  obj: { kind: string; name: string; uid?: string },
  at: number,
  opts: Partial<{ type: 'Normal' | 'Warning'; count: number; message: string; first: number }> = {},
): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${obj.name}.${reason.toLowerCase()}`, namespace: 'default', creationTimestamp: ago(opts.first ?? at) },
    involvedObject: { kind: obj.kind, name: obj.name, namespace: 'default', ...(obj.uid ? { uid: obj.uid } : {}) },
    reason,
    message: opts.message ?? `${reason} happened`,
    type: opts.type ?? 'Normal',
    source: { component: 'default-scheduler' },
    firstTimestamp: ago(opts.first ?? at),
    lastTimestamp: ago(at),
    count: opts.count ?? 1,
  };
}
