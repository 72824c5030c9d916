// The resource registry: which kinds exist, where they live in the HTTP API, and the names a
// user may call them by. The API server routes by it and the CLI resolves `kip get po` by it.

export interface ResourceType {
  kind: string;
  /** Lower-case plural, as in the URL path. */
  plural: string;
  singular: string;
  shortNames: string[];
  /** "" for the core group (/api/v1), else the group name (/apis/GROUP/VERSION). */
  group: string;
  version: string;
  namespaced: boolean;
}

export const RESOURCES: readonly ResourceType[] = [
  { kind: 'Namespace', plural: 'namespaces', singular: 'namespace', shortNames: ['ns'], group: '', version: 'v1', namespaced: false },
  { kind: 'Node', plural: 'nodes', singular: 'node', shortNames: ['no'], group: '', version: 'v1', namespaced: false },
  { kind: 'Pod', plural: 'pods', singular: 'pod', shortNames: ['po'], group: '', version: 'v1', namespaced: true },
  { kind: 'Event', plural: 'events', singular: 'event', shortNames: ['ev'], group: '', version: 'v1', namespaced: true },
  { kind: 'Service', plural: 'services', singular: 'service', shortNames: ['svc'], group: '', version: 'v1', namespaced: true },
  { kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', shortNames: ['ep'], group: '', version: 'v1', namespaced: true },
  { kind: 'Deployment', plural: 'deployments', singular: 'deployment', shortNames: ['deploy'], group: 'apps', version: 'v1', namespaced: true },
  { kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', shortNames: ['rs'], group: 'apps', version: 'v1', namespaced: true },
  { kind: 'NodeChaos', plural: 'nodechaos', singular: 'nodechaos', shortNames: [], group: 'chaos.kip.dev', version: 'v1alpha1', namespaced: true },
  { kind: 'NetworkChaos', plural: 'networkchaos', singular: 'networkchaos', shortNames: [], group: 'chaos.kip.dev', version: 'v1alpha1', namespaced: true },
];

export function apiVersionOf(r: ResourceType): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function resourceByKind(kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

/** Resolves what a user typed ("po", "pods", "Pod", "deployment.apps") to a resource type. */
export function resolveResource(name: string): ResourceType | undefined {
  const n = name.toLowerCase().replace(/\.[a-z0-9.]+$/, '');
  return RESOURCES.find((r) => r.plural === n || r.singular === n || r.kind.toLowerCase() === n || r.shortNames.includes(n));
}

/** The collection path, e.g. /apis/apps/v1/namespaces/default/deployments; all namespaces when ns is undefined. */
export function collectionPath(r: ResourceType, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace !== undefined) return `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
  return `${base}/${r.plural}`;
}

export function objectPath(r: ResourceType, namespace: string | undefined, name: string): string {
  return `${collectionPath(r, r.namespaced ? (namespace ?? 'default') : undefined)}/${encodeURIComponent(name)}`;
}
