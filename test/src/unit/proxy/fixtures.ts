// Hand-made routing tables for the proxy's tests.

import type { EndpointRoute, NodeRoute, Routes, ServiceRoute } from '@kip/shared';

export function endpoint(pod: string, ip: string, node: string, opts: { port?: number; ready?: boolean } = {}): EndpointRoute {
  return { ip, port: opts.port ?? 8080, node, pod, ready: opts.ready ?? true };
}

export function serviceRoute(
  name: string,
  endpoints: EndpointRoute[],
  opts: { namespace?: string; clusterIP?: string; port?: number; portName?: string; affinity?: 'None' | 'ClientIP'; extraPorts?: ServiceRoute['ports'] } = {},
): ServiceRoute {
  return {
    namespace: opts.namespace ?? 'default',
    name,
    clusterIP: opts.clusterIP ?? '10.96.0.10',
    sessionAffinity: opts.affinity ?? 'None',
    ports: [{ name: opts.portName ?? '', port: opts.port ?? 80, protocol: 'TCP', endpoints }, ...(opts.extraPorts ?? [])],
  };
}

export function snapshot(services: ServiceRoute[], nodes: NodeRoute[] = []): Routes {
  return { type: 'routes', full: true, services, nodes };
}

export function delta(d: Omit<Routes, 'type' | 'full'>): Routes {
  return { type: 'routes', full: false, ...d };
}
