// What a host name or address means inside the cluster, as cluster DNS and the service VIPs would
// make it mean: a service (by name, in any of the forms Kubernetes' DNS answers, or by cluster IP)
// or a pod (by pod IP, or its a-b-c-d.ns.pod name), routed to the node whose pod range holds the
// address; that node's agent knows whether such a pod and port exist. Pure: a function of the
// routing table, so the HTTP proxy can answer anything else with a clear refusal at once.

import { cidrContains, ipToNumber, ipToString, isIPv4, type Cidr, type ServiceRoute } from '@kip/shared';
import type { RoutingTable } from './routing-table.js';

export const CLUSTER_DOMAIN = 'cluster.local';
const NAME_FORMS = 'SERVICE, SERVICE.NAMESPACE, SERVICE.NAMESPACE.svc or SERVICE.NAMESPACE.svc.cluster.local';

function cidrText(c: Cidr): string {
  return `${ipToString(c.base)}/${c.prefix}`;
}

export type ServicePortRoute = ServiceRoute['ports'][number];

export type Resolution =
  | { kind: 'service'; service: ServiceRoute; port: ServicePortRoute }
  /** a pod address, and the node whose pod range holds it */
  | { kind: 'pod'; ip: string; node: string; port: number }
  /** 502: a cluster name or address that names nothing (no such service, pod or port) */
  | { kind: 'unknown'; message: string }
  /** 403: not a cluster address at all; the pod network does not reach outside hosts */
  | { kind: 'outside'; message: string };

function portList(s: ServiceRoute): string {
  return s.ports.map((p) => (p.name ? `${p.port}/${p.name}` : String(p.port))).join(', ');
}

function servicePort(service: ServiceRoute, port: number, shown: string): Resolution {
  const p = service.ports.find((x) => x.port === port);
  if (!p)
    return {
      kind: 'unknown',
      message: `service ${service.namespace}/${service.name} (${shown}) has no port ${port}; its ports: ${portList(service) || 'none'}`,
    };
  return { kind: 'service', service, port: p };
}

function podAddress(table: RoutingTable, ip: string, port: number): Resolution {
  const node = table.nodeForPodIP(ip);
  if (!node) return { kind: 'unknown', message: `no pod has IP ${ip}: no node's pod range holds it` };
  return { kind: 'pod', ip, node, port };
}

/**
 * Resolves `host` (from a CONNECT target or an absolute URI) and `port` for a client in
 * `clientNamespace`, which is where a bare service name is looked up, as in a pod's DNS search path.
 */
export function resolveHost(table: RoutingTable, rawHost: string, port: number, clientNamespace = 'default'): Resolution {
  const host = rawHost
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (!host) return { kind: 'unknown', message: 'no host given' };
  if (isIPv4(host)) {
    const svc = table.serviceByClusterIP(host);
    if (svc) return servicePort(svc, port, host);
    const addr = ipToNumber(host)!;
    if (table.nodeForPodIP(host) || cidrContains(table.podNetwork, addr)) return podAddress(table, host, port);
    if (cidrContains(table.serviceNetwork, addr)) return { kind: 'unknown', message: `no service has cluster IP ${host}` };
    return {
      kind: 'outside',
      message: `${host} is not a pod or service address; the pod network reaches pod IPs (${cidrText(table.podNetwork)}) and cluster IPs (${cidrText(table.serviceNetwork)}) only`,
    };
  }
  if (host.includes(':') || host === 'localhost') {
    return { kind: 'outside', message: `${host} is not a cluster address; reach the pod's own ports directly (NO_PROXY covers localhost)` };
  }
  const labels = host.split('.');
  // a-b-c-d.NAMESPACE.pod[.cluster.local]: as Kubernetes' DNS answers for pods, the name is the address.
  const podForm = (labels.length === 3 || (labels.length === 5 && labels.slice(3).join('.') === CLUSTER_DOMAIN)) && labels[2] === 'pod';
  if (podForm) {
    const ip = labels[0]!.replace(/-/g, '.');
    if (!isIPv4(ip)) return { kind: 'unknown', message: `${host} is not a pod name: ${labels[0]} is not an address written with dashes` };
    return podAddress(table, ip, port);
  }
  let name: string;
  let namespace: string;
  if (labels.length === 1) [name, namespace] = [labels[0]!, clientNamespace];
  else if (
    labels.length === 2 ||
    (labels.length === 3 && labels[2] === 'svc') ||
    (labels.length === 5 && labels[2] === 'svc' && labels.slice(3).join('.') === CLUSTER_DOMAIN)
  ) {
    [name, namespace] = [labels[0]!, labels[1]!];
  } else {
    return { kind: 'outside', message: `${host} is not a cluster name (${NAME_FORMS}); the pod network does not reach outside hosts` };
  }
  const svc = table.service(namespace, name);
  if (!svc) {
    const hint = labels.length === 2 ? `; the pod network does not reach outside hosts` : '';
    return { kind: 'unknown', message: `no service "${name}" in namespace "${namespace}" (looked up ${host} as ${NAME_FORMS})${hint}` };
  }
  return servicePort(svc, port, host);
}
