// The proxy subresource of pods and services, as the API server serves it:
//   /api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]/proxy/PATH
//   /api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/PATH
// Any method; the request's body and headers go to the pod, and its answer streams back. The pod
// is reached the way port-forward reaches it: through a tunnel to the agent of the pod's node,
// which dials the pod. This is what `kubectl proxy` and `kubectl get --raw .../proxy/` use.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { dialTunnel, TunnelError } from '@kip/shared';
import type { Endpoints, Logger, Node, Pod, Service } from '@kip/shared';
import type { Store } from '../store/store.js';
import { ApiError, notFound } from './errors.js';
import type { ResourceRoute } from './routes.js';

export interface ProxyTarget {
  podIP: string;
  port: number;
  node: string;
}

export interface ProxyLocation {
  scheme: 'http' | 'https';
  target: ProxyTarget;
}

/**
 * "name", "name:port" or "scheme:name:port", as the API server's SplitSchemeNamePort reads a
 * proxy id: the scheme is http or https, the name is never empty. undefined when it is not one.
 */
export function splitSchemeNamePort(id: string): { scheme: 'http' | 'https'; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (name === '' || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme: scheme === 'https' ? 'https' : 'http', name, port };
}

/** Headers that belong to one hop, not to the request; the caller's credentials stay with the API server. */
const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'authorization',
  'host',
]);

/** The headers of one side passed on to the other, less the hop-by-hop ones and those `Connection` names. */
export function relayedHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_HEADERS.has(k) && !named.has(k)) out[k] = v;
  return out;
}

/**
 * A redirect from the pod, made to lead back through the proxy, as the API server's proxy transport
 * rewrites it: a path on the pod (or a URL naming the pod's own address) gets the proxy's prefix;
 * a URL elsewhere is left alone.
 */
export function rewriteLocation(location: string, podHost: string, prefix: string): string {
  let url: URL;
  try {
    url = new URL(location, `http://${podHost}/`);
  } catch {
    return location;
  }
  const relative = !/^[a-z][a-z0-9+.-]*:/i.test(location) && !location.startsWith('//');
  if (!relative && url.host !== podHost) return location;
  if (relative && !location.startsWith('/')) return location;
  return `${prefix}${url.pathname}${url.search}${url.hash}`;
}

export class ResourceProxy {
  constructor(private readonly opts: { store: Store; joinToken: string; log: Logger }) {}

  /** Where `id` of a pod or service in `namespace` leads, or the API server's refusal. */
  locate(kind: 'Pod' | 'Service', namespace: string, id: string): ProxyLocation {
    return kind === 'Pod' ? this.podLocation(namespace, id) : this.serviceLocation(namespace, id);
  }

