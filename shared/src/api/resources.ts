// Where kinds live in the HTTP API and the names a user may call them by, from the table of kinds.
// The API server routes by it and the CLI resolves `kip get po` by it.

import { KINDS, kindDefinition, resolveKind } from '../kinds/index.js';
import type { ResourceType } from '../kinds/kind.js';

export { apiVersionOf, type ResourceType } from '../kinds/kind.js';

// Pure: a program that only builds paths (the agent's API client) need not hold the kinds.
export const RESOURCES: readonly ResourceType[] = /* @__PURE__ */ KINDS.map((k) => k.resource);

export function resourceByKind(kind: string): ResourceType | undefined {
  return kindDefinition(kind)?.resource;
}

/** Resolves what a user typed ("po", "pods", "Pod", "deployment.apps") to a resource type. */
export function resolveResource(name: string): ResourceType | undefined {
  return resolveKind(name)?.resource;
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
