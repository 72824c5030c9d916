// The route publisher: turns Services, Endpoints, Pods and Nodes into the routing table every
// agent's proxy needs, and keeps the agents current: a full snapshot when one connects, then a
// delta for each change.
//
// It watches pods itself, ahead of everything that talks to agents, so that a pod marked for
// deletion leaves every proxy's endpoints in the same instant, before its node is told to stop
// it: over each connection the routing delta goes out before the pod's deletion.

import { isPodReady, isPodTerminal, keyOf, type Endpoints, type EndpointRoute, type Logger, type Node, type NodeRoute, type Pod, type PodRoute, type Routes, type Service, type ServiceRoute } from '@kip/shared';
import type { Store, StoreEvent, Unsubscribe } from '../store/store.js';

export interface RouteSink {
  /** Sends a message to every connected agent. */
  broadcast(routes: Routes): void;
}

export class RoutePublisher {
  private readonly services = new Map<string, ServiceRoute>();
  private readonly pods = new Map<string, PodRoute>();
  private readonly nodes = new Map<string, NodeRoute>();
  /** pod IP -> keys of the services that route to it, to refresh them when the pod changes */
  private readonly servicesByIp = new Map<string, Set<string>>();
  private unsubscribe: Unsubscribe[] = [];

  constructor(
    private readonly store: Store,
    private readonly sink: RouteSink,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const n of this.store.list<Node>('Node').items) this.nodeChanged(n, false);
    for (const p of this.store.list<Pod>('Pod').items) this.podChanged(p, undefined, false);
    for (const s of this.store.list<Service>('Service').items) this.serviceChanged(keyOf(s), false);
    this.unsubscribe = [
      this.store.watch({ kind: 'Pod' }, (ev) => this.podChanged(ev.type === 'DELETED' ? undefined : (ev.object as Pod), (ev.oldObject ?? (ev.type === 'DELETED' ? ev.object : undefined)) as Pod | undefined, true)),
      this.store.watch({ kind: 'Service' }, (ev) => this.serviceChanged(keyOf(ev.object), true)),
      this.store.watch({ kind: 'Endpoints' }, (ev) => this.serviceChanged(keyOf(ev.object), true)),
      this.store.watch({ kind: 'Node' }, (ev: StoreEvent) => (ev.type === 'DELETED' ? this.nodeRemoved(ev.object.metadata.name) : this.nodeChanged(ev.object as Node, true))),
    ];
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  /** The whole table, for an agent that just connected. */
  snapshot(): Routes {
    return { type: 'routes', full: true, services: [...this.services.values()], pods: [...this.pods.values()], nodes: [...this.nodes.values()] };
  }

  private send(delta: Omit<Routes, 'type' | 'full'>): void {
    this.sink.broadcast({ type: 'routes', full: false, ...delta });
  }

  // ---- pods ----------------------------------------------------------------------------------

  private podRoute(pod: Pod): PodRoute | undefined {
    const ip = pod.status?.podIP;
    if (!ip || !pod.spec.nodeName || isPodTerminal(pod)) return undefined;
    const terminating = !!pod.metadata.deletionTimestamp;
    return {
      ip,
      node: pod.spec.nodeName,
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name,
      ports: pod.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort }))),
      ready: isPodReady(pod) && !terminating,
      terminating,
    };
  }

  private podChanged(pod: Pod | undefined, old: Pod | undefined, publish: boolean): void {
    const next = pod ? this.podRoute(pod) : undefined;
    const oldIp = old?.status?.podIP;
    // An address given up (pod gone, finished, or its IP changed) leaves the table, unless another pod has it now.
    if (oldIp && oldIp !== next?.ip) {
      const cur = this.pods.get(oldIp);
      if (cur && cur.namespace === old!.metadata.namespace && cur.name === old!.metadata.name) {
        this.pods.delete(oldIp);
        if (publish) this.send({ removePods: [oldIp] });
        this.refreshServicesOf(oldIp, publish);
      }
    }
    if (!next) return;
    const prev = this.pods.get(next.ip);
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return;
    this.pods.set(next.ip, next);
    if (publish) this.send({ pods: [next] });
    if (prev?.ready !== next.ready || prev?.terminating !== next.terminating) this.refreshServicesOf(next.ip, publish);
  }

  private refreshServicesOf(ip: string, publish: boolean): void {
    for (const key of [...(this.servicesByIp.get(ip) ?? [])]) this.serviceChanged(key, publish);
  }

  // ---- services ------------------------------------------------------------------------------

  private serviceRoute(key: string): ServiceRoute | undefined {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.store.get<Service>('Service', namespace, name);
    if (!svc || !svc.spec.clusterIP || svc.spec.clusterIP === 'None') return undefined;
    const ep = this.store.get<Endpoints>('Endpoints', namespace, name);
    const ports = svc.spec.ports.map((sp) => ({ name: sp.name ?? '', port: sp.port, protocol: 'TCP' as const, endpoints: [] as EndpointRoute[] }));
    for (const subset of ep?.subsets ?? []) {
      for (const p of subset.ports ?? []) {
        const port = ports.find((x) => x.name === (p.name ?? ''));
        if (!port) continue;
        for (const [list, ready] of [[subset.addresses ?? [], true], [subset.notReadyAddresses ?? [], false]] as const) {
          for (const a of list) {
            // A pod being deleted takes no new connections, whatever the Endpoints object says yet.
            const pod = this.pods.get(a.ip);
            const live = ready && !!pod && !pod.terminating;
            port.endpoints.push({ ip: a.ip, port: p.port, node: a.nodeName ?? pod?.node ?? '', pod: a.targetRef?.name ?? pod?.name ?? '', ready: live });
          }
        }
      }
    }
    return { namespace, name, clusterIP: svc.spec.clusterIP, sessionAffinity: svc.spec.sessionAffinity ?? 'None', ports };
  }

  private serviceChanged(key: string, publish: boolean): void {
    const prev = this.services.get(key);
    const next = this.serviceRoute(key);
    for (const ip of ipsOf(prev)) this.servicesByIp.get(ip)?.delete(key);
    for (const ip of ipsOf(next)) {
      let set = this.servicesByIp.get(ip);
      if (!set) this.servicesByIp.set(ip, (set = new Set()));
      set.add(key);
    }
    if (!next) {
      if (!prev) return;
      this.services.delete(key);
      if (publish) this.send({ removeServices: [key] });
      this.log.debug('service route removed', { service: key });
      return;
    }
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return;
    this.services.set(key, next);
    if (publish) this.send({ services: [next] });
  }

  // ---- nodes ---------------------------------------------------------------------------------

  private nodeChanged(node: Node, publish: boolean): void {
    const next: NodeRoute = { name: node.metadata.name, ...(node.status?.nodeInfo?.tunnelEndpoint ? { tunnel: node.status.nodeInfo.tunnelEndpoint } : {}), ...(node.spec.podCIDR ? { podCIDR: node.spec.podCIDR } : {}) };
    const prev = this.nodes.get(next.name);
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return;
    this.nodes.set(next.name, next);
    if (publish) this.send({ nodes: [next] });
  }

  private nodeRemoved(name: string): void {
    if (!this.nodes.delete(name)) return;
    this.send({ removeNodes: [name] });
  }
}

function ipsOf(r: ServiceRoute | undefined): string[] {
  return r ? r.ports.flatMap((p) => p.endpoints.map((e) => e.ip)) : [];
}
