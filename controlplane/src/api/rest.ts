// The HTTP API in Kubernetes' shape: GET (one, list, watch), POST, PUT, PATCH (merge), DELETE, the
// status/scale/log subresources, metrics for `kip top`, and discovery. Reads answer a Table instead
// when the client asks for one (table.ts). Every failure answers with a
// Kubernetes Status object; nothing a client sends can crash the process.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import {
  KIP_VERSION,
  fromLabelSelector,
  matches,
  parseSelector,
  selectorToString,
  unknownFields,
  type Deployment,
  type KObject,
  type Logger,
  type NodeMetrics,
  type Pod,
  type PodMetrics,
  type ReplicaSet,
  type Selector,
} from '@kip/shared';
import { StoreError, type StoreEvent } from '../store/store.js';
import { bindPod } from './binding.js';
import { ApiError, notFound, toApiError } from './errors.js';
import { evictPod } from './eviction.js';
import { fieldsMatch, parseFieldSelector } from './field-selector.js';
import type { PatchType, Registry, WriteOptions } from './registry.js';
import { parseRoute, type OtherRoute, type ResourceRoute } from './routes.js';
import type { Authorizer } from './auth.js';
import { MAX_BODY_DEPTH, textDepth } from './body-depth.js';
import { decodeProtobufBody, PROTOBUF_TYPE } from './protobuf.js';
import { parseIncludeObject, tableVersionAccepted, toTable, type TableOptions } from './table.js';
import { pageOf, parseLimit } from './paging.js';
import { bookmarkObject, checkListVersion, INITIAL_EVENTS_END_ANNOTATION, parseListOptions } from './list-options.js';
import type { ResourceProxy } from './proxy.js';
import { AGGREGATED_DISCOVERY_TYPE, aggregatedDiscovery, legacyDiscovery, wantsAggregated } from './discovery.js';
import { acceptsJson, OPENAPI_V2_PROTOBUF, openApiV2, openApiV2Protobuf, openApiV3, openApiV3Index } from './openapi.js';

/** The largest request body, as the Kubernetes API server's 3 MiB. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** A watcher that falls this far behind is cut off rather than buffered without end. */
export const MAX_WATCH_BUFFER_BYTES = 16 * 1024 * 1024;

export interface LogOptions {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  previous: boolean;
  tailLines?: number;
  limitBytes?: number;
}

/** What the REST layer needs from the connected agents: logs and live resource use. */
export interface NodeAccess {
  /** Streams a container's log from its node; throws ApiError if the node cannot be reached. Returns cancel. */
  streamLogs(nodeName: string, opts: LogOptions, sink: { data(chunk: Uint8Array): void; end(error?: string): void }): () => void;
  nodeMetrics(): NodeMetrics[];
  podMetrics(namespace?: string): PodMetrics[];
}

export interface RestOptions {
  registry: Registry;
  nodes: NodeAccess;
  log: Logger;
  /** Who may do what (auth.ts); without it every request is served. */
  auth?: Authorizer;
  /** The proxy subresource of pods and services (proxy.ts); without it those paths are 404. */
  proxy?: ResourceProxy;
  /** How often a watch that allows bookmarks gets one (default a minute, as the API server). */
  bookmarkIntervalMs?: number;
}

export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;

export class RestApi {
  constructor(private readonly opts: RestOptions) {}

