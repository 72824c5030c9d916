// What the API server refuses before it reads a request, so that no other site a user's browser
// visits can reach it:
// - a body of a type the API does not read (415): a cross-site "simple" request (text/plain,
//   application/x-www-form-urlencoded, multipart/form-data) needs no CORS preflight, so without
//   this check any web page could POST a pod; the proxy subresource is the exception, its body
//   being the pod's to read (the Origin check below still keeps other sites out);
// - a Host header that does not name this server (403): a page on a name that resolves to
//   127.0.0.1 (DNS rebinding) would otherwise be same-origin with the API and read its answers;
// - a browser's Origin that is not this server's own (403), WebSocket upgrades included.
// No CORS header is ever sent, so a browser hides every answer from another origin.

import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';
import { parseRoute } from './routes.js';

/**
 * The body types the API reads: JSON and YAML, the patch types Kubernetes clients send, and
 * protobuf, of which it reads only delete options (protobuf.ts answers the rest with its own 415).
 */
export const ACCEPTED_BODY_TYPES: readonly string[] = [
  'application/json',
  'application/vnd.kubernetes.protobuf',
  'application/yaml',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
];

export interface RequestGuardOptions {
  /** The port the server listens on; Host headers must carry it (or none, for the default port). */
  port: () => number;
  /** The address the server listens on. */
  listenAddress: string;
  /** More names users reach the server by (a host name, a DNS name put in front of it). */
  extraNames?: readonly string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export class RequestGuard {
  private readonly names: Set<string>;

  constructor(private readonly opts: RequestGuardOptions) {
    const address = opts.listenAddress.includes(':') ? `[${opts.listenAddress}]` : opts.listenAddress;
    this.names = new Set([...LOOPBACK_NAMES, address, ...(opts.extraNames ?? [])].map((n) => n.toLowerCase()));
  }

  /** The reason to refuse the request, or undefined to serve it. */
  check(req: IncomingMessage, upgrade = false): ApiError | undefined {
    const host = req.headers.host;
    if (host === undefined || !this.isOwnHost(host))
      return new ApiError(
        'Forbidden',
        `host "${host ?? ''}" is not a name of this API server (it answers to ${[...this.names].join(', ')} on port ${this.opts.port()})`,
      );
    const origin = req.headers.origin;
    if (origin !== undefined && !this.isOwnOrigin(origin))
      return new ApiError('Forbidden', `requests from origin "${origin}" are not allowed: the API serves no other site`);
    if (!upgrade && hasBody(req) && !isProxied(req)) {
      const type = mediaType(req.headers['content-type']);
      if (!ACCEPTED_BODY_TYPES.includes(type))
        return new ApiError('UnsupportedMediaType', `the body's Content-Type "${type}" is not supported; send one of ${ACCEPTED_BODY_TYPES.join(', ')}`);
    }
    return undefined;
  }

  private isOwnHost(host: string): boolean {
    const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim().toLowerCase());
    if (!m) return false;
    const port = m[2] === undefined ? 80 : Number(m[2]);
    return this.names.has(m[1]!) && port === this.opts.port();
  }

  private isOwnOrigin(origin: string): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return this.isOwnHost(url.host);
  }
}

/** "application/json; charset=utf-8" -> "application/json". */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A request for a pod's or service's proxy subresource (proxy.ts), whose body goes to the pod as it is. */
function isProxied(req: IncomingMessage): boolean {
  const route = parseRoute(new URL(req.url ?? '/', 'http://localhost').pathname);
  return route?.type === 'resource' && route.subresource === 'proxy';
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}
