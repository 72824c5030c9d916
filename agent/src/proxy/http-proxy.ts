// The agent's HTTP proxy, handed to pods as HTTP_PROXY: CONNECT tunnels and absolute-URI requests
// to pod IPs, cluster IPs and service names, so `curl http://web/` works from inside any pod. The
// pod's namespace and name arrive as proxy credentials (see service-env.ts): bare names resolve in
// the pod's namespace and ClientIP affinity sticks per pod. Anything that is not a cluster address
// is refused at once with a status and a message saying why; nothing hangs.
//
// Requests in origin form ("GET /status") are for the proxy itself: /healthz, and /status with
// its listeners and link counters.

import http from 'node:http';
import type net from 'node:net';
import { TunnelError, type Logger } from '@kip/shared';
import type { Dialer, Dialled } from './dialer.js';
import { SOCKET_HIGH_WATER_MARK } from './link.js';
import { resolveHost, type Resolution } from './resolve.js';
import type { RoutingTable } from './routing-table.js';
import { NoEndpointsError, type ServiceRouter } from './service-router.js';
import { identityFromProxyAuthorization } from './service-env.js';

export interface HttpProxyOptions {
  nodeName: string;
  host: string;
  table: RoutingTable;
  router: ServiceRouter;
  dialer: Dialer;
  log: Logger;
  /** the body of GET /status */
  status(): unknown;
}

/** A refusal: the HTTP status to answer and why. */
class ProxyRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const CONNECTED = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n');

/** Headers that describe one hop, not the request (RFC 9110 7.6.1), and the proxy's own. */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = new Set(
    String(headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !listed.has(k)) out[k] = v;
  return out;
}

/** Splits a CONNECT target "host:port" / "[v6]:port". */
function connectTarget(url: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(url) ?? /^([^:/]+):(\d+)$/.exec(url);
  const port = m ? Number(m[2]) : NaN;
  return m && port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}

export class HttpProxy {
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private port = 0;

