// Port forwarding, as kubectl port-forward reaches a pod through the API server and the kubelet:
// the client upgrades `.../pods/NAME/portforward` (or kip's own `.../services/NAME/portforward`)
// and the control plane carries each forwarded connection's bytes through a tunnel to the pod's
// node agent, which dials the pod. Three protocols share the subresource, chosen by the upgrade:
// - `Upgrade: SPDY/3.1`, or a WebSocket offering `SPDY/3.1+portforward.k8s.io` (kubectl 1.31+
//   tunnels SPDY through a WebSocket first): portforward.k8s.io streams (port-forward-spdy.ts);
// - a WebSocket offering `v4.channel.k8s.io` or `channel.k8s.io` (client libraries such as
//   @kubernetes/client-node): channel-framed messages, two channels per port (port-forward-channels.ts);
// - a WebSocket with no subprotocol: kip's own CLI, one WebSocket per connection (port-forward-kip.ts).

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { dialTunnel, TunnelError } from '@kip/shared';
import type { Endpoints, Logger, Node, Pod, Service } from '@kip/shared';
import type { Store } from '../store/store.js';
import { ApiError, notFound, rejectUpgrade } from './errors.js';
import { CHANNEL_PROTOCOLS, ChannelPortForward, parseChannelPorts } from './port-forward-channels.js';
import { KipPortForward } from './port-forward-kip.js';
import { SPDY_TUNNEL_PROTOCOL, SpdyPortForward } from './port-forward-spdy.js';
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

/** Opens one forwarded connection to a port (a number, or a named port) of the request's target. */
export type PortDialer = (port: string) => Promise<Socket>;

export type PortForwardProtocol = 'spdy' | 'spdy-websocket' | 'channels' | 'kip';

/** Which protocol an upgrade asks for, from its Upgrade header and offered WebSocket subprotocols. */
export function choosePortForwardProtocol(upgrade: string | undefined, offered: string[]): PortForwardProtocol | undefined {
  if (upgrade?.toLowerCase() === 'spdy/3.1') return 'spdy';
  if (offered.includes(SPDY_TUNNEL_PROTOCOL)) return 'spdy-websocket';
  if (offered.some((p) => (CHANNEL_PROTOCOLS as readonly string[]).includes(p))) return 'channels';
  if (offered.length === 0) return 'kip';
  return undefined;
}

export class PortForwarder {
  /** Round-robin position per service, so forwarded connections spread over its endpoints. */
  private readonly next = new Map<string, number>();
  private readonly kip: KipPortForward;
  private readonly spdy: SpdyPortForward;
  private readonly channels: ChannelPortForward;

  constructor(private readonly opts: PortForwardOptions) {
    this.kip = new KipPortForward(opts.log);
    this.spdy = new SpdyPortForward(opts.log);
    this.channels = new ChannelPortForward(opts.log);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: ResourceRoute): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const protocol = choosePortForwardProtocol(req.headers.upgrade, offered);
    const dial: PortDialer = (port) => this.dialFirst(this.targets(route, port));
    try {
      switch (protocol) {
        case 'spdy':
        case 'spdy-websocket':
          // The ports come with each stream; the target must exist and run now, as the kubelet checks.
          if (route.resource.kind === 'Pod') this.runningPod(route);
          return this.spdy.handleUpgrade(req, socket, head, protocol === 'spdy' ? 'upgrade' : 'websocket', dial);
        case 'channels': {
          const ports = parseChannelPorts(url.searchParams);
          for (const port of ports) this.targets(route, String(port));
          return this.channels.handleUpgrade(req, socket, head, ports, dial);
        }
        case 'kip': {
          const ports = (url.searchParams.get('ports') ?? '').split(',').filter(Boolean);
          if (ports.length !== 1) throw new ApiError('BadRequest', 'portforward needs exactly one port: ?ports=PORT');
          const targets = this.targets(route, ports[0]!);
          return this.kip.handleUpgrade(req, socket, head, () => this.dialFirst(targets));
        }
        case undefined:
          throw new ApiError(
            'BadRequest',
            `unsupported port-forward protocol: offered [${offered.join(', ')}]; use ${SPDY_TUNNEL_PROTOCOL}, ${CHANNEL_PROTOCOLS.join(', ')} or Upgrade: SPDY/3.1`,
          );
      }
    } catch (err) {
      return rejectUpgrade(socket, err instanceof ApiError ? err : new ApiError('InternalError', String(err)));
    }
  }

  /** Where a connection to the port goes: the pod, or the service's ready endpoints. Throws ApiError. */
  private targets(route: ResourceRoute, port: string): Target[] {
    return route.resource.kind === 'Service' ? this.serviceTargets(route, port) : [this.podTarget(route, port)];
  }

  /** Dials the candidates in order until one answers, as a service proxy retries a refused endpoint. */
  private async dialFirst(candidates: Target[]): Promise<Socket> {
    let last = '';
    for (const target of candidates) {
      const node = this.opts.store.get<Node>('Node', undefined, target.node);
      const endpoint = node?.status?.nodeInfo?.tunnelEndpoint;
      if (!endpoint) {
        last = `node ${target.node} of pod ${target.pod} has no tunnel endpoint; is its agent connected?`;
        continue;
      }
      try {
        return await dialTunnel(endpoint, this.opts.joinToken, { podIP: target.podIP, port: target.port }, { from: 'controlplane' });
      } catch (err) {
        last = `error forwarding port ${target.port} to pod ${target.pod}: ${err instanceof TunnelError ? err.message : String(err)}`;
      }
    }
    throw new ApiError('ServiceUnavailable', last);
  }

  /** The pod, which must be running on a node with an IP to be forwarded to. Throws ApiError. */
  private runningPod(route: ResourceRoute): Pod {
    const pod = this.opts.store.get<Pod>('Pod', route.namespace, route.name!);
    if (!pod) throw notFound('pods', route.name!);
    if (pod.status?.phase !== 'Running' || !pod.status.podIP || !pod.spec.nodeName)
      throw new ApiError('BadRequest', `unable to forward port because pod is not running. Current status=${pod.status?.phase ?? 'Pending'}`);
    return pod;
  }

  private podTarget(route: ResourceRoute, portText: string): Target {
    const pod = this.runningPod(route);
    const named = pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === portText);
    const port = named ? named.containerPort : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ApiError('BadRequest', `invalid port "${portText}": not a port number or a named container port of pod ${pod.metadata.name}`);
    return { podIP: pod.status!.podIP!, port, node: pod.spec.nodeName!, pod: pod.metadata.name };
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
