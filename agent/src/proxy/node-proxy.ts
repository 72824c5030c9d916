// The node's proxy, kip's kube-proxy: the routing table from the control plane, a listener per
// service port, the HTTP proxy pods get as HTTP_PROXY, the tunnel listener other agents dial, and
// one link per peer node through which every byte it carries goes. The agent creates one, starts
// it before it connects (its tunnel address goes in the hello), feeds it the routing table, and
// asks it for each pod's network environment.

import type net from 'node:net';
import { isLoopbackHost, type Logger, type Pod, type Routes } from '@kip/shared';
import { Dialer, type LocalPortLookup } from './dialer.js';
import { HttpProxy } from './http-proxy.js';
import { Links, type Link, type LinkStats } from './link.js';
import { loopbackPeerPod } from './peer-identity.js';
import type { ServicePortRoute } from './resolve.js';
import { RoutingTable } from './routing-table.js';
import { ExternalListeners } from './external-listeners.js';
import { ServiceListeners, type ListenerInfo } from './service-listeners.js';
import { proxyEnv, serviceEnv } from './service-env.js';
import { ServiceRouter } from './service-router.js';
import { TunnelServer } from './tunnel-server.js';
import type { ServiceRoute } from '@kip/shared';

export interface NodeProxyOptions {
  nodeName: string;
  /** the cluster join token: tunnels prove it */
  token: string;
  log: Logger;
  /** the host port backing a local pod's container port (the kubelet knows) */
  localPort: LocalPortLookup;
  /** where every listener binds (default 127.0.0.1) */
  host?: string;
  /** where the tunnel listener binds instead, for agents on other hosts (kubelet's --node-ip) */
  tunnelHost?: string;
  /** the node's own address (--node-ip), where it listens on NodePorts; none are opened without one */
  nodeIP?: string;
  /** the tunnel listener takes only TLS keyed by the token (on by default off loopback) */
  tunnelTls?: boolean;
  /** for each dial, local or through a tunnel (default 5 s) */
  dialTimeoutMs?: number;
}

export interface NodeProxyStatus {
  node: string;
  tunnel: string;
  httpProxy: string;
  synced: boolean;
  listeners: ListenerInfo[];
  /** NodePort and load balancer listeners */
  external: ReturnType<ExternalListeners['list']>;
  links: LinkStats[];
}

export class NodeProxy {
  readonly table = new RoutingTable();
  private readonly linkSet: Links;
  private readonly dialer: Dialer;
  private readonly router: ServiceRouter;
  private readonly listeners: ServiceListeners;
  private readonly external: ExternalListeners;
  private readonly tunnel: TunnelServer;
  private readonly http: HttpProxy;
  private readonly host: string;
  private readonly log: Logger;
  private readonly clients = new Set<net.Socket>();
  private started = false;

  constructor(private readonly opts: NodeProxyOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.log = opts.log.child('proxy');
    this.linkSet = new Links(opts.nodeName);
    const common = { nodeName: opts.nodeName, token: opts.token, host: this.host, links: this.linkSet, table: this.table, localPort: opts.localPort };
    this.dialer = new Dialer({ ...common, timeoutMs: opts.dialTimeoutMs });
    this.router = new ServiceRouter(this.table, this.dialer);
    this.listeners = new ServiceListeners(this.host, this.table, (c, s, p) => void this.serveServiceConnection(c, s, p), this.log);
    this.external = new ExternalListeners(
      opts.nodeName,
      opts.nodeIP,
      this.table,
      (c, s, p, localOnly) => void this.serveServiceConnection(c, s, p, localOnly ? opts.nodeName : undefined),
      this.log,
    );
    this.tunnel = new TunnelServer({
      ...common,
      listenHost: opts.tunnelHost,
      requireTls: opts.tunnelTls ?? (opts.tunnelHost !== undefined && !isLoopbackHost(opts.tunnelHost)),
      log: this.log,
      dialTimeoutMs: opts.dialTimeoutMs,
    });
    this.http = new HttpProxy({
      nodeName: opts.nodeName,
      host: this.host,
      table: this.table,
      router: this.router,
      dialer: this.dialer,
      log: this.log,
      status: () => this.status(),
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.tunnel.listen(), this.http.listen()]);
    this.started = true;
    this.log.info('network proxy listening', { node: this.opts.nodeName, tunnel: this.tunnelEndpoint(), http: this.httpProxyEndpoint() });
  }