  /** The http.Server request listener. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res)
      .catch((err) => this.fail(res, toApiError(err)))
      .catch((err: unknown) => {
        // Even the error answer failed: answer 500 plainly rather than let the rejection end the process.
        this.opts.log.error('request failed and so did its error answer', { error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = parseRoute(url.pathname);
    // Credentials first: an unauthenticated caller learns nothing, not even which paths exist.
    this.opts.auth?.check(req, route);
    if (!route) throw new ApiError('NotFound', `the server could not find the requested resource (${req.method} ${url.pathname})`);
    const method = req.method ?? 'GET';
    if (route.type !== 'resource') return this.other(route, url, req, res);
    const q = url.searchParams;
    // Proxied requests carry the pod's query and body, not the API's: they pass through untouched.
    if (route.subresource === 'proxy' && route.name && this.opts.proxy) return this.opts.proxy.serve(req, res, route, url.pathname, url.search);
    const { registry } = this.opts;
    const write = method === 'GET' || method === 'HEAD' ? {} : writeOptions(q, req);
    const r = route.resource;
    const kind = r.kind;
    // Reads may be asked for as a Table (server-side printing, kubectl get); writes never are.
    const table = method === 'GET' && !route.subresource ? tableOptions(req, q) : undefined;
    if (!route.name) {
      if (method === 'GET') {
        if (isTrue(q.get('watch'))) return this.watch(route, q, res, table);
        const options = parseListOptions(q, false);
        const list = registry.list(kind, {
          namespace: route.namespace,
          labelSelector: q.get('labelSelector') ?? undefined,
          fieldSelector: q.get('fieldSelector') ?? undefined,
        });
        checkListVersion(options, list.metadata.resourceVersion ?? '0');
        const page = pageOf(list.items, list.metadata.resourceVersion ?? '', { limit: parseLimit(q.get('limit')), continue: q.get('continue') ?? undefined });
        if (table) return this.send(res, 200, toTable(registry.definition(kind), page.items, page.metadata, table));
        return this.send(res, 200, { ...list, ...page });
      }
      if (method === 'POST') {
        if (r.namespaced && route.namespace === undefined)
          throw new ApiError('MethodNotAllowed', `create ${r.plural} needs a namespace in the path (/namespaces/NS/${r.plural})`);
        const body = withTypeDefaults(await readBody(req), r);
        checkKind(body, kind);
        this.checkFields(q, kind, body, res);
        return this.send(res, 201, registry.create(body, route.namespace, write));
      }
      throw new ApiError('MethodNotAllowed', `${method} is not supported on ${r.plural}`);
    }
    const ns = r.namespaced ? route.namespace : undefined;
    const served = registry.definition(kind).subresources ?? [];
    if (route.subresource === 'log' && served.includes('log') && method === 'GET') return this.logs(ns!, route.name, q, res);
    if (route.subresource === 'scale' && served.includes('scale')) return this.scale(route, method, req, res, write);
    if (route.subresource === 'eviction' && served.includes('eviction') && method === 'POST') return this.evict(ns!, route.name, req, res, write);
    if (route.subresource === 'binding' && served.includes('binding') && method === 'POST') {
      bindPod(this.opts.registry, ns!, route.name, await readBody(req), write);
      return this.send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (route.subresource !== undefined && route.subresource !== 'status')
      throw new ApiError('NotFound', `the server could not find the requested resource (${r.plural}/${route.subresource})`);
    const status = route.subresource === 'status';
    switch (method) {
      case 'GET': {
        const obj = registry.get(kind, ns, route.name);
        if (table) return this.send(res, 200, toTable(registry.definition(kind), [obj], { resourceVersion: obj.metadata.resourceVersion }, table));
        return this.send(res, 200, obj);
      }
      case 'PUT': {
        const body = withTypeDefaults(await readBody(req), r);
        checkKind(body, kind);
        this.checkFields(q, kind, body, res);
        if (status) {
          const b = body as KObject;
          if (b.metadata?.name !== route.name)
            throw new ApiError('BadRequest', `the name of the object (${b.metadata?.name}) does not match the name on the URL (${route.name})`);
          return this.send(res, 200, registry.updateStatus({ ...b, metadata: { ...b.metadata, namespace: ns } }, write));
        }
        return this.send(res, 200, registry.update(body, { namespace: ns, name: route.name }, write));
      }
      case 'PATCH': {
        const type = patchType(req.headers['content-type']);
        const force = q.get('force');
        if (force !== null && type !== 'apply')
          throw new ApiError('Invalid', 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
        if (type === 'apply' && status)
          throw new ApiError('MethodNotAllowed', 'server-side apply of the status subresource is not supported; apply the object, or patch its status');
        const body = await readBody(req);
        this.checkFields(q, kind, status && type !== 'json' ? statusPatch(body) : body, res);
        // An apply names its manager; only the other writes default it from the user agent.
        const fieldManager = type === 'apply' ? q.get('fieldManager') || undefined : write.fieldManager;
        const opts = { ...write, fieldManager, type, force: isTrue(force), status };
        // An apply that creates the object answers 201 Created, as the API server does.
        const creates = type === 'apply' && registry.store.get(kind, ns, route.name) === undefined;
        return this.send(res, creates ? 201 : 200, registry.patch(kind, ns, route.name, body, opts));
      }
      case 'DELETE': {
        const body = (await readBody(req, true)) as
          | { gracePeriodSeconds?: number; propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: unknown }
          | undefined;
        const grace = q.get('gracePeriodSeconds') ?? body?.gracePeriodSeconds;
        const policy = q.get('propagationPolicy') ?? body?.propagationPolicy;
        if (policy !== undefined && policy !== null && !['Background', 'Foreground', 'Orphan'].includes(policy))
          throw new ApiError('BadRequest', `propagationPolicy: Unsupported value: "${policy}": supported values: "Background", "Foreground", "Orphan"`);
        const deleted = registry.delete(kind, ns, route.name, {
          // kubectl delete --dry-run=server says so in the DeleteOptions body, not the query.
          dryRun: write.dryRun || bodyDryRun(body?.dryRun),
          gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace),
          propagationPolicy: (policy ?? undefined) as 'Background' | 'Foreground' | 'Orphan' | undefined,
          preconditions: body?.preconditions,
        });
        return this.send(res, 200, deleted);
      }
      default:
        throw new ApiError('MethodNotAllowed', `${method} is not supported on ${r.plural}/${route.name}`);
    }
  }

  /**
   * fieldValidation on a write, as the API server: Strict refuses fields the kind's schema does
   * not declare, Warn writes and names them in Warning headers, Ignore (the default) says nothing.
   * A patch is checked as written (a merge patch has the object's shape); a JSON patch, a list of
   * operations, is not.
   */
  private checkFields(q: URLSearchParams, kind: string, body: unknown, res: ServerResponse): void {
    const mode = q.get('fieldValidation') ?? 'Ignore';
    if (!['Strict', 'Warn', 'Ignore'].includes(mode))
      throw new ApiError('BadRequest', `fieldValidation: Unsupported value: "${mode}": supported values: "Ignore", "Strict", "Warn"`);
    if (mode === 'Ignore' || typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const unknown = unknownFields(this.opts.registry.definition(kind).schema, body);
    if (unknown.length === 0) return;
    if (mode === 'Strict') throw new ApiError('BadRequest', unknown.map((f) => `.${f}: field not declared in schema`).join(', '));
    res.setHeader(
      'Warning',
      unknown.map((f) => `299 - ${JSON.stringify(`unknown field "${f}"`)}`),
    );
  }

  private async scale(route: ResourceRoute, method: string, req: IncomingMessage, res: ServerResponse, write: WriteOptions): Promise<void> {
    const { registry } = this.opts;
    const kind = route.resource.kind;
    const obj = registry.get<Deployment | ReplicaSet>(kind, route.namespace, route.name!);
    const toScale = (o: Deployment | ReplicaSet) => ({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: o.spec.replicas ?? 1 },
      status: { replicas: o.status?.replicas ?? 0, selector: selectorToString(fromLabelSelector(o.spec.selector)) },
    });
    if (method === 'GET') return this.send(res, 200, toScale(obj));
    if (method !== 'PUT' && method !== 'PATCH') throw new ApiError('MethodNotAllowed', `${method} is not supported on ${route.resource.plural}/scale`);
    const body = (await readBody(req)) as { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: string } };
    const replicas = body?.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
      throw new ApiError(
        'Invalid',
        `Scale "${route.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be a non-negative integer`,
        undefined,
        400,
      );
    const next = structuredClone(obj);
    next.spec.replicas = replicas;
    if (method === 'PUT' && body.metadata?.resourceVersion) next.metadata.resourceVersion = body.metadata.resourceVersion;
    return this.send(res, 200, toScale(registry.update(next, { namespace: route.namespace, name: route.name }, write)));
  }

  /**
   * policy/v1 Eviction, what `kubectl drain` posts (as protobuf): deletes the pod with the
   * eviction's delete options if its disruption budget allows (eviction.ts), else 429.
   */
  private async evict(namespace: string, name: string, req: IncomingMessage, res: ServerResponse, write: WriteOptions): Promise<void> {
    const body = (await readBody(req)) as {
      kind?: string;
      metadata?: { name?: string };
      deleteOptions?: { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: unknown };
    };
    if (body?.kind !== undefined && body.kind !== 'Eviction')
      throw new ApiError('BadRequest', `the body is a ${String(body.kind)}, but the request is for an Eviction`);
    if (body?.metadata?.name !== undefined && body.metadata.name !== name)
      throw new ApiError('BadRequest', `the name of the eviction (${body.metadata.name}) does not match the pod on the URL (${name})`);
    const opts = body?.deleteOptions;
    evictPod(this.opts.registry, namespace, name, {
      // kubectl drain --dry-run=server puts it in the eviction's DeleteOptions.
      dryRun: write.dryRun || bodyDryRun(opts?.dryRun),
      gracePeriodSeconds: opts?.gracePeriodSeconds,
      preconditions: opts?.preconditions,
    });
    return this.send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  private logs(namespace: string, name: string, q: URLSearchParams, res: ServerResponse): void {
    const pod = this.opts.registry.get<Pod>('Pod', namespace, name);
    const apps = pod.spec.containers.map((c) => c.name);
    const names = [...apps, ...(pod.spec.initContainers ?? []).map((c) => c.name)];
    let container = q.get('container') ?? '';
    if (!container) {
      if (apps.length !== 1)
        throw new ApiError(
          'BadRequest',
          `a container name must be specified for pod ${name}, choose one of: [${apps.join(' ')}]${names.length > apps.length ? ` or one of the init containers: [${names.slice(apps.length).join(' ')}]` : ''}`,
        );
      container = apps[0]!;
    }
    if (!names.includes(container)) throw new ApiError('BadRequest', `container ${container} is not valid for pod ${name}`);
    const previous = isTrue(q.get('previous'));
    const cs = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((c) => c.name === container);
    if (!pod.spec.nodeName) throw new ApiError('BadRequest', `pod ${name} is not scheduled to a node yet; it has no logs`);
    if (previous && !(cs && cs.restartCount > 0)) throw new ApiError('BadRequest', `previous terminated container "${container}" in pod "${name}" not found`);
    if (!previous && cs?.state.waiting && cs.restartCount === 0)
      throw new ApiError('BadRequest', `container "${container}" in pod "${name}" is waiting to start: ${cs.state.waiting.reason ?? 'ContainerCreating'}`);
    const num = (k: string) => {
      const v = q.get(k);
      if (v === null) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new ApiError('BadRequest', `${k}: Invalid value: "${v}": must be a non-negative integer`);
      return n;
    };
    const opts: LogOptions = {
      namespace,
      pod: name,
      container,
      follow: isTrue(q.get('follow')),
      previous,
      tailLines: num('tailLines'),
      limitBytes: num('limitBytes'),
    };
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.flushHeaders();
    };
    const cancel = this.opts.nodes.streamLogs(pod.spec.nodeName, opts, {
      data: (chunk) => {
        start();
        res.write(chunk);
      },
      end: (error) => {
        if (error && !started) return this.fail(res, new ApiError('BadRequest', error));
        start();
        if (error) res.write(`\n${error}\n`);
        res.end();
      },
    });
    // Following logs can last long; headers go out now so that the client knows it is connected.
    if (opts.follow) start();
    res.on('close', cancel);
  }

  private watch(route: ResourceRoute, q: URLSearchParams, res: ServerResponse, table?: TableOptions): void {
    const kind = route.resource.kind;
    const options = parseListOptions(q, true);
    let selector: Selector | undefined;
    try {
      selector = q.get('labelSelector') ? parseSelector(q.get('labelSelector')!) : undefined;
    } catch (err) {
      throw new ApiError('BadRequest', (err as Error).message);
    }
    const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
    const want = (o: KObject | undefined) => !!o && (!selector || matches(selector, o.metadata.labels)) && fieldsMatch(fields, o);
    const pending: string[] = [];
    let headersSent = false;
    const def = this.opts.registry.definition(kind);
    let headers = true;
    // As a Table, each event is one row; the column definitions come with the first only, as
    // Kubernetes sends them, so that kubectl prints the header once.
    const asTable = (object: KObject, t: TableOptions) => {
      const out = toTable(def, [object], { resourceVersion: object.metadata.resourceVersion }, { ...t, now: Date.now(), noHeaders: !headers });
      headers = false;
      return out;
    };
    const write = (type: string, object: KObject) => {
      // A bookmark carries no object to print: it goes as it is, even in a watch of Table rows.
      const line = JSON.stringify({ type, object: table && type !== 'BOOKMARK' ? asTable(object, table) : object }) + '\n';
      if (!headersSent) {
        pending.push(line);
        return;
      }
      res.write(line);
      if (res.writableLength > MAX_WATCH_BUFFER_BYTES) {
        this.opts.log.warn('watch client too slow, closing', { resource: route.resource.plural });
        stop();
      }
    };
    const onEvent = (ev: StoreEvent) => {
      const now = want(ev.object);
      const before = ev.type === 'MODIFIED' ? want(ev.oldObject) : now;
      if (ev.type === 'MODIFIED' && now !== before) write(now ? 'ADDED' : 'DELETED', ev.object);
      else if (now) write(ev.type, ev.object);
    };
    let unsubscribe: () => void;
    const { store } = this.opts.registry;
    const rv = options.resourceVersion;
    // The current state first, as ADDED events: asked for with sendInitialEvents=true (client-go's
    // watch-list), or, as before it, with resourceVersion "0": kubectl get NAME -w reads its object
    // that way and drops that first event. Listing and subscribing happen in one turn of the event
    // loop, so no change falls between them.
    const initial = options.sendInitialEvents ?? rv === '0';
    if (initial) for (const o of this.opts.registry.list(kind, { namespace: route.namespace }).items) if (want(o)) write('ADDED', o);
    // Then a bookmark at the version the state was read at, saying that the state is complete.
    if (options.sendInitialEvents) write('BOOKMARK', bookmarkObject(route.resource, store.resourceVersion(), { [INITIAL_EVENTS_END_ANNOTATION]: 'true' }));
    const bookmark = () => write('BOOKMARK', bookmarkObject(route.resource, store.resourceVersion()));
    try {
      unsubscribe = store.watch({ kind, namespace: route.namespace, resourceVersion: rv && rv !== '0' && !initial ? rv : undefined }, onEvent);
    } catch (err) {
      if (err instanceof StoreError) throw toApiError(err);
      throw err;
    }
    let timer: NodeJS.Timeout | undefined;
    // Bookmarks let a client that resumes its watch start from a recent version even when nothing
    // it watches has changed; one goes out periodically and one as the watch times out.
    const bookmarks = options.allowWatchBookmarks ? setInterval(bookmark, this.opts.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS) : undefined;
    const stop = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      clearInterval(bookmarks);
      res.end();
    };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    headersSent = true;
    for (const line of pending) res.write(line);
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    if (timeout > 0)
      timer = setTimeout(() => {
        if (options.allowWatchBookmarks) bookmark();
        stop();
      }, timeout * 1000);
    res.on('close', () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      clearInterval(bookmarks);
    });
  }

  private other(route: OtherRoute, url: URL, req: IncomingMessage, res: ServerResponse): void {
    const { nodes } = this.opts;
    switch (route.type) {
      case 'healthz':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      case 'version':
        return this.send(res, 200, {
          major: '1',
          minor: '0',
          gitVersion: `v${KIP_VERSION}-kip`,
          platform: `${process.platform}/${process.arch}`,
          nodeVersion: process.version,
        });
      case 'discovery': {
        const p = url.pathname.replace(/\/+$/, '');
        if ((p === '/api' || p === '/apis') && wantsAggregated(req.headers.accept)) {
          const text = JSON.stringify(aggregatedDiscovery(p === '/api'));
          res.writeHead(200, { 'Content-Type': AGGREGATED_DISCOVERY_TYPE, Vary: 'Accept', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
          return;
        }
        return this.send(res, 200, legacyDiscovery(url.pathname));
      }
      case 'openapi': {
        if (route.path === 'openapi/v2' && (req.headers.accept ?? '').includes(OPENAPI_V2_PROTOBUF)) {
          const body = openApiV2Protobuf();
          // The API server's type for it: Go's MIME parser refuses the '@' of the type asked for.
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
          res.end(body);
          return;
        }
        return this.send(res, 200, openApi(route.path!, req.headers.accept));
      }
      case 'metrics': {
        if (route.plural === 'nodes') {
          const items = nodes.nodeMetrics().filter((m) => !route.name || m.metadata.name === route.name);
          if (route.name) {
            if (!items[0]) throw notFound('nodemetrics', route.name);
            return this.send(res, 200, items[0]);
          }
          return this.send(res, 200, { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetricsList', metadata: {}, items });
        }
        if (route.plural === 'pods') {
          const items = nodes.podMetrics(route.namespace).filter((m) => !route.name || m.metadata.name === route.name);
          if (route.name) {
            if (!items[0]) throw notFound('podmetrics', route.name);
            return this.send(res, 200, items[0]);
          }
          return this.send(res, 200, { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetricsList', metadata: {}, items });
        }
        throw new ApiError('NotFound', `the server could not find the requested resource (metrics ${route.plural})`);
      }
    }
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private fail(res: ServerResponse, err: ApiError): void {
    if (err.reason === 'InternalError') this.opts.log.error('request failed', { error: err.message });
    if (res.headersSent) {
      res.end();
      return;
    }
    this.send(res, err.code, err.toStatus());
  }
}

/**
 * The dryRun and fieldManager of a write. dryRun=All is the one value Kubernetes defines; the
 * field manager defaults, as in Kubernetes, to the user agent up to its first "/" (kubectl/v1.32.0 …: kubectl).
 */
function writeOptions(q: URLSearchParams, req: IncomingMessage): WriteOptions {
  const dryRun = q.getAll('dryRun');
  for (const v of dryRun) if (v !== 'All') throw new ApiError('BadRequest', `dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  const given = q.get('fieldManager');
  if (given !== null && given.length > 128) throw new ApiError('BadRequest', 'fieldManager: Too long: may not be longer than 128 bytes');
  const fieldManager = given || (req.headers['user-agent'] ?? '').split('/')[0]!.slice(0, 128) || undefined;
  return { dryRun: dryRun.length > 0, fieldManager };
}

/** DeleteOptions.dryRun of a body: ["All"], or nothing; any other value is a 400 as in the query. */
function bodyDryRun(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (!Array.isArray(v) || v.some((x) => x !== 'All'))
    throw new ApiError('BadRequest', `dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  return v.length > 0;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  // kip's own clients and curl users: a plain JSON body is a merge patch.
  'application/json': 'merge',
  '': 'merge',
};

/** The kind of patch a PATCH's Content-Type says its body is; any other type is a 415. */
function patchType(contentType: string | undefined): PatchType {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (Object.hasOwn(PATCH_TYPES, t)) return PATCH_TYPES[t]!;
  throw new ApiError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
  );
}

/** A PATCH of /status changes only the status; one that names no status changes nothing. */
function statusPatch(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const status = (body as { status?: unknown }).status;
  return status === undefined ? {} : { status };
}

/** The Table the request asks for in its Accept header, or undefined for plain objects. */
function tableOptions(req: IncomingMessage, q: URLSearchParams): TableOptions | undefined {
  const apiVersion = tableVersionAccepted(req.headers.accept);
  if (!apiVersion) return undefined;
  return { apiVersion, includeObject: parseIncludeObject(q.get('includeObject')), now: Date.now() };
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/**
 * A body that leaves out kind or apiVersion takes them from the URL, as the API server's decoder
 * defaults them (client libraries such as @kubernetes/client-node send typed bodies without them).
 */
function withTypeDefaults(body: unknown, r: ResourceRoute['resource']): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const b = body as { kind?: unknown; apiVersion?: unknown };
  return { ...b, kind: b.kind ?? r.kind, apiVersion: b.apiVersion ?? (r.group ? `${r.group}/${r.version}` : r.version) };
}

function checkKind(body: unknown, kind: string): void {
  const k = (body as { kind?: unknown } | null)?.kind;
  if (k !== undefined && k !== kind) throw new ApiError('BadRequest', `the body is a ${String(k)}, but the request is for ${kind}`);
}

/** Reads a JSON (or YAML, or the protobuf protobuf.ts reads) body, bounded; an empty body is undefined when allowed. */
async function readBody(req: IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError('RequestEntityTooLarge', `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const buffer = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (type.split(';')[0]!.trim().toLowerCase() === PROTOBUF_TYPE) {
    if (buffer.length === 0 && optional) return undefined;
    return decodeProtobufBody(buffer);
  }
  const text = buffer.toString('utf8');
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new ApiError('BadRequest', 'the request body is empty; it must be a JSON object');
  }
  const yaml = type.includes('yaml');
  if (textDepth(text, yaml) > MAX_BODY_DEPTH) throw new ApiError('BadRequest', `the request body nests deeper than ${MAX_BODY_DEPTH} levels`);
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ApiError('BadRequest', `the request body is not valid ${type.includes('yaml') ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
}

/** /openapi/v2, /openapi/v3 and its group-versions (the path without its leading slash). */
function openApi(path: string, accept: string | undefined): unknown {
  // Protobuf is served for /openapi/v2 only (above); 406 is how the API server says it has only JSON.
  if (!acceptsJson(accept)) throw new ApiError('NotAcceptable', `only application/json is served at /${path}`);
  if (path === 'openapi/v2') return openApiV2();
  if (path === 'openapi/v3') return openApiV3Index();
  const doc = path.startsWith('openapi/v3/') ? openApiV3(path.slice('openapi/v3/'.length)) : undefined;
  if (!doc) throw new ApiError('NotFound', `the server could not find the requested resource (/${path})`);
  return doc;
}
