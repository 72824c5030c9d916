// Parses a request path into what it addresses, in the Kubernetes URL scheme:
//   /api/v1/nodes/node-1/status
//   /api/v1/namespaces/default/pods/web-1/log
//   /apis/apps/v1/namespaces/default/deployments/web/scale
//   /apis/apps/v1/deployments                          (all namespaces)

import { RESOURCES, type ResourceType } from '@kip/shared';

export interface ResourceRoute {
  type: 'resource';
  resource: ResourceType;
  /** undefined: all namespaces (or a cluster-scoped resource) */
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The proxy subresource: the path after `.../proxy`, still percent-encoded ("" or "/..."). */
  proxyPath?: string;
}

export interface OtherRoute {
  type: 'healthz' | 'version' | 'discovery' | 'metrics' | 'openapi';
  /** metrics: "nodes" or "pods" */
  plural?: string;
  namespace?: string;
  name?: string;
  /** discovery, openapi: the path asked for */
  path?: string;
}

export type Route = ResourceRoute | OtherRoute;

export const METRICS_GROUP = 'metrics.k8s.io';

export function parseRoute(pathname: string): Route | undefined {
  let segs: string[];
  try {
    segs = pathname
      .split('/')
      .filter((s) => s.length > 0)
      .map((s) => decodeURIComponent(s));
  } catch {
    // Malformed percent-encoding ("%E0%A4%A") names nothing; a throw here would be a 500, or
    // an uncaught exception in the server's upgrade handler.
    return undefined;
  }
  if (segs.length === 1 && ['healthz', 'readyz', 'livez'].includes(segs[0]!)) return { type: 'healthz' };
  if (segs.length === 1 && segs[0] === 'version') return { type: 'version' };
  if (segs[0] === 'openapi') return { type: 'openapi', path: segs.join('/') };
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length <= 2) return { type: 'discovery', path: pathname };
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length <= 3) return { type: 'discovery', path: pathname };
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return undefined;

  let namespace: string | undefined;
  // /api/v1/namespaces[/NAME[/status]] is the Namespace kind itself; deeper paths are inside one.
  const namespaceItself = group === '' && rest[0] === 'namespaces' && (rest.length <= 2 || (rest.length === 3 && rest[2] === 'status'));
  if (rest[0] === 'namespaces' && !namespaceItself) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  // Only the proxy subresource goes deeper: what follows it is the path asked of the pod.
  const proxyPath = subresource === 'proxy' ? rawTail(pathname, segs.length - extra.length) : undefined;
  if (!plural || (extra.length > 0 && proxyPath === undefined)) return undefined;
  if (group === METRICS_GROUP) return { type: 'metrics', plural, namespace, name };
  const resource = RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
  if (!resource) return undefined;
  if (!resource.namespaced && namespace !== undefined) return undefined;
  return { type: 'resource', resource, namespace, name, subresource, ...(proxyPath !== undefined ? { proxyPath } : {}) };
}

/** What follows the first `count` non-empty segments of a path, as sent: "", "/", "/a/b%20c/". */
function rawTail(pathname: string, count: number): string {
  let at = 0;
  for (let seen = 0; seen < count; ) {
    while (pathname[at] === '/') at++;
    const next = pathname.indexOf('/', at);
    at = next === -1 ? pathname.length : next;
    seen++;
  }
  return pathname.slice(at);
}
