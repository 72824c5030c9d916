// What a host name or address means inside the cluster, as cluster DNS and the service VIPs would
// make it mean: a service (by name, in any of the forms Kubernetes' DNS answers, or by cluster IP)
// or a pod (by pod IP, or its a-b-c-d.ns.pod name), routed to the node whose pod range holds the
// address; that node's agent knows whether such a pod and port exist. A headless service's name
// means one of its ready pods, and `HOSTNAME.SERVICE[.NAMESPACE[.svc[.cluster.local]]]` the pod
// of that hostname in it (a StatefulSet's `web-0.nginx`), at the port asked for, as DNS gives
// the pod's own address there. An ExternalName service's name means its external name, as the
// CNAME cluster DNS answers: looked up again (it may name another service), else dialled as it is
// from this host. Pure: a function of the routing table, so the HTTP proxy can
// answer anything else with a clear refusal at once.

import { cidrContains, ipToNumber, ipToString, isIPv4, type Cidr, type EndpointRoute, type ServiceRoute } from '@kip/shared';
import type { RoutingTable } from './routing-table.js';

export const CLUSTER_DOMAIN = 'cluster.local';
const NAME_FORMS = 'SERVICE, SERVICE.NAMESPACE, SERVICE.NAMESPACE.svc or SERVICE.NAMESPACE.svc.cluster.local';
const POD_NAME_FORMS = 'HOSTNAME.SERVICE, HOSTNAME.SERVICE.NAMESPACE, HOSTNAME.SERVICE.NAMESPACE.svc or HOSTNAME.SERVICE.NAMESPACE.svc.cluster.local';

function cidrText(c: Cidr): string {
  return `${ipToString(c.base)}/${c.prefix}`;
}

export type ServicePortRoute = ServiceRoute['ports'][number];

export type Resolution =
  | { kind: 'service'; service: ServiceRoute; port: ServicePortRoute }
  /** an ExternalName service's external name, outside the cluster: dialled from the host as it is */
  | { kind: 'external'; service: ServiceRoute; host: string; port: number }
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

/** A headless service's ready pods, once each whatever the ports (DNS names addresses, not ports). */
function readyPods(table: RoutingTable, svc: ServiceRoute): EndpointRoute[] {
  const seen = new Map<string, EndpointRoute>();
  for (const p of svc.ports) for (const e of p.endpoints) if (table.usable(e) && !seen.has(e.ip)) seen.set(e.ip, e);
  return [...seen.values()];
}

/** One of a headless service's ready pods, as a client takes one of the addresses DNS answers. */
function headlessPod(table: RoutingTable, svc: ServiceRoute, port: number, shown: string, choose: (n: number) => number): Resolution {
  const pods = readyPods(table, svc);
  if (pods.length === 0) return { kind: 'unknown', message: `headless service ${svc.namespace}/${svc.name} (${shown}) has no ready pods` };
  return podAddress(table, pods[choose(pods.length)]!.ip, port);
}

/** The pod of a hostname in a headless service: what `web-0.nginx` names. */
function podByHostname(table: RoutingTable, svc: ServiceRoute, hostname: string, port: number, shown: string): Resolution {
  const pods = readyPods(table, svc);
  const e = pods.find((x) => x.hostname === hostname);
  if (!e) {
    const names = pods.map((x) => x.hostname).filter(Boolean);
    return {
      kind: 'unknown',
      message: `no ready pod with hostname "${hostname}" in headless service ${svc.namespace}/${svc.name} (${shown}); ready hostnames: ${names.join(', ') || 'none'}`,
    };
  }
  return podAddress(table, e.ip, port);
}

const randomIndex = (n: number) => Math.floor(Math.random() * n);

/** How many ExternalName services may name one another in a row, as a resolver bounds a CNAME chain. */
const MAX_NAME_CHAIN = 8;

/** What an ExternalName service's name means: its external name, looked up in turn. */
function externalName(table: RoutingTable, svc: ServiceRoute, port: number, namespace: string, choose: (n: number) => number, depth: number): Resolution {
  const target = svc.externalName ?? '';
  if (depth >= MAX_NAME_CHAIN)
    return { kind: 'unknown', message: `service ${svc.namespace}/${svc.name}: more than ${MAX_NAME_CHAIN} ExternalName services name one another` };
  const r = resolveHost(table, target, port, namespace, choose, depth + 1);
  return r.kind === 'outside' ? { kind: 'external', service: svc, host: target, port } : r;
}

/**
 * Resolves `host` (from a CONNECT target or an absolute URI) and `port` for a client in
 * `clientNamespace`, which is where a bare service name is looked up, as in a pod's DNS search path.
 */
export function resolveHost(
  table: RoutingTable,
  rawHost: string,
  port: number,
  clientNamespace = 'default',
  choose: (n: number) => number = randomIndex,
  depth = 0,
): Resolution {
  const host = rawHost
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (!host) return { kind: 'unknown', message: 'no host given' };
  if (isIPv4(host)) {
    const svc = table.serviceByClusterIP(host) ?? table.serviceByLoadBalancerIP(host);
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
  // HOSTNAME.SERVICE.NAMESPACE[.svc[.cluster.local]]: a pod of a headless service.
  const podInService =
    (labels.length === 3 && labels[2] !== 'svc') ||
    (labels.length === 4 && labels[3] === 'svc') ||
    (labels.length === 6 && labels[3] === 'svc' && labels.slice(4).join('.') === CLUSTER_DOMAIN);
  if (podInService) {
    const [hostname, service, namespace] = labels as [string, string, string];
    const svc = table.headlessService(namespace, service);
    if (svc) return podByHostname(table, svc, hostname, port, host);
    // a.b.c is a cluster name only when it names a headless service; else it is an outside host.
    if (labels.length > 3)
      return { kind: 'unknown', message: `no headless service "${service}" in namespace "${namespace}" (looked up ${host} as ${POD_NAME_FORMS})` };
  }
  // HOSTNAME.SERVICE in the client's namespace comes first, as the DNS search path tries it first.
  if (labels.length === 2) {
    const svc = table.headlessService(clientNamespace, labels[1]!);
    if (svc && readyPods(table, svc).some((e) => e.hostname === labels[0])) return podByHostname(table, svc, labels[0]!, port, host);
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
  const headless = table.headlessService(namespace, name);
  if (headless) return headlessPod(table, headless, port, host, choose);
  const external = table.externalService(namespace, name);
  if (external) return externalName(table, external, port, namespace, choose, depth);
  const svc = table.service(namespace, name);
  if (!svc) {
    const hint = labels.length === 2 ? `; the pod network does not reach outside hosts` : '';
    return { kind: 'unknown', message: `no service "${name}" in namespace "${namespace}" (looked up ${host} as ${NAME_FORMS})${hint}` };
  }
  return servicePort(svc, port, host);
}