  constructor(private readonly opts: HttpProxyOptions) {
    this.server = http.createServer({ highWaterMark: SOCKET_HIGH_WATER_MARK, noDelay: true, keepAliveTimeout: 5000 });
    this.server.on('request', (req, res) => void this.onRequest(req, res));
    this.server.on('connect', (req, socket, head) => void this.onConnect(req, socket as net.Socket, head));
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nkip proxy: ${err.message}\n`);
      else socket.destroy();
    });
  }

  listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host: this.opts.host }, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.opts.log.error('HTTP proxy failed', { error: err.message }));
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  endpoint(): string {
    return `${this.opts.host}:${this.port}`;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // ---- routing -----------------------------------------------------------------------------------

  private who(req: http.IncomingMessage): { namespace: string; client: string } {
    const id = identityFromProxyAuthorization(req.headers['proxy-authorization']);
    if (id) return { namespace: id.namespace, client: `${id.namespace}/${id.name}` };
    return { namespace: 'default', client: req.socket.remoteAddress ?? 'unknown' };
  }

  /** Resolves and dials the target; throws a ProxyRefusal saying what to answer. */
  private async dial(host: string, port: number, req: http.IncomingMessage): Promise<Dialled> {
    const { namespace, client } = this.who(req);
    const r: Resolution = resolveHost(this.opts.table, host, port, namespace);
    try {
      switch (r.kind) {
        case 'outside':
          throw new ProxyRefusal(403, r.message, 'NotClusterAddress');
        case 'unknown':
          throw new ProxyRefusal(502, r.message, 'UnknownHost');
        case 'service':
          return await this.opts.router.connect(r.service, r.port, client);
        case 'pod':
          return await this.opts.dialer.dial({ node: r.node, ip: r.ip, port: r.port });
        case 'external':
          return await this.opts.dialer.dialExternal(r.host, r.port);
        default: {
          const never: never = r;
          throw new Error(`unhandled resolution ${JSON.stringify(never)}`);
        }
      }
    } catch (err) {
      if (err instanceof ProxyRefusal) throw err;
      if (err instanceof NoEndpointsError) throw new ProxyRefusal(err.tried === 0 ? 503 : 502, err.message, err.code);
      if (err instanceof TunnelError) throw new ProxyRefusal(err.code === 'Timeout' ? 504 : 502, err.message, err.code);
      throw new ProxyRefusal(502, (err as Error).message, 'Error');
    }
  }

  private refusalText(e: ProxyRefusal): string {
    return `kip proxy (${this.opts.nodeName}): ${e.message}\n`;
  }

  // ---- CONNECT -----------------------------------------------------------------------------------

  private async onConnect(req: http.IncomingMessage, client: net.Socket, head: Buffer): Promise<void> {
    client.on('error', () => undefined);
    const target = connectTarget(req.url ?? '');
    let dialled: Dialled;
    try {
      if (!target) throw new ProxyRefusal(400, `CONNECT needs host:port, got "${req.url}"`, 'BadRequest');
      dialled = await this.dial(target.host, target.port, req);
    } catch (err) {
      const e = err as ProxyRefusal;
      const body = this.refusalText(e);
      if (!client.destroyed) {
        client.end(
          `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Kip-Proxy-Error: ${e.code}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      return;
    }
    if (client.destroyed) {
      dialled.socket.destroy();
      return;
    }
    dialled.link.splice(
      client,
      dialled.socket,
      { peer: dialled.link.peer, inbound: false, target: req.url ?? '' },
      { toNear: CONNECTED, ...(head.length > 0 ? { toFar: head } : {}) },
    );
  }

  // ---- absolute-URI requests ---------------------------------------------------------------------

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    if (raw.startsWith('/')) return this.serveSelf(req, res);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return this.refuse(res, new ProxyRefusal(400, `"${raw}" is not an absolute URI`, 'BadRequest'));
    }
    if (url.protocol !== 'http:')
      return this.refuse(
        res,
        new ProxyRefusal(400, `${url.protocol}// is not proxied as a request; use CONNECT (https_proxy) for other protocols`, 'BadRequest'),
      );
    let dialled: Dialled;
    try {
      dialled = await this.dial(url.hostname, url.port ? Number(url.port) : 80, req);
    } catch (err) {
      return this.refuse(res, err as ProxyRefusal);
    }
    if (req.destroyed || res.destroyed) {
      dialled.socket.destroy();
      return;
    }
    const { stream } = dialled.link.attach(dialled.socket, { peer: dialled.link.peer, inbound: false, target: `${url.hostname}:${url.port || 80}` });
    const headers = endToEnd(req.headers);
    headers.host = url.host;
    // One upstream connection per request: each request is balanced on its own, as a client that
    // opens a new connection each time would be.
    headers.connection = 'close';
    const up = http.request({
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      setHost: false,
      createConnection: () => stream as net.Socket,
    });
    up.on('response', (ur) => {
      const rh = endToEnd(ur.headers);
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage, rh);
      ur.pipe(res);
      ur.on('error', () => res.destroy());
    });
    up.on('error', (err) => {
      if (!res.headersSent) this.refuse(res, new ProxyRefusal(502, `${url.host}: ${err.message}`, 'UpstreamError'));
      else res.destroy();
      dialled.socket.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
      // The upstream connection served its one request.
      if (!dialled.socket.destroyed) dialled.socket.end();
    });
    req.pipe(up);
  }

  private refuse(res: http.ServerResponse, e: ProxyRefusal): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = this.refusalText(e);
    res.writeHead(e.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-kip-proxy-error': e.code });
    res.end(body);
  }

  private serveSelf(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (path === '/status') {
      const body = JSON.stringify(this.opts.status(), null, 2) + '\n';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    this.refuse(
      res,
      new ProxyRefusal(
        400,
        `this is a proxy: ask it for absolute URIs (GET http://SERVICE/path) or CONNECT host:port; it serves /healthz and /status itself`,
        'BadRequest',
      ),
    );
  }
}
