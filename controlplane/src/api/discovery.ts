// Aggregated discovery (apidiscovery.k8s.io/v2): every group, version and resource in one answer
// to /api and one to /apis, which kubectl 1.32 asks for first. Without it kubectl falls back to
// the legacy lists, one request per group-version; with it, two requests discover everything.

import { KINDS, type ResourceType } from '@kip/shared';

export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** The verbs every kind's resource serves (rest.ts). */
export const RESOURCE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** What `kubectl get all` lists, as Kubernetes puts those kinds in the `all` category. */
const CATEGORY_ALL = new Set(['Pod', 'Service', 'Deployment', 'ReplicaSet', 'StatefulSet']);

export function categories(r: ResourceType): string[] | undefined {
  return CATEGORY_ALL.has(r.kind) ? ['all'] : undefined;
}

/** Whether the client takes aggregated discovery v2: an Accept entry with its g, v and as. */
export function wantsAggregated(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((entry) => {
    const [type, ...params] = entry.split(';').map((p) => p.trim());
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    return type === 'application/json' && p.g === 'apidiscovery.k8s.io' && p.v === 'v2' && p.as === 'APIGroupDiscoveryList';
  });
}

function resourceEntry(r: ResourceType, subresources: readonly string[], statusSubresource: boolean): Record<string, unknown> {
  const kind = { group: r.group, version: r.version, kind: r.kind };
  const subs: Record<string, unknown>[] = [];
  if (statusSubresource) subs.push({ subresource: 'status', responseKind: kind, verbs: ['get', 'patch', 'update'] });
  if (subresources.includes('scale'))
    subs.push({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
  if (subresources.includes('log')) subs.push({ subresource: 'log', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] });
  const cats = categories(r);
  return {
    resource: r.plural,
    responseKind: kind,
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: RESOURCE_VERBS,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(cats ? { categories: cats } : {}),
    ...(subs.length > 0 ? { subresources: subs } : {}),
  };
}

/** The APIGroupDiscoveryList for /api (the core group, named "") or /apis (every other group). */
export function aggregatedDiscovery(core: boolean): Record<string, unknown> {
  const groups = new Map<string, Map<string, Record<string, unknown>[]>>();
  for (const k of KINDS) {
    const r = k.resource;
    if ((r.group === '') !== core) continue;
    const versions = groups.get(r.group) ?? new Map<string, Record<string, unknown>[]>();
    groups.set(r.group, versions);
    versions.set(r.version, [...(versions.get(r.version) ?? []), resourceEntry(r, k.subresources ?? [], k.status.subresource)]);
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: [...groups].map(([name, versions]) => ({
      metadata: name ? { name } : {},
      versions: [...versions].map(([version, resources]) => ({ version, resources, freshness: 'Current' })),
    })),
  };
}
