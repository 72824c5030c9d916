// Connecting a client to a service port: the balancer of that port picks among the endpoints that
// may take new connections (ready, not being deleted), and a dial that fails is retried on the next
// candidate, each endpoint at most once, as kube-proxy's userspace proxier does. Service listeners
// and the HTTP proxy both connect through here, so a client sees one balancer per service port
// whichever way it comes in.

import type { EndpointRoute, ServiceRoute } from '@kip/shared';
import { TunnelError } from '@kip/shared';
import { Balancer, endpointKey } from './balancer.js';
import type { Dialer, Dialled } from './dialer.js';
import type { ServicePortRoute } from './resolve.js';
import { serviceKey, type RoutingTable } from './routing-table.js';

/** No endpoint could take the connection: none is ready, or every one refused. */
export class NoEndpointsError extends Error {
  readonly code = 'NoEndpoints';
  constructor(
    message: string,
    /** how many endpoints were tried (0: none was ready) */
    readonly tried: number,
  ) {
    super(message);
    this.name = 'NoEndpointsError';
  }
}

export interface ServiceConnection extends Dialled {
  endpoint: EndpointRoute;
}

export class ServiceRouter {
  private readonly balancers = new Map<string, Balancer>();

  constructor(
    private readonly table: RoutingTable,
    private readonly dialer: Dialer,
    private readonly now: () => number = Date.now,
  ) {}

  /** The balancer of one service port, created on first use, following the service's affinity. */
  balancer(service: ServiceRoute, port: ServicePortRoute): Balancer {
    const key = `${serviceKey(service.namespace, service.name)}:${port.name}`;
    let b = this.balancers.get(key);
    if (!b) this.balancers.set(key, (b = new Balancer(service.sessionAffinity)));
    else b.setAffinity(service.sessionAffinity);
    return b;
  }

  /** The service is gone: its balancers (round-robin position, affinity) go with it. */
  forget(key: string): void {
    for (const k of this.balancers.keys()) if (k.startsWith(`${key}:`)) this.balancers.delete(k);
  }

  /** Endpoints of a service port that may take a new connection now (only those on `onlyNode`, when given). */
  candidates(port: ServicePortRoute, onlyNode?: string): EndpointRoute[] {
    return port.endpoints.filter((e) => this.table.usable(e) && (onlyNode === undefined || e.node === onlyNode));
  }

  /**
   * A connection to one endpoint of the service port, for `client` (an identity for affinity, or
   * undefined). `onlyNode` keeps it to that node's endpoints (externalTrafficPolicy Local, as
   * kube-proxy drops such traffic on a node without one). Rejects with NoEndpointsError when no
   * endpoint took it.
   */
  async connect(service: ServiceRoute, port: ServicePortRoute, client: string | undefined, onlyNode?: string): Promise<ServiceConnection> {
    const name = `${service.namespace}/${service.name}:${port.name || port.port}`;
    const balancer = this.balancer(service, port);
    const candidates = this.candidates(port, onlyNode);
    if (candidates.length === 0) {
      const total = port.endpoints.length;
      if (onlyNode !== undefined && this.candidates(port).length > 0)
        throw new NoEndpointsError(`service ${name} has no ready endpoint on node ${onlyNode} (externalTrafficPolicy: Local)`, 0);
      throw new NoEndpointsError(`service ${name} has no ready endpoints${total ? ` (${total} not ready)` : ''}`, 0);
    }
    const tried = new Set<string>();
    const failures: string[] = [];
    for (;;) {
      const e = balancer.pick(candidates, client, this.now(), tried);
      if (!e) break;
      const key = endpointKey(e);
      tried.add(key);
      try {
        const dialled = await this.dialer.dial({ node: e.node, ip: e.ip, port: e.port });
        return { ...dialled, endpoint: e };
      } catch (err) {
        balancer.failed(client, key);
        failures.push(`${e.pod || key}: ${err instanceof TunnelError ? err.message : (err as Error).message}`);
      }
    }
    throw new NoEndpointsError(`every endpoint of service ${name} failed: ${failures.join('; ')}`, tried.size);
  }
}