  /** Closes every listener and every connection it carries. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const c of this.clients) c.destroy();
    this.linkSet.closeAll();
    await Promise.all([this.tunnel.close(), this.http.close(), this.listeners.closeAll(), this.external.closeAll()]);
  }

  /** "127.0.0.1:PORT" (or "tls://ADDR:PORT"): where other agents open tunnels to this node's pods. */
  tunnelEndpoint(): string {
    return this.tunnel.endpoint();
  }

  /** "127.0.0.1:PORT": the HTTP proxy pods are given. */
  httpProxyEndpoint(): string {
    return this.http.endpoint();
  }

  /** A routing snapshot or delta from the control plane. */
  applyRoutes(r: Routes): void {
    const change = this.table.apply(r);
    for (const key of change.servicesRemoved) this.router.forget(key);
    this.listeners.sync(change);
    if (this.started) this.external.sync();
  }

  /** Resolves once the listeners of every service known so far are bound, so pod env can name them. */
  settled(): Promise<void> {
    return this.listeners.settled();
  }

  /** True once a full routing snapshot has arrived. */
  get synced(): boolean {
    return this.table.hasSynced;
  }

  /** A local pod is being deleted: it takes no new connections from here on. */
  podDeleting(pod: Pod): void {
    const ip = pod.status?.podIP;
    if (ip) this.table.markDeleting(ip, pod.metadata.name);
  }

  /** A local pod has stopped and given up its address. */
  podGone(ip: string): void {
    this.table.podGone(ip);
  }

  /** The network part of a pod's environment: its HTTP proxy and its namespace's services. */
  podEnv(pod: Pod): Record<string, string> {
    const namespace = pod.metadata.namespace ?? 'default';
    const env = proxyEnv(this.httpProxyEndpoint(), namespace, pod.metadata.name);
    // enableServiceLinks: false turns the service variables off, as in Kubernetes.
    if ((pod.spec as { enableServiceLinks?: boolean }).enableServiceLinks === false) return env;
    const services = this.table.servicesIn(namespace).map((service) => ({ service, listeners: this.listeners.portsOf(service) }));
    return { ...env, ...serviceEnv(services, this.host) };
  }

  /** The local listener port of a service port, once bound. */
  serviceListenPort(namespace: string, name: string, servicePort: number): number | undefined {
    return this.listeners.listenPort(namespace, name, servicePort);
  }

  /** Counters per link: one per peer node this agent has talked to, and one for its own node. */
  links(): LinkStats[] {
    return this.linkSet.stats();
  }

  /** The link to a peer node (created on first use): where faults are set. */
  link(peer: string): Link {
    return this.linkSet.get(peer);
  }

  status(): NodeProxyStatus {
    return {
      node: this.opts.nodeName,
      tunnel: this.tunnelEndpoint(),
      httpProxy: this.httpProxyEndpoint(),
      synced: this.synced,
      listeners: this.listeners.list(),
      external: this.external.list(),
      links: this.links(),
    };
  }

  /** `onlyNode`: the connection came from outside at this node and its service's externalTrafficPolicy is Local. */
  private async serveServiceConnection(client: net.Socket, service: ServiceRoute, port: ServicePortRoute, onlyNode?: string): Promise<void> {
    this.clients.add(client);
    client.on('error', () => undefined);
    try {
      // Every client comes from 127.0.0.1; only affinity needs to know which pod it is.
      const who = service.sessionAffinity === 'ClientIP' ? ((await loopbackPeerPod(client)) ?? client.remoteAddress) : undefined;
      let conn: Awaited<ReturnType<typeof this.router.connect>>;
      try {
        conn = await this.router.connect(service, port, who, onlyNode);
      } catch (err) {
        // No endpoint took it: the client sees its connection reset, as with kube-proxy's userspace mode.
        this.log.debug('service connection failed', { service: `${service.namespace}/${service.name}`, error: (err as Error).message });
        client.resetAndDestroy();
        return;
      }
      if (client.destroyed) {
        conn.socket.destroy();
        return;
      }
      conn.link.splice(client, conn.socket, { peer: conn.link.peer, inbound: false, target: `${conn.endpoint.ip}:${conn.endpoint.port}` });
    } finally {
      this.clients.delete(client);
    }
  }
}
