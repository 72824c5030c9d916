// The agent's copy of the cluster's routing table: services with their endpoints, where each pod IP
// lives, and how to reach each node's agent. The control plane sends a full snapshot after every
// (re)connect and deltas after; this table applies them and answers the lookups the proxy makes on
// every new connection, so those are map reads, never scans.

import type { EndpointRoute, NodeRoute, PodRoute, Routes, ServiceRoute } from '@kip/shared';

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
  private readonly pods = new Map<string, PodRoute>();
  private readonly nodes = new Map<string, NodeRoute>();
  /** pod IP -> name of the local pod at that IP this agent has seen marked for deletion, ahead of the control plane's delta */
  private readonly deleting = new Map<string, string>();
  private synced = false;

  /** Applies a snapshot (everything not in it is gone) or a delta. */
  apply(r: Routes): RoutingChange {
    const changed = new Set<string>();
    const removed = new Set<string>();
    if (r.full) {
      const keep = new Set((r.services ?? []).map((s) => serviceKey(s.namespace, s.name)));
      for (const key of this.services.keys()) if (!keep.has(key)) this.removeService(key, removed);
      this.pods.clear();
      this.nodes.clear();
      this.deleting.clear();
    }
    for (const key of r.removeServices ?? []) this.removeService(key, removed);
    for (const s of r.services ?? []) {
      const key = serviceKey(s.namespace, s.name);
      const prev = this.services.get(key);
      if (prev && this.byClusterIP.get(prev.clusterIP) === prev) this.byClusterIP.delete(prev.clusterIP);
      this.services.set(key, s);
      if (s.clusterIP) this.byClusterIP.set(s.clusterIP, s);
      removed.delete(key);
      changed.add(key);
    }
    for (const ip of r.removePods ?? []) {
      this.pods.delete(ip);
      this.deleting.delete(ip);
    }
    for (const p of r.pods ?? []) {
      this.pods.set(p.ip, p);
      if (p.terminating) this.deleting.delete(p.ip);
    }
    for (const name of r.removeNodes ?? []) this.nodes.delete(name);
    for (const n of r.nodes ?? []) this.nodes.set(n.name, n);
    if (r.full) this.synced = true;
    return { servicesChanged: [...changed], servicesRemoved: [...removed] };
  }

  private removeService(key: string, removed: Set<string>): void {
    const prev = this.services.get(key);
    if (!prev) return;
    this.services.delete(key);
    if (this.byClusterIP.get(prev.clusterIP) === prev) this.byClusterIP.delete(prev.clusterIP);
    removed.add(key);
  }

  /**
   * A local pod is being deleted: it stops taking new connections now, even if the control
   * plane's delta saying so has not arrived yet.
   */
  markDeleting(ip: string, podName: string): void {
    if (ip) this.deleting.set(ip, podName);
  }

  /** True once a full snapshot has been applied. */
  get hasSynced(): boolean {
    return this.synced;
  }

  service(namespace: string, name: string): ServiceRoute | undefined {
    return this.services.get(serviceKey(namespace, name));
  }

  serviceByKey(key: string): ServiceRoute | undefined {
    return this.services.get(key);
  }

  serviceByClusterIP(ip: string): ServiceRoute | undefined {
    return this.byClusterIP.get(ip);
  }

  /** Services of one namespace, by name, for pod environment variables. */
  servicesIn(namespace: string): ServiceRoute[] {
    return [...this.services.values()].filter((s) => s.namespace === namespace).sort((a, b) => a.name.localeCompare(b.name));
  }

  allServices(): ServiceRoute[] {
    return [...this.services.values()];
  }

  pod(ip: string): PodRoute | undefined {
    return this.pods.get(ip);
  }

  podByName(namespace: string, name: string): PodRoute | undefined {
    for (const p of this.pods.values()) if (p.namespace === namespace && p.name === name) return p;
    return undefined;
  }

  node(name: string): NodeRoute | undefined {
    return this.nodes.get(name);
  }

  /**
   * Whether an endpoint may take a new connection: the control plane says it is ready, and as far
   * as this agent knows its pod is not being deleted and not unready.
   */
  usable(e: EndpointRoute): boolean {
    if (!e.ready || this.deleting.get(e.ip) === e.pod) return false;
    const p = this.pods.get(e.ip);
    // A pod route for another pod (the address was reused) says nothing about this endpoint.
    return !p || (e.pod !== '' && p.name !== e.pod) || (p.ready && !p.terminating);
  }
}
