// Object types, with Kubernetes' field names and meanings, so that a reader who knows Kubernetes
// knows kip. Each kind's type is derived from its schema in kinds/; only the fields kip acts on are
// declared, and manifests may carry others, which are kept.

import type { ObjectMeta, ResourceList } from '../kinds/meta.js';

export type {
  ConditionStatus,
  LabelSelector,
  LabelSelectorRequirement,
  ObjectMeta,
  ObjectReference,
  OwnerReference,
  ResourceList,
  ResourceRequirements,
  TaintEffect,
} from '../kinds/meta.js';
export type {
  Affinity,
  Container,
  ContainerPort,
  EnvVar,
  ExecAction,
  HTTPGetAction,
  NodeAffinity,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodSpec,
  PodTemplateSpec,
  PreferredSchedulingTerm,
  Probe,
  RestartPolicy,
  TCPSocketAction,
  Toleration,
} from '../kinds/pod-spec.js';
export type {
  ContainerState,
  ContainerStateRunning,
  ContainerStateTerminated,
  ContainerStateWaiting,
  ContainerStatus,
  Pod,
  PodCondition,
  PodPhase,
  PodStatus,
} from '../kinds/pod.js';
export type { Namespace } from '../kinds/namespace.js';
export type { Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo, Taint } from '../kinds/node.js';
export type { ReplicaSet, ReplicaSetSpec, ReplicaSetStatus } from '../kinds/replicaset.js';
export type { Deployment, DeploymentCondition, DeploymentSpec, DeploymentStatus, DeploymentStrategy } from '../kinds/deployment.js';
export type { Service, ServicePort, ServiceSpec } from '../kinds/service.js';
export type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints } from '../kinds/endpoints.js';
export type { Event } from '../kinds/event.js';

/** What every object has, whatever its kind. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

// ---------------------------------------------------------------------------------------------
// API machinery

export interface StatusCause {
  field?: string;
  message: string;
  reason?: string;
}

export interface Status {
  apiVersion: 'v1';
  kind: 'Status';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; kind?: string; group?: string; causes?: StatusCause[] };
}

export interface List<T extends KObject = KObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T = KObject> {
  type: WatchEventType;
  object: T;
}

/** metrics.k8s.io/v1beta1 shapes, served from memory for `kip top`. */
export interface NodeMetrics {
  apiVersion: 'metrics.k8s.io/v1beta1';
  kind: 'NodeMetrics';
  metadata: { name: string; creationTimestamp?: string };
  timestamp: string;
  window: string;
  usage: ResourceList;
}
export interface PodMetrics {
  apiVersion: 'metrics.k8s.io/v1beta1';
  kind: 'PodMetrics';
  metadata: { name: string; namespace: string; creationTimestamp?: string };
  timestamp: string;
  window: string;
  containers: { name: string; usage: ResourceList }[];
}
