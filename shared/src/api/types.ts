// What every object is, and the API machinery around objects: Status, lists, watch events,
// metrics. Each kind's own types are derived from its schema in kinds/, with Kubernetes' field
// names and meanings; only the fields kip acts on are declared, and manifests may carry others,
// which are kept.

import type { ObjectMeta, ResourceList } from '../kinds/meta.js';

// The wire protocol's messages carry these; every kind's types are exported with the kinds.
export type { Event, Pod, PodStatus, ResourceList } from '../kinds/index.js';

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
