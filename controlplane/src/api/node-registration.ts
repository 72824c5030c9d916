// Registering a node from an agent's hello: the Node object is created or brought up to date with
// what the agent says of itself (capacity, labels, pid, tunnel), and reported Ready, as a kubelet
// registers and posts its status.

import os from 'node:os';
import { KIP_VERSION, LABEL_ARCH, LABEL_HOSTNAME, LABEL_OS, isNodeReady, isoNow, setCondition, type Clock, type Hello, type Node } from '@kip/shared';
import type { EventRecorder } from '../events.js';
import type { Store } from '../store/store.js';
import type { PodCidrAllocator } from './pod-cidr.js';

export interface RegistrationDeps {
  store: Store;
  recorder: EventRecorder;
  cidrs: PodCidrAllocator;
  clock: Clock;
}

/** Creates or updates the Node for a hello; returns its pod CIDR. */
export function registerNode(deps: RegistrationDeps, hello: Hello): string {
  const { store, recorder, cidrs, clock } = deps;
  const name = hello.node.name;
  const now = isoNow(clock);
  const existing = store.get<Node>('Node', undefined, name);
  const podCIDR = existing?.spec.podCIDR ?? cidrs.allocate(name);
  const node: Node = existing ? structuredClone(existing) : { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: {} };
  node.metadata.labels = {
    ...node.metadata.labels,
    [LABEL_HOSTNAME]: name,
    [LABEL_OS]: process.platform,
    [LABEL_ARCH]: os.arch() === 'x64' ? 'amd64' : os.arch(),
    ...hello.node.labels,
  };
  node.spec.podCIDR = podCIDR;
  node.spec.podCIDRs = [podCIDR];
  const capacity = { pods: '110', ...hello.node.capacity };
  const wasReady = existing ? isNodeReady(existing) : false;
  node.status = {
    ...node.status,
    capacity,
    allocatable: { ...capacity },
    addresses: [
      // The agent's own loopback address (127.0.1.N from the launcher) when it has one: where its NodePorts are.
      { type: 'InternalIP', address: hello.node.nodeIP ?? '127.0.0.1' },
      { type: 'Hostname', address: name },
    ],
    nodeInfo: {
      operatingSystem: process.platform,
      architecture: os.arch(),
      kernelVersion: os.release(),
      kubeletVersion: `v${hello.node.version}-kip`,
      agentPid: hello.node.pid,
      ...(hello.node.tunnelEndpoint ? { tunnelEndpoint: hello.node.tunnelEndpoint } : {}),
    },
    conditions: setCondition(
      node.status?.conditions,
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kip agent is posting ready status', lastHeartbeatTime: now },
      now,
    ),
  };
  const saved = existing ? store.update(node) : store.create(node);
  if (!existing) recorder.record(saved, 'Normal', 'RegisteredNode', `Registered Node ${name} in Controller`, { component: 'node-controller' });
  // A new agent process, not the same one reconnecting (after a network fault or a control plane restart).
  else if (existing.status?.nodeInfo?.agentPid !== hello.node.pid)
    recorder.record(saved, 'Normal', 'Starting', `Starting kip agent ${KIP_VERSION} (pid ${hello.node.pid}).`, { component: 'kubelet', host: name });
  if (!wasReady) recorder.record(saved, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`, { component: 'kubelet', host: name });
  return podCIDR;
}
