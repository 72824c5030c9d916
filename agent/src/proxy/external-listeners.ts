// The ways into a service from outside the pod network: a listener on the node's own address at
// every NodePort (NodePort and LoadBalancer services, on every node, as kube-proxy opens them), and
// one on each load balancer address this node holds (the route publisher picks one node per
// service, as one speaker answers for an address in MetalLB's layer 2 mode; k3s's servicelb runs a
// pod per node instead, which needs SO_REUSEPORT, and Node 20 cannot share a port between
// processes). Connections go to the service's endpoints through the same balancer as pod traffic.
//
// The set of listeners is a pure function of the routing table (desiredListeners), reconciled on
// every routing change. An address taken by someone else (another cluster's node on the same port,
// or the previous holder of a load balancer address not closed yet) is retried with backoff.

import net from 'node:net';
import { byteOrder, type Logger, type ServiceRoute } from '@kip/shared';
import { SOCKET_HIGH_WATER_MARK } from './link.js';
import type { ServicePortRoute } from './resolve.js';
import { serviceKey, type RoutingTable } from './routing-table.js';

/** One address:port this node should listen on, and what it carries. */
export interface ExternalListenerSpec {
  host: string;
  port: number;
  /** "ns/name" */
  service: string;
  portName: string;
  /** why it exists, for logs and status */
  kind: 'NodePort' | 'LoadBalancer';
}

/** Handles one accepted connection; `localOnly` is externalTrafficPolicy Local. */
export type ExternalConnectionHandler = (client: net.Socket, service: ServiceRoute, port: ServicePortRoute, localOnly: boolean) => void;

/**
 * What this node listens on for `services`: its node IP at every node port (none without a node
 * IP: an agent started by hand without --node-ip has no address of its own to open them on), and
 * each load balancer address at the service's ports when the publisher gave the address to it.
 */
export function desiredListeners(services: readonly ServiceRoute[], nodeName: string, nodeIP: string | undefined): ExternalListenerSpec[] {
  const out: ExternalListenerSpec[] = [];
  for (const s of services) {
    const service = serviceKey(s.namespace, s.name);
    for (const p of s.ports) {
      if (nodeIP && p.nodePort) out.push({ host: nodeIP, port: p.nodePort, service, portName: p.name, kind: 'NodePort' });
      if (s.loadBalancer?.node === nodeName)
        for (const ip of s.loadBalancer.ips) out.push({ host: ip, port: p.port, service, portName: p.name, kind: 'LoadBalancer' });
    }
  }
  return out;
}

interface Listener {
  spec: ExternalListenerSpec;
  server?: net.Server;
  retry?: ReturnType<typeof setTimeout>;
  retryMs: number;
  bound: boolean;
  closed: boolean;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

const addressKey = (s: { host: string; port: number }) => `${s.host}:${s.port}`;

export class ExternalListeners {
  /** by "host:port": one address can carry one service port */
  private readonly listeners = new Map<string, Listener>();

  constructor(
    private readonly nodeName: string,
    private readonly nodeIP: string | undefined,
    private readonly table: RoutingTable,
    private readonly onConnection: ExternalConnectionHandler,
    private readonly log: Logger,
  ) {}

  /** Opens what the routing table now asks for and closes what it no longer does. */
  sync(): void {
    const want = new Map(desiredListeners(this.table.allServices(), this.nodeName, this.nodeIP).map((s) => [addressKey(s), s]));
    for (const [key, l] of this.listeners) {
      const s = want.get(key);
      if (!s || s.service !== l.spec.service || s.portName !== l.spec.portName) this.close(l);
    }
    for (const [key, s] of want) if (!this.listeners.has(key)) this.open(s);
  }

  /** Bound listeners, for the proxy's status page. */
  list(): (ExternalListenerSpec & { bound: boolean })[] {
    return [...this.listeners.values()].map((l) => ({ ...l.spec, bound: l.bound })).sort((a, b) => byteOrder(addressKey(a), addressKey(b)));
  }

  /** Resolves once every listener has bound or failed its first try. */
  async settled(): Promise<void> {
    // Listening is asynchronous; a short wait for the pending ones is enough for tests and status.
    await Promise.all(
      [...this.listeners.values()]
        .filter((l) => l.server && !l.bound)
        .map((l) => new Promise<void>((r) => l.server!.once('listening', r).once('error', () => r()))),
    );
  }

  async closeAll(): Promise<void> {
    const all = [...this.listeners.values()];
    for (const l of all) this.close(l);
    await Promise.all(all.map((l) => new Promise<void>((r) => (l.server?.listening ? l.server.once('close', () => r()) : r()))));
  }

  private open(spec: ExternalListenerSpec): void {
    const l: Listener = { spec, retryMs: RETRY_FIRST_MS, bound: false, closed: false };
    this.listeners.set(addressKey(spec), l);
    this.listen(l);
  }

  private listen(l: Listener): void {
    const { spec } = l;
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true, highWaterMark: SOCKET_HIGH_WATER_MARK });
    l.server = server;
    server.on('connection', (client) => {
      const svc = this.table.serviceByKey(spec.service);
      const p = svc?.ports.find((x) => x.name === spec.portName);
      if (!svc || !p || l.closed) {
        client.destroy();
        return;
      }
      this.onConnection(client, svc, p, svc.externalTrafficPolicy === 'Local');
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      l.bound = false;
      if (l.closed) return;
      // Someone else has the address for now: try again, less and less often.
      this.log.warn('cannot open service listener; will retry', {
        service: spec.service,
        kind: spec.kind,
        listen: addressKey(spec),
        error: err.code ?? err.message,
        retryInMs: l.retryMs,
      });
      l.retry = setTimeout(() => {
        l.retry = undefined;
        if (!l.closed) this.listen(l);
      }, l.retryMs);
      l.retry.unref?.();
      l.retryMs = Math.min(l.retryMs * 2, RETRY_MAX_MS);
    });
    server.listen({ host: spec.host, port: spec.port }, () => {
      if (l.closed) {
        server.close();
        return;
      }
      l.bound = true;
      l.retryMs = RETRY_FIRST_MS;
      this.log.info('service listener open', { service: spec.service, kind: spec.kind, listen: addressKey(spec) });
    });
  }

  private close(l: Listener): void {
    if (l.closed) return;
    l.closed = true;
    this.listeners.delete(addressKey(l.spec));
    if (l.retry) clearTimeout(l.retry);
    // Connections already made stay up, as with kube-proxy; only new ones stop.
    if (l.server?.listening) l.server.close();
    this.log.debug('service listener closed', { service: l.spec.service, kind: l.spec.kind, listen: addressKey(l.spec) });
  }
}
