// The route publisher: turns Services, Endpoints, Pods and Nodes into the routing table every
// agent's proxy needs (services with their endpoints, each node's pod range and tunnel), and keeps
// the agents current: a full snapshot when one connects, then deltas.
//
// What it sends is what kube-proxy and a CNI give a node, and no more: pods are not in the table
// (a pod IP is routed by the range of the node that holds it), so the start or end of a pod costs
// no message to every agent. Changes are coalesced by key and sent at most once per batch
// window, so a thousand endpoints turning ready make a few deltas, not a thousand.
//
// One kind of change does not wait: an endpoint that stops being usable (its pod is being deleted,
// is gone, or turned unready). The publisher watches pods itself, ahead of everything that talks
// to agents, and sends such a delta at once, so that over each connection the routing delta goes
// out before the pod's deletion and the pod leaves every proxy before its node stops it.

import {
  DEFAULT_ADDRESS_PLAN,
  type AddressPlan,
  isNodeReady,
  isPodReady,
  isPodTerminal,
  loadBalancerIngress,
  keyOf,
  realClock,
  type Clock,
  type Endpoints,
  type EndpointRoute,
  type Logger,
  type Node,
  type NodeRoute,
  type Pod,
  type Routes,
  type Service,
  type ServiceRoute,
} from '@kip/shared';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Store, StoreEvent, Unsubscribe } from '../store/store.js';

export interface RouteSink {
  /** Sends a message to every connected agent. */
  broadcast(routes: Routes): void;
}

/** How long changes are gathered before a delta goes out (kube-proxy's minSyncPeriod, scaled down). */
export const DEFAULT_ROUTE_BATCH_MS = 100;

/** What the publisher keeps of a pod that endpoints may point at. */
interface PodState {
  namespace: string;
  name: string;
  node: string;
  ready: boolean;
  terminating: boolean;
}

export interface RoutePublisherOptions {
  clock?: Clock;
  batchMs?: number;
  /** The cluster's address plan, sent with every snapshot (the defaults when absent). */
  addressPlan?: AddressPlan;
}

export class RoutePublisher {
  private readonly plan: AddressPlan;
  private readonly services = new Map<string, ServiceRoute>();
  private readonly pods = new Map<string, PodState>();
  private readonly nodes = new Map<string, NodeRoute>();
  /** Ready nodes: where a load balancer's address may be held */
  private readonly readyNodes = new Set<string>();
  /** pod IP -> keys of the services that route to it, to refresh them when the pod changes */
  private readonly servicesByIp = new Map<string, Set<string>>();
  /** keys changed since the last delta: services ("ns/name") and nodes (names) */
  private readonly dirtyServices = new Set<string>();
  private readonly dirtyNodes = new Set<string>();
  private flushTimer: ReturnType<Clock['setTimeout']> | undefined;
  private unsubscribe: Unsubscribe[] = [];
  private readonly clock: Clock;
  private readonly batchMs: number;

  constructor(
    private readonly store: Store,
    private readonly sink: RouteSink,
    private readonly log: Logger,
    opts: RoutePublisherOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.batchMs = opts.batchMs ?? DEFAULT_ROUTE_BATCH_MS;
    this.plan = opts.addressPlan ?? DEFAULT_ADDRESS_PLAN;
  }

  start(): void {
    for (const n of this.store.list<Node>('Node').items) this.nodeChanged(n);
    for (const p of this.store.list<Pod>('Pod').items) this.podChanged(p, undefined);
    for (const s of this.store.list<Service>('Service').items) this.serviceChanged(keyOf(s));
    this.dirtyServices.clear();
    this.dirtyNodes.clear();
    this.unsubscribe = [
      this.store.watch({ kind: 'Pod' }, (ev) =>
        this.podChanged(
          ev.type === 'DELETED' ? undefined : (ev.object as Pod),
          (ev.oldObject ?? (ev.type === 'DELETED' ? ev.object : undefined)) as Pod | undefined,
        ),
      ),
      this.store.watch({ kind: 'Service' }, (ev) => this.serviceChanged(keyOf(ev.object))),
      this.store.watch({ kind: 'Endpoints' }, (ev) => this.serviceChanged(keyOf(ev.object))),
      this.store.watch({ kind: 'Node' }, (ev: StoreEvent) =>
        ev.type === 'DELETED' ? this.nodeRemoved(ev.object.metadata.name) : this.nodeChanged(ev.object as Node),
      ),
    ];
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** The whole table, for an agent that just connected. */
  snapshot(): Routes {
    return {
      type: 'routes',
      full: true,
      podNetworkCidr: this.plan.podNetworkCidr,
      serviceCidr: this.plan.serviceCidr,
      services: [...this.services.values()],
      nodes: [...this.nodes.values()],
    };
  }

  /** Sends what changed since the last delta, now. */
  flush(): void {
    this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.dirtyServices.size === 0 && this.dirtyNodes.size === 0) return;
    const delta: Routes = { type: 'routes', full: false };
    for (const key of this.dirtyServices) {
      const s = this.services.get(key);
      if (s) (delta.services ??= []).push(s);
      else (delta.removeServices ??= []).push(key);
    }
    for (const name of this.dirtyNodes) {
      const n = this.nodes.get(name);
      if (n) (delta.nodes ??= []).push(n);
      else (delta.removeNodes ??= []).push(name);
    }
    this.dirtyServices.clear();
    this.dirtyNodes.clear();
    this.sink.broadcast(delta);
  }