  /** Serves one proxied request: dials the pod, relays the request, streams the answer back. */
  async serve(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, pathname: string, search: string): Promise<void> {
    const kind = route.resource.kind;
    if (kind !== 'Pod' && kind !== 'Service')
      throw new ApiError('NotFound', `the server could not find the requested resource (${route.resource.plural}/proxy)`);
    const { scheme, target } = this.locate(kind, route.namespace ?? 'default', route.name!);
    const socket = await this.dial(target);
    const upstream: Socket = scheme === 'https' ? tls.connect({ socket, rejectUnauthorized: false }) : socket;
    const path = route.proxyPath || '/';
    const host = `${target.podIP}:${target.port}`;
    await new Promise<void>((resolve) => {
      const out = http.request(
        { method: req.method, path: `${path}${search}`, headers: { ...relayedHeaders(req.headers), host }, createConnection: () => upstream },
        (answer) => {
          const headers = relayedHeaders(answer.headers);
          if (typeof headers.location === 'string') {
            const prefix = pathname.slice(0, pathname.length - (route.proxyPath ?? '').length);
            headers.location = rewriteLocation(headers.location, host, prefix);
          }
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', () => res.destroy());
        },
      );
      out.on('error', (err) => {
        upstream.destroy();
        if (!res.headersSent) {
          const e = new ApiError('ServiceUnavailable', `error trying to reach service: ${err.message}`);
          const body = JSON.stringify(e.toStatus());
          res.writeHead(e.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
        } else res.destroy();
        resolve();
      });
      // The client went away: so does the connection to the pod.
      res.on('close', () => {
        out.destroy();
        upstream.destroy();
        resolve();
      });
      req.pipe(out);
    });
  }

  private async dial(target: ProxyTarget): Promise<Socket> {
    const node = this.opts.store.get<Node>('Node', undefined, target.node);
    const endpoint = node?.status?.nodeInfo?.tunnelEndpoint;
    if (!endpoint)
      throw new ApiError(
        'ServiceUnavailable',
        `error trying to reach service: node ${target.node || '(none)'} has no tunnel endpoint; is its agent connected?`,
      );
    try {
      const socket = await dialTunnel(endpoint, this.opts.joinToken, { podIP: target.podIP, port: target.port }, { from: 'controlplane' });
      socket.resume();
      return socket;
    } catch (err) {
      const why = err instanceof TunnelError ? err.message : String(err);
      this.opts.log.debug('proxy dial failed', { target: `${target.podIP}:${target.port}`, error: why });
      throw new ApiError('ServiceUnavailable', `error trying to reach service: dial tcp ${target.podIP}:${target.port}: ${why}`);
    }
  }

  /** A pod's address: the port given, else the first one a container declares (a name is looked up). */
  private podLocation(namespace: string, id: string): ProxyLocation {
    const parsed = splitSchemeNamePort(id);
    if (!parsed) throw new ApiError('BadRequest', `invalid pod request "${id}"`);
    const pod = this.opts.store.get<Pod>('Pod', namespace, parsed.name);
    if (!pod) throw notFound('pods', parsed.name);
    const ports = pod.spec.containers.flatMap((c) => c.ports ?? []);
    let port: number;
    if (parsed.port === '') port = ports[0]?.containerPort ?? 80;
    else if (/^\d+$/.test(parsed.port)) port = Number(parsed.port);
    else {
      const named = ports.find((p) => p.name === parsed.port);
      if (!named) throw new ApiError('BadRequest', `invalid pod request "${id}": pod ${pod.metadata.name} has no container port named "${parsed.port}"`);
      port = named.containerPort;
    }
    if (port < 1 || port > 65535) throw new ApiError('BadRequest', `invalid pod request "${id}": port ${port} is not in 1-65535`);
    if (!pod.status?.podIP || !pod.spec.nodeName)
      throw new ApiError('ServiceUnavailable', `pod ${pod.metadata.name} has no IP address yet (phase ${pod.status?.phase ?? 'Pending'})`);
    return { scheme: parsed.scheme, target: { podIP: pod.status.podIP, port, node: pod.spec.nodeName } };
  }

  /**
   * A ready endpoint of the service for the port named or numbered (a number is the service port's,
   * mapped to its name), picked at random among the ready ones as the API server picks.
   */
  private serviceLocation(namespace: string, id: string): ProxyLocation {
    const parsed = splitSchemeNamePort(id);
    if (!parsed) throw new ApiError('BadRequest', `invalid service request "${id}"`);
    const svc = this.opts.store.get<Service>('Service', namespace, parsed.name);
    if (!svc) throw notFound('services', parsed.name);
    let portName = parsed.port;
    if (/^\d+$/.test(portName)) {
      const sp = svc.spec.ports.find((p) => p.port === Number(parsed.port));
      if (!sp) throw new ApiError('ServiceUnavailable', `no service port ${parsed.port} found for service "${parsed.name}"`);
      portName = sp.name ?? '';
    }
    const ep = this.opts.store.get<Endpoints>('Endpoints', namespace, parsed.name);
    if ((ep?.subsets ?? []).length === 0) throw new ApiError('ServiceUnavailable', `no endpoints available for service "${parsed.name}"`);
    const ready = (ep?.subsets ?? []).flatMap((s) => {
      const port = s.ports?.find((p) => (p.name ?? '') === portName);
      return port ? (s.addresses ?? []).map((a) => ({ podIP: a.ip, port: port.port, node: a.nodeName ?? '' })) : [];
    });
    if (ready.length === 0) throw new ApiError('ServiceUnavailable', `no endpoints available for service "${id}"`);
    return { scheme: parsed.scheme, target: ready[Math.floor(Math.random() * ready.length)]! };
  }
}
