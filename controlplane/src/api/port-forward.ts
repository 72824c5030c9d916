// Port forwarding, as kubectl port-forward reaches a pod through the API server and the kubelet:
// the client upgrades `.../pods/NAME/portforward?ports=P` (or `.../services/NAME/portforward`) to a
// WebSocket, and the control plane carries its bytes through a tunnel to the pod's node agent, which
// dials the pod. One WebSocket per forwarded connection; binary frames are the raw bytes.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { dialTunnel, TunnelError } from '@kip/shared';
import type { Endpoints, Logger, Node, Pod, Service } from '@kip/shared';
import type { Store } from '../store/store.js';
import { ApiError, notFound, rejectUpgrade } from './errors.js';
import type { ResourceRoute } from './routes.js';

export interface PortForwardOptions {
  store: Store;
  joinToken: string;
  log: Logger;
}

interface Target {
  podIP: string;
  port: number;
  node: string;
  pod: string;
}

export class PortForwarder {
  private readonly wss = new WebSocketServer({ noServer: true });
  /** Round-robin position per service, so forwarded connections spread over its endpoints. */
  private readonly next = new Map<string, number>();

  constructor(private readonly opts: PortForwardOptions) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: ResourceRoute): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let candidates: Target[];
    try {
      const ports = (url.searchParams.get('ports') ?? '').split(',').filter(Boolean);
      if (ports.length !== 1) throw new ApiError('BadRequest', 'portforward needs exactly one port: ?ports=PORT');
      candidates = route.resource.kind === 'Service' ? this.serviceTargets(route, ports[0]!) : [this.podTarget(route, ports[0]!)];
    } catch (err) {
      return rejectUpgrade(socket, err instanceof ApiError ? err : new ApiError('InternalError', String(err)));
    }
    this.dialFirst(candidates).then(
      ({ upstream, target }) => {
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          const stream = createWebSocketStream(ws);
          const done = (err?: Error) => {
            if (err) this.opts.log.debug('port-forward connection ended', { pod: target.pod, error: err.message });
            stream.destroy();
            upstream.destroy();
          };
          stream.on('error', done);
          upstream.on('error', done);
          upstream.on('close', () => stream.end());
          stream.on('close', () => upstream.end());
          stream.pipe(upstream);
          upstream.pipe(stream);
          upstream.resume();
        });
      },
      (err: unknown) => rejectUpgrade(socket, err instanceof ApiError ? err : new ApiError('ServiceUnavailable', String(err))),
    );
  }

  /** Dials the candidates in order until one answers, as a service proxy retries a refused endpoint. */
  private async dialFirst(candidates: Target[]): Promise<{ upstream: Socket; target: Target }> {
    let last = '';
    for (const target of candidates) {
      const node = this.opts.store.get<Node>('Node', undefined, target.node);
      const endpoint = node?.status?.nodeInfo?.tunnelEndpoint;
      if (!endpoint) {
        last = `node ${target.node} of pod ${target.pod} has no tunnel endpoint; is its agent connected?`;
        continue;
      }
      try {
        return { upstream: await dialTunnel(endpoint, this.opts.joinToken, { podIP: target.podIP, port: target.port }, { from: 'controlplane' }), target };
      } catch (err) {
        last = `error forwarding port ${target.port} to pod ${target.pod}: ${err instanceof TunnelError ? err.message : String(err)}`;
      }
    }
    throw new ApiError('ServiceUnavailable', last);
  }

  private podTarget(route: ResourceRoute, portText: string): Target {
    const pod = this.opts.store.get<Pod>('Pod', route.namespace, route.name!);
    if (!pod) throw notFound('pods', route.name!);
    if (pod.status?.phase !== 'Running' || !pod.status.podIP || !pod.spec.nodeName)
      throw new ApiError('BadRequest', `unable to forward port because pod is not running. Current status=${pod.status?.phase ?? 'Pending'}`);
    const named = pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === portText);
    const port = named ? named.containerPort : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ApiError('BadRequest', `invalid port "${portText}": not a port number or a named container port of pod ${pod.metadata.name}`);
    return { podIP: pod.status.podIP, port, node: pod.spec.nodeName, pod: pod.metadata.name };
  }

  /** The service's ready endpoints for that port, starting from its round-robin position. */
  private serviceTargets(route: ResourceRoute, portText: string): Target[] {
    const svc = this.opts.store.get<Service>('Service', route.namespace, route.name!);
    if (!svc) throw notFound('services', route.name!);
    const sp = svc.spec.ports.find((p) => String(p.port) === portText || p.name === portText);
    if (!sp) throw new ApiError('BadRequest', `service ${svc.metadata.name} does not have a service port ${portText}`);
    const ep = this.opts.store.get<Endpoints>('Endpoints', route.namespace, route.name!);
    const ready = (ep?.subsets ?? []).flatMap((s) => {
      const port = s.ports?.find((p) => (p.name ?? '') === (sp.name ?? ''));
      return port ? (s.addresses ?? []).map((a) => ({ a, port: port.port })) : [];
    });
    if (ready.length === 0) throw new ApiError('ServiceUnavailable', `service ${svc.metadata.name} has no ready endpoints`);
    const key = `${route.namespace}/${route.name}`;
    const start = (this.next.get(key) ?? 0) % ready.length;
    this.next.set(key, start + 1);
    return [...ready.slice(start), ...ready.slice(0, start)].map(({ a, port }) => ({
      podIP: a.ip,
      port,
      node: a.nodeName ?? '',
      pod: a.targetRef?.name ?? a.ip,
    }));
  }
}