  private changed(urgent: boolean): void {
    if (urgent) this.flush();
    else this.flushTimer ??= this.clock.setTimeout(() => this.flush(), this.batchMs);
  }

  // ---- pods ----------------------------------------------------------------------------------

  private podState(pod: Pod): PodState | undefined {
    if (!pod.status?.podIP || !pod.spec.nodeName || isPodTerminal(pod)) return undefined;
    const terminating = !!pod.metadata.deletionTimestamp;
    return { namespace: pod.metadata.namespace!, name: pod.metadata.name, node: pod.spec.nodeName, ready: isPodReady(pod) && !terminating, terminating };
  }

  private podChanged(pod: Pod | undefined, old: Pod | undefined): void {
    const next = pod ? this.podState(pod) : undefined;
    const ip = pod?.status?.podIP;
    const oldIp = old?.status?.podIP;
    // An address given up (pod gone, finished, or its IP changed) is forgotten, unless another pod has it now.
    if (oldIp && (oldIp !== ip || !next)) {
      const cur = this.pods.get(oldIp);
      if (cur && cur.namespace === old!.metadata.namespace && cur.name === old!.metadata.name) {
        this.pods.delete(oldIp);
        this.refreshServicesOf(oldIp);
      }
    }
    if (!next || !ip) return;
    const prev = this.pods.get(ip);
    this.pods.set(ip, next);
    if (prev?.ready !== next.ready || prev?.terminating !== next.terminating || prev?.name !== next.name) this.refreshServicesOf(ip);
  }

  private refreshServicesOf(ip: string): void {
    for (const key of [...(this.servicesByIp.get(ip) ?? [])]) this.serviceChanged(key);
  }

  // ---- services ------------------------------------------------------------------------------

  private serviceRoute(key: string): ServiceRoute | undefined {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.store.get<Service>('Service', namespace, name);
    if (!svc) return undefined;
    // An ExternalName service is a name for another name: no address, no endpoints.
    if (svc.spec.type === 'ExternalName' && svc.spec.externalName)
      return { namespace, name, clusterIP: '', sessionAffinity: 'None', ports: [], externalName: svc.spec.externalName.replace(/\.$/, '') };
    // A headless service (clusterIP None) is routed too: its name resolves to its pods' own addresses.
    if (!svc.spec.clusterIP) return undefined;
    const ep = this.store.get<Endpoints>('Endpoints', namespace, name);
    const ports = (svc.spec.ports ?? []).map((sp) => ({
      name: sp.name ?? '',
      port: sp.port,
      protocol: 'TCP' as const,
      ...(sp.nodePort ? { nodePort: sp.nodePort } : {}),
      endpoints: [] as EndpointRoute[],
    }));
    for (const subset of ep?.subsets ?? []) {
      for (const p of subset.ports ?? []) {
        const port = ports.find((x) => x.name === (p.name ?? ''));
        if (!port) continue;
        for (const [list, ready] of [
          [subset.addresses ?? [], true],
          [subset.notReadyAddresses ?? [], false],
        ] as const) {
          for (const a of list) {
            // A pod being deleted or gone takes no new connections, whatever the Endpoints object says yet.
            const pod = this.pods.get(a.ip);
            const live = ready && !!pod && !pod.terminating;
            port.endpoints.push({
              ip: a.ip,
              port: p.port,
              node: a.nodeName ?? pod?.node ?? '',
              pod: a.targetRef?.name ?? pod?.name ?? '',
              ready: live,
              ...(a.hostname ? { hostname: a.hostname } : {}),
            });
          }
        }
      }
    }
    const route: ServiceRoute = { namespace, name, clusterIP: svc.spec.clusterIP, sessionAffinity: svc.spec.sessionAffinity ?? 'None', ports };
    if (svc.spec.externalTrafficPolicy === 'Local') route.externalTrafficPolicy = 'Local';
    const ips = loadBalancerIngress(svc);
    const node = ips.length > 0 ? this.loadBalancerNode(key, route) : undefined;
    if (node) route.loadBalancer = { ips, node };
    return route;
  }

