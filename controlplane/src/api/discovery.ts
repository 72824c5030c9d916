// Aggregated discovery (apidiscovery.k8s.io/v2): every group, version and resource in one answer
// to /api and one to /apis, which kubectl 1.32 asks for first. Without it kubectl falls back to
// the legacy lists, one request per group-version; with it, two requests discover everything.

import { KINDS, type ResourceType, type Subresource } from '@kip/shared';
import { METRICS_GROUP } from './routes.js';

export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** The verbs every kind's resource serves (rest.ts). */
export const RESOURCE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** What `kubectl get all` lists, as Kubernetes puts those kinds in the `all` category. */
const CATEGORY_ALL = new Set(['Pod', 'Service', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet', 'Job', 'CronJob']);

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

/** What each subresource answers with and which verbs it takes, as the API server lists them. */
const SUBRESOURCES: Record<Subresource, { kind: (r: ResourceType) => { group: string; version: string; kind: string }; verbs: string[] }> = {
  scale: { kind: () => ({ group: 'autoscaling', version: 'v1', kind: 'Scale' }), verbs: ['get', 'patch', 'update'] },
  log: { kind: () => ({ group: '', version: 'v1', kind: 'Pod' }), verbs: ['get'] },
  // kubectl drain evicts (and so respects disruption budgets) only where discovery lists pods/eviction.
  eviction: { kind: () => ({ group: 'policy', version: 'v1', kind: 'Eviction' }), verbs: ['create'] },
  binding: { kind: () => ({ group: '', version: 'v1', kind: 'Binding' }), verbs: ['create'] },
  exec: { kind: () => ({ group: '', version: 'v1', kind: 'PodExecOptions' }), verbs: ['create', 'get'] },
  attach: { kind: () => ({ group: '', version: 'v1', kind: 'PodAttachOptions' }), verbs: ['create', 'get'] },
  portforward: { kind: () => ({ group: '', version: 'v1', kind: 'PodPortForwardOptions' }), verbs: ['create', 'get'] },
  proxy: { kind: (r) => ({ group: '', version: 'v1', kind: `${r.kind}ProxyOptions` }), verbs: ['create', 'delete', 'get', 'patch', 'update'] },
};

function resourceEntry(r: ResourceType, verbs: readonly string[], subresources: readonly Subresource[], statusSubresource: boolean): Record<string, unknown> {
  const kind = { group: r.group, version: r.version, kind: r.kind };
  const subs: Record<string, unknown>[] = [];
  if (statusSubresource) subs.push({ subresource: 'status', responseKind: kind, verbs: ['get', 'patch', 'update'] });
  for (const sub of subresources) subs.push({ subresource: sub, responseKind: SUBRESOURCES[sub].kind(r), verbs: SUBRESOURCES[sub].verbs });
  const cats = categories(r);
  return {
    resource: r.plural,
    responseKind: kind,
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(cats ? { categories: cats } : {}),
    ...(subs.length > 0 ? { subresources: subs } : {}),
  };
}

/** One resource as discovery lists it: a kind's, or a read-only one served beside the kinds. */
interface Discovered {
  resource: ResourceType;
  verbs: readonly string[];
  subresources: readonly Subresource[];
  statusSubresource: boolean;
}

/** metrics.k8s.io, read-only, served from the agents' samples: what `kubectl top` looks for. */
const METRICS_VERSION = 'v1beta1';
const metrics = (plural: string, singular: string, kind: string, namespaced: boolean): Discovered => ({
  resource: { group: METRICS_GROUP, version: METRICS_VERSION, kind, plural, singular, namespaced, shortNames: [] },
  verbs: ['get', 'list'],
  subresources: [],
  statusSubresource: false,
});

function discovered(): Discovered[] {
  return [
    ...KINDS.map((k) => ({ resource: k.resource, verbs: RESOURCE_VERBS, subresources: k.subresources ?? [], statusSubresource: k.status.subresource })),
    metrics('nodes', 'nodemetrics', 'NodeMetrics', false),
    metrics('pods', 'podmetrics', 'PodMetrics', true),
  ];
}

const groupVersion = (r: ResourceType) => (r.group ? `${r.group}/${r.version}` : r.version);

/** The legacy discovery documents: /api, /apis, and one APIResourceList per group-version. */
export function legacyDiscovery(path: string): unknown {
  const p = path.replace(/\/+$/, '');
  const all = discovered();
  if (p === '/api') return { kind: 'APIVersions', versions: ['v1'] };
  if (p === '/apis') {
    const groups = [...new Set(all.map((d) => d.resource.group).filter(Boolean))];
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((g) => {
        const v = all.find((d) => d.resource.group === g)!.resource.version;
        return { name: g, versions: [{ groupVersion: `${g}/${v}`, version: v }], preferredVersion: { groupVersion: `${g}/${v}`, version: v } };
      }),
    };
  }
  const gv = p.replace(/^\/apis?\//, '');
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: all
      .filter((d) => groupVersion(d.resource) === gv)
      .flatMap(({ resource: r, verbs, subresources, statusSubresource }) => [
        {
          name: r.plural,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          shortNames: r.shortNames,
          verbs,
          ...(categories(r) ? { categories: categories(r) } : {}),
        },
        ...(statusSubresource
          ? [{ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }]
          : []),
        // kubectl drain looks for pods/eviction here (or in aggregated discovery) before it evicts.
        ...subresources.map((sub) => {
          const { group, version, kind } = SUBRESOURCES[sub].kind(r);
          return { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, group, version, kind, verbs: SUBRESOURCES[sub].verbs };
        }),
      ]),
  };
}

/** The APIGroupDiscoveryList for /api (the core group, named "") or /apis (every other group). */
export function aggregatedDiscovery(core: boolean): Record<string, unknown> {
  const groups = new Map<string, Map<string, Record<string, unknown>[]>>();
  for (const d of discovered()) {
    const r = d.resource;
    if ((r.group === '') !== core) continue;
    const versions = groups.get(r.group) ?? new Map<string, Record<string, unknown>[]>();
    groups.set(r.group, versions);
    versions.set(r.version, [...(versions.get(r.version) ?? []), resourceEntry(r, d.verbs, d.subresources, d.statusSubresource)]);
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
