// One listener on 127.0.0.1:<ephemeral> per service port: kube-proxy's userspace model, in which
// the service's address is a local port of the node's proxy. A listener opens when its service
// port appears and stays on the same port for as long as the service has that port (endpoints
// come and go underneath), because pods were given that port in their environment.

import net from 'node:net';
import { byteOrder, type Logger, type ServiceRoute } from '@kip/shared';
import type { ServicePortRoute } from './resolve.js';
import { serviceKey, type RoutingChange, type RoutingTable } from './routing-table.js';
import { SOCKET_HIGH_WATER_MARK } from './link.js';

/** Handles one accepted connection to a service port. */
export type ServiceConnectionHandler = (client: net.Socket, service: ServiceRoute, port: ServicePortRoute) => void;

interface Listener {
  /** "ns/name" */
  service: string;
  /** the service port's name ('' for the single unnamed port): stable across renumbering */
  portName: string;
  server: net.Server;
  port: number;
  bound: Promise<void>;
  closed: boolean;
}

export interface ListenerInfo {
  service: string;
  portName: string;
  servicePort: number;
  /** the local port pods connect to */
  listenPort: number;
}

function listenerKey(service: string, portName: string): string {
  return `${service}#${portName}`;
}

export class ServiceListeners {
  private readonly listeners = new Map<string, Listener>();

  constructor(
    private readonly host: string,
    private readonly table: RoutingTable,
    private readonly onConnection: ServiceConnectionHandler,
    private readonly log: Logger,
  ) {}

  /** Opens listeners for new service ports and closes those of ports and services that are gone. */
  sync(change: RoutingChange): void {
    for (const key of change.servicesRemoved) for (const l of this.listeners.values()) if (l.service === key) this.close(l);
    for (const key of change.servicesChanged) {
      const svc = this.table.serviceByKey(key);
      if (!svc) continue;
      const names = new Set(svc.ports.map((p) => p.name));
      for (const l of this.listeners.values()) if (l.service === key && !names.has(l.portName)) this.close(l);
      for (const p of svc.ports) if (!this.listeners.has(listenerKey(key, p.name))) this.open(key, p.name);
    }
  }

  /** Resolves once every listener opened so far is bound (or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => l.bound));
  }

  /** The local port for a service port, once bound. */
  listenPort(namespace: string, name: string, servicePort: number): number | undefined {
    const svc = this.table.service(namespace, name);
    const p = svc?.ports.find((x) => x.port === servicePort);
    if (!p) return undefined;
    const l = this.listeners.get(listenerKey(serviceKey(namespace, name), p.name));
    return l && l.port > 0 ? l.port : undefined;
  }

  /** Bound listener ports of a service, by service port number. */
  portsOf(svc: ServiceRoute): Map<number, number> {
    const out = new Map<number, number>();
    const key = serviceKey(svc.namespace, svc.name);
    for (const p of svc.ports) {
      const l = this.listeners.get(listenerKey(key, p.name));
      if (l && l.port > 0) out.set(p.port, l.port);
    }
    return out;
  }

  list(): ListenerInfo[] {
    const out: ListenerInfo[] = [];
    for (const l of this.listeners.values()) {
      const p = this.table.serviceByKey(l.service)?.ports.find((x) => x.name === l.portName);
      if (p && l.port > 0) out.push({ service: l.service, portName: l.portName, servicePort: p.port, listenPort: l.port });
    }
    return out.sort((a, b) => byteOrder(a.service, b.service) || a.servicePort - b.servicePort);
  }

  async closeAll(): Promise<void> {
    const all = [...this.listeners.values()];
    for (const l of all) this.close(l);
    await Promise.all(all.map((l) => new Promise<void>((r) => (l.server.listening ? l.server.once('close', () => r()) : r()))));
  }

  private open(service: string, portName: string): void {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true, highWaterMark: SOCKET_HIGH_WATER_MARK });
    const l: Listener = { service, portName, server, port: 0, bound: Promise.resolve(), closed: false };
    server.on('connection', (client) => {
      const svc = this.table.serviceByKey(service);
      const p = svc?.ports.find((x) => x.name === portName);
      if (!svc || !p || l.closed) {
        client.destroy();
        return;
      }
      this.onConnection(client, svc, p);
    });
    l.bound = new Promise<void>((resolve) => {
      server.once('error', (err) => {
        this.log.error('cannot open service listener', { service, port: portName || undefined, error: err.message });
        this.listeners.delete(listenerKey(service, portName));
        resolve();
      });
      server.listen({ port: 0, host: this.host }, () => {
        l.port = (server.address() as net.AddressInfo).port;
        if (l.closed) server.close();
        else this.log.debug('service listener open', { service, port: portName || undefined, listen: `${this.host}:${l.port}` });
        resolve();
      });
    });
    this.listeners.set(listenerKey(service, portName), l);
  }

  private close(l: Listener): void {
    if (l.closed) return;
    l.closed = true;
    this.listeners.delete(listenerKey(l.service, l.portName));
    // Connections already made stay up, as with kube-proxy; only new ones stop.
    if (l.server.listening) l.server.close();
    this.log.debug('service listener closed', { service: l.service, port: l.portName || undefined });
  }
}