  /**
   * The node whose agent listens on a load balancer's addresses. An address can be bound by one
   * process only, so one node holds it, as one speaker announces an address in MetalLB's layer 2
   * mode: chosen among the Ready nodes by rendezvous hashing on the service's key, so that
   * different services spread over the nodes and a node's loss moves only its own addresses.
   * With externalTrafficPolicy Local, only nodes with a ready endpoint qualify (as a cloud load
   * balancer's health check keeps traffic off the others), while any has one.
   */
  private loadBalancerNode(key: string, route: ServiceRoute): string | undefined {
    let candidates = [...this.readyNodes];
    if (route.externalTrafficPolicy === 'Local') {
      const local = new Set(route.ports.flatMap((p) => p.endpoints.filter((e) => e.ready).map((e) => e.node)));
      const withEndpoints = candidates.filter((n) => local.has(n));
      if (withEndpoints.length > 0) candidates = withEndpoints;
    }
    let best: string | undefined;
    let bestScore = -1;
    for (const n of candidates.sort()) {
      const score = createHash('sha256').update(`${key}\0${n}`).digest().readUInt32BE(0);
      if (score > bestScore) [best, bestScore] = [n, score];
    }
    return best;
  }

  private serviceChanged(key: string): void {
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
      this.log.debug('service route removed', { service: key });
      this.dirtyServices.add(key);
      this.changed(true);
      return;
    }
    if (prev && isDeepStrictEqual(prev, next)) return;
    this.services.set(key, next);
    this.dirtyServices.add(key);
    this.changed(lostUsableEndpoint(prev, next));
  }

  /** A node turned Ready or stopped being Ready: the load balancers' addresses may move. */
  private refreshLoadBalancers(): void {
    for (const [key, r] of [...this.services])
      if (r.loadBalancer || this.store.get<Service>('Service', ...splitPair(key))?.spec.type === 'LoadBalancer') this.serviceChanged(key);
  }

  // ---- nodes ---------------------------------------------------------------------------------

  private nodeChanged(node: Node): void {
    const ready = isNodeReady(node) && !node.metadata.deletionTimestamp;
    if (ready !== this.readyNodes.has(node.metadata.name)) {
      if (ready) this.readyNodes.add(node.metadata.name);
      else this.readyNodes.delete(node.metadata.name);
      this.refreshLoadBalancers();
    }
    const next: NodeRoute = {
      name: node.metadata.name,
      ...(node.status?.nodeInfo?.tunnelEndpoint ? { tunnel: node.status.nodeInfo.tunnelEndpoint } : {}),
      ...(node.spec.podCIDR ? { podCIDR: node.spec.podCIDR } : {}),
    };
    const prev = this.nodes.get(next.name);
    if (prev && isDeepStrictEqual(prev, next)) return;
    this.nodes.set(next.name, next);
    this.dirtyNodes.add(next.name);
    this.changed(false);
  }

  private nodeRemoved(name: string): void {
    if (this.readyNodes.delete(name)) this.refreshLoadBalancers();
    if (!this.nodes.delete(name)) return;
    this.dirtyNodes.add(name);
    this.changed(false);
  }
}

function splitPair(key: string): [string, string] {
  return key.split('/') as [string, string];
}

function ipsOf(r: ServiceRoute | undefined): string[] {
  return r ? r.ports.flatMap((p) => p.endpoints.map((e) => e.ip)) : [];
}

/** True when an endpoint that took connections in `prev` no longer does in `next`. */
export function lostUsableEndpoint(prev: ServiceRoute | undefined, next: ServiceRoute): boolean {
  if (!prev) return false;
  const usable = new Set<string>();
  for (const p of next.ports) for (const e of p.endpoints) if (e.ready) usable.add(`${p.name}/${p.port}/${e.ip}/${e.port}`);
  for (const p of prev.ports) for (const e of p.endpoints) if (e.ready && !usable.has(`${p.name}/${p.port}/${e.ip}/${e.port}`)) return true;
  return false;
}
