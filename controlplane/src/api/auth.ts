// Who is asking, and whether they may: the API server's authentication and authorization, in the
// two roles kip has. The admin token (written to <data-dir>/admin-token and the kubeconfig at
// first start) may do everything. The join token, which every agent holds, identifies a node: it
// may read the fault objects (the agent's side channel when its link to the control plane is
// faulty) and get the volume objects its pods name, and nothing else, as Kubernetes' Node
// authorizer limits kubelets. Without credentials
// only the health and version endpoints answer (Kubernetes' system:public-info-viewer), unless the
// server runs with --anonymous.

import type { IncomingMessage } from 'node:http';
import { tokenMatches } from '../token.js';
import { ApiError } from './errors.js';
import type { Route } from './routes.js';

export type Identity = 'admin' | 'node' | 'anonymous';

export interface AuthOptions {
  /** The admin bearer token; undefined serves everyone as admin (--anonymous). */
  adminToken?: string;
  /** The cluster join token, which identifies an agent. */
  nodeToken?: string;
  /** Whether a node may get one object of a kind besides the fault objects (its pods' volumes). */
  nodeMayGet?: (kind: string, namespace: string | undefined, name: string) => boolean;
}

/** What a node may do: read fault objects, and get the objects its pods need (AuthOptions.nodeMayGet). */
const NODE_READABLE = new Set(['NetworkChaos', 'NodeChaos']);

function bearer(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
}

export class Authorizer {
  constructor(private readonly opts: AuthOptions) {}

  get anonymous(): boolean {
    return this.opts.adminToken === undefined;
  }

  /** The identity a request carries, or undefined for wrong credentials. */
  identify(req: IncomingMessage): Identity | undefined {
    if (this.anonymous) return 'admin';
    const token = bearer(req);
    if (token === undefined) return 'anonymous';
    if (tokenMatches(token, this.opts.adminToken!)) return 'admin';
    if (this.opts.nodeToken !== undefined && tokenMatches(token, this.opts.nodeToken)) return 'node';
    return undefined;
  }

  /** Refuses the request (401 or 403, as the API server words them), or lets it through. */
  check(req: IncomingMessage, route: Route | undefined): void {
    const who = this.identify(req);
    if (who === 'admin') return;
    if (route?.type === 'healthz' || route?.type === 'version') return;
    if (who === undefined || who === 'anonymous')
      throw new ApiError(
        'Unauthorized',
        'Unauthorized: this API needs "Authorization: Bearer <token>"; the token is in the kubeconfig the control plane wrote (<data-dir>/kubeconfig)',
      );
    const method = req.method ?? 'GET';
    if (route?.type === 'resource' && NODE_READABLE.has(route.resource.kind) && !route.subresource && (method === 'GET' || method === 'HEAD')) return;
    if (
      route?.type === 'resource' &&
      route.name &&
      !route.subresource &&
      (method === 'GET' || method === 'HEAD') &&
      this.opts.nodeMayGet?.(route.resource.kind, route.namespace, route.name)
    )
      return;
    const what = route?.type === 'resource' ? route.resource.plural : 'this path';
    throw new ApiError(
      'Forbidden',
      `${what} is forbidden: User "system:node" cannot ${method.toLowerCase()} it: the join token may only read fault objects; use the admin credentials (<data-dir>/kubeconfig)`,
    );
  }
}
