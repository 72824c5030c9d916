// The agent's copy of the cluster's routing table: services with their endpoints, and each node's
// pod range and tunnel, so that a pod IP is routed to the node whose range holds it, as a CNI
// routes it. The control plane sends a full snapshot after every (re)connect and deltas after;
// this table applies them and answers the lookups the proxy makes on every new connection.

import {
  cidrContains,
  byteOrder,
  ipToNumber,
  parseCidr,
  POD_NETWORK_CIDR,
  SERVICE_CIDR,
  type Cidr,
  type EndpointRoute,
  type NodeRoute,
  type Routes,
  type ServiceRoute,
} from '@kip/shared';

/** The cluster IP of a headless service. */
export const HEADLESS = 'None';

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** What one apply() changed, so that the proxy opens and closes service listeners accordingly. */
export interface RoutingChange {
  /** keys ("ns/name") of services added or replaced */
  servicesChanged: string[];
  /** keys of services that are gone */
  servicesRemoved: string[];
}

export class RoutingTable {
  private readonly services = new Map<string, ServiceRoute>();
  private readonly byClusterIP = new Map<string, ServiceRoute>();
  /** Headless services: names only, resolved to their pods' own addresses; no listeners, no variables. */
  private readonly headless = new Map<string, ServiceRoute>();
  /** ExternalName services: names that stand for other names; no listeners, no variables. */
  private readonly external = new Map<string, ServiceRoute>();
  /** load balancer address -> its service */
  private readonly byLoadBalancerIP = new Map<string, ServiceRoute>();
  private readonly nodes = new Map<string, NodeRoute>();
  /** each node's pod range as numbers, for routing a pod IP */
  private readonly ranges = new Map<string, Cidr>();
  /** pod IP -> name of the local pod at that IP this agent has seen marked for deletion, ahead of the control plane's delta */
  private readonly deleting = new Map<string, string>();
  private synced = false;
  /** The cluster's address plan, as the last snapshot said (the defaults until one does). */
  podNetwork: Cidr = parseCidr(POD_NETWORK_CIDR)!;
  serviceNetwork: Cidr = parseCidr(SERVICE_CIDR)!;

  /** Applies a snapshot (everything not in it is gone) or a delta. */
  apply(r: Routes): RoutingChange {
    const changed = new Set<string>();
    const removed = new Set<string>();
    if (r.full) {
      if (r.podNetworkCidr) this.podNetwork = parseCidr(r.podNetworkCidr) ?? this.podNetwork;
      if (r.serviceCidr) this.serviceNetwork = parseCidr(r.serviceCidr) ?? this.serviceNetwork;
      const keep = new Set((r.services ?? []).map((s) => serviceKey(s.namespace, s.name)));
      for (const key of this.services.keys()) if (!keep.has(key)) this.removeService(key, removed);
      for (const key of this.headless.keys()) if (!keep.has(key)) this.headless.delete(key);
      for (const key of this.external.keys()) if (!keep.has(key)) this.external.delete(key);
      this.nodes.clear();
      this.ranges.clear();
      this.deleting.clear();
    }
    for (const key of r.removeServices ?? []) {
      this.removeService(key, removed);
      this.headless.delete(key);
      this.external.delete(key);
    }
    for (const s of r.services ?? []) {
      const key = serviceKey(s.namespace, s.name);
      if (s.clusterIP === HEADLESS || s.externalName !== undefined) {
        this.removeService(key, removed);
        if (s.externalName !== undefined) {
          this.headless.delete(key);
          this.external.set(key, s);
        } else {
          this.external.delete(key);
          this.headless.set(key, s);
        }
        continue;
      }
      this.headless.delete(key);
      this.external.delete(key);
      const prev = this.services.get(key);
      if (prev) this.unindex(prev);
      this.services.set(key, s);
      if (s.clusterIP) this.byClusterIP.set(s.clusterIP, s);
      for (const ip of s.loadBalancer?.ips ?? []) this.byLoadBalancerIP.set(ip, s);
      removed.delete(key);
      changed.add(key);
    }
    for (const name of r.removeNodes ?? []) {
      this.nodes.delete(name);
      this.ranges.delete(name);
    }
    for (const n of r.nodes ?? []) {
      this.nodes.set(n.name, n);
      const range = n.podCIDR ? parseCidr(n.podCIDR) : undefined;
      if (range) this.ranges.set(n.name, range);
      else this.ranges.delete(n.name);
    }
    if (r.full) this.synced = true;
    return { servicesChanged: [...changed], servicesRemoved: [...removed] };
  }

  private removeService(key: string, removed: Set<string>): void {
    const prev = this.services.get(key);
    if (!prev) return;
    this.services.delete(key);
    this.unindex(prev);
    removed.add(key);
  }

  /** Forgets a service's addresses, unless another service has taken them since. */
  private unindex(prev: ServiceRoute): void {
    if (this.byClusterIP.get(prev.clusterIP) === prev) this.byClusterIP.delete(prev.clusterIP);
    for (const ip of prev.loadBalancer?.ips ?? []) if (this.byLoadBalancerIP.get(ip) === prev) this.byLoadBalancerIP.delete(ip);
  }

  /**
   * A local pod is being deleted: it stops taking new connections now, even if the control
   * plane's delta saying so has not arrived yet.
   */
  markDeleting(ip: string, podName: string): void {
    if (ip) this.deleting.set(ip, podName);
  }

  /** A local pod has stopped and given up its address: its mark goes with it. */
  podGone(ip: string): void {
    this.deleting.delete(ip);
  }

  /** True once a full snapshot has been applied. */
  get hasSynced(): boolean {
    return this.synced;
  }

  service(namespace: string, name: string): ServiceRoute | undefined {
    return this.services.get(serviceKey(namespace, name));
  }

  /** A headless service by namespace and name. */
  headlessService(namespace: string, name: string): ServiceRoute | undefined {
    return this.headless.get(serviceKey(namespace, name));
  }

  /** An ExternalName service by namespace and name. */
  externalService(namespace: string, name: string): ServiceRoute | undefined {
    return this.external.get(serviceKey(namespace, name));
  }

  /** The service a load balancer address belongs to: pods reach it as a client outside would. */
  serviceByLoadBalancerIP(ip: string): ServiceRoute | undefined {
    return this.byLoadBalancerIP.get(ip);
  }

  serviceByKey(key: string): ServiceRoute | undefined {
    return this.services.get(key);
  }

  serviceByClusterIP(ip: string): ServiceRoute | undefined {
    return this.byClusterIP.get(ip);
  }

  /** Services of one namespace, by name, for pod environment variables. */
  servicesIn(namespace: string): ServiceRoute[] {
    return [...this.services.values()].filter((s) => s.namespace === namespace).sort((a, b) => byteOrder(a.name, b.name));
  }

  allServices(): ServiceRoute[] {
    return [...this.services.values()];
  }

  node(name: string): NodeRoute | undefined {
    return this.nodes.get(name);
  }

  /** The node whose pod range holds this address: where a pod with that IP would run. */
  nodeForPodIP(ip: string): string | undefined {
    const addr = ipToNumber(ip);
    if (addr === undefined) return undefined;
    for (const [name, r] of this.ranges) if (cidrContains(r, addr)) return name;
    return undefined;
  }

  /**
   * Whether an endpoint may take a new connection: the control plane says it is ready (its pod
   * is ready and not being deleted), and as far as this agent knows its pod is not being deleted.
   */
  usable(e: EndpointRoute): boolean {
    return e.ready && this.deleting.get(e.ip) !== e.pod;
  }
}
