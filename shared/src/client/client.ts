// The one HTTP client for kip's Kubernetes-shaped API, used by the CLI, chaos, experiments, bench,
// soak and the tests: JSON requests, newline-delimited watch streams and plain-text log streams.
// Failures become the typed errors of errors.ts. Who is asking, and with which credentials, is set
// in one place: headers().

import http from 'node:http';
import https from 'node:https';
import { collectionPath, objectPath, type ResourceType } from '../api/resources.js';
import type { KObject, List, Status, WatchEvent } from '../api/types.js';
import { ApiStatusError, ClientError, ConnectionError, connectionRefused, statusFromBody } from './errors.js';

export interface ClientOptions {
  /** http://host:port, with or without a path prefix. */
  server: string;
  token?: string;
  /** PEM of the CA that signed an https server's certificate (a kubeconfig's certificate-authority-data). */
  ca?: string;
  userAgent?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Headers for this request only, over the client's own: tests of the server send malformed ones. */
  headers?: Record<string, string>;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  contentType: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** Parses --server: a URL, or host:port meaning http://host:port. */
export function parseServerUrl(server: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `http://${server}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ClientError(`invalid server "${server}": must be a URL such as http://127.0.0.1:7070`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ClientError(`invalid server "${server}": the scheme must be http or https`);
  return url;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as NodeJS.ErrnoException).code === 'ABORT_ERR');
}

function errnoOf(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] };
  return e?.code ?? e?.errors?.[0]?.code;
}

export class ApiClient {
  readonly url: URL;
  private readonly token?: string;
  /** Trusted for https, besides the system's CAs. */
  readonly ca?: string;
  private readonly userAgent: string;

  constructor(opts: ClientOptions) {
    this.url = parseServerUrl(opts.server);
    if (opts.token) this.token = opts.token;
    if (opts.ca) this.ca = opts.ca;
    this.userAgent = opts.userAgent ?? 'kip';
  }

  /** host:port, as the connection-refused message names the server. */
  get hostPort(): string {
    const port = this.url.port || (this.url.protocol === 'https:' ? '443' : '80');
    return `${this.url.hostname}:${port}`;
  }

  /** The ws:// URL of an API path, and the headers (and CA) to open it with (port-forward). */
  webSocket(path: string, query?: Query): { url: string; headers: Record<string, string>; ca?: string } {
    const u = this.target(path, query);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return { url: u.toString(), headers: this.headers(), ...(this.ca ? { ca: this.ca } : {}) };
  }

  /** The headers of every request and WebSocket: who is asking, and with which credentials. */
  private headers(): Record<string, string> {
    return { 'User-Agent': this.userAgent, ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) };
  }

  private target(path: string, query?: Query): URL {
    const base = this.url.pathname.replace(/\/+$/, '');
    const u = new URL(base + path, this.url);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    return u;
  }

  /**
   * Sends one request; `onResponse` decides what to do with the response stream. Connection
   * failures become ConnectionErrors; an abort through `signal` rejects with an AbortError.
   */
  private send<T>(method: string, path: string, opts: RequestOptions, onResponse: (res: http.IncomingMessage) => Promise<T>): Promise<T> {
    const url = this.target(path, opts.query);
    const headers: Record<string, string> = { Accept: 'application/json', ...this.headers() };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    Object.assign(headers, opts.headers);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = mod.request(
        url,
        { method, headers, agent: false, ...(this.ca ? { ca: this.ca } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
        (res) => {
          onResponse(res).then(resolve, reject);
        },
      );
      req.on('error', (err) => {
        if (isAbort(err)) return reject(err);
        const code = errnoOf(err);
        if (code === 'ECONNREFUSED') return reject(connectionRefused(this.hostPort));
        reject(
          new ConnectionError(
            `Unable to connect to the server: ${code === 'ENOTFOUND' ? `dial tcp: lookup ${url.hostname}: no such host` : err.message}`,
            false,
          ),
        );
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** A request whose whole body is read; no status check. */
  raw(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    return this.send(method, path, opts, (res) =>
      readBody(res).then((body) => ({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body, headers: res.headers })),
    );
  }

  /** A JSON request; any answer other than 2xx throws ApiStatusError. */
  async call<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    if (res.status < 200 || res.status >= 300) throw new ApiStatusError(statusFromBody(res.status, res.body), res.status);
    if (res.body.trim() === '') return undefined as T;
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new ClientError(`the server sent a response that is not JSON for ${method} ${path}: ${res.body.slice(0, 200)}`);
    }
  }

  get<T extends KObject>(r: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.call<T>('GET', objectPath(r, namespace, name));
  }

  list<T extends KObject>(r: ResourceType, namespace: string | undefined, opts: ListOptions = {}): Promise<List<T>> {
    return this.call<List<T>>('GET', collectionPath(r, r.namespaced ? namespace : undefined), {
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
    });
  }

  create<T extends KObject>(r: ResourceType, namespace: string | undefined, obj: unknown): Promise<T> {
    return this.call<T>('POST', collectionPath(r, r.namespaced ? (namespace ?? 'default') : undefined), { body: obj });
  }

  replace<T extends KObject>(r: ResourceType, namespace: string | undefined, name: string, obj: unknown): Promise<T> {
    return this.call<T>('PUT', objectPath(r, namespace, name), { body: obj });
  }

  /** A JSON merge patch (RFC 7386): null deletes a field. */
  mergePatch<T extends KObject>(r: ResourceType, namespace: string | undefined, name: string, patch: unknown): Promise<T> {
    return this.call<T>('PATCH', objectPath(r, namespace, name), { body: patch, contentType: 'application/merge-patch+json' });
  }

  delete<T extends KObject>(r: ResourceType, namespace: string | undefined, name: string, gracePeriodSeconds?: number): Promise<T> {
    return this.call<T>('DELETE', objectPath(r, namespace, name), { query: { gracePeriodSeconds } });
  }

  /**
   * Watches a collection from `resourceVersion`, calling `onEvent` per event, until the server
   * ends the stream or `signal` aborts (both resolve). An ERROR event throws its Status.
   */
  watch<T extends KObject>(r: ResourceType, namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): Promise<void> {
    const path = collectionPath(r, r.namespaced ? namespace : undefined);
    const query: Query = { resourceVersion: opts.resourceVersion, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    return this.watchPath<T>(path, query, opts.signal, (ev) => {
      if (ev.type === 'ERROR') {
        const st = ev.object as unknown as Status;
        throw new ApiStatusError(statusFromBody(st.code ?? 500, JSON.stringify(st)), st.code ?? 500);
      }
      if (ev.type !== 'BOOKMARK') onEvent(ev);
    });
  }

  /**
   * Watches any collection path, handing over every event as the server sent it (ERROR and
   * BOOKMARK included), until the server ends the stream or `signal` aborts.
   */
  watchPath<T extends KObject>(path: string, query: Query, signal: AbortSignal | undefined, onEvent: (ev: WatchEvent<T>) => void): Promise<void> {
    let pending = '';
    return this.stream(path, { watch: 'true', ...query }, signal, (chunk) => {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line === '') continue;
        let ev: WatchEvent<T>;
        try {
          ev = JSON.parse(line) as WatchEvent<T>;
        } catch {
          throw new ClientError(`the server sent a watch event that is not JSON: ${line.slice(0, 200)}`);
        }
        onEvent(ev);
      }
    });
  }

  /**
   * GETs a streamed body (a watch, `log?follow=true`), handing each chunk to `onData` as it comes.
   * Resolves when the server ends it or `signal` aborts; an error answer throws its Status.
   */
  stream(path: string, query: Query, signal: AbortSignal | undefined, onData: (chunk: Buffer) => void): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return this.send('GET', path, { query, ...(signal ? { signal } : {}) }, (res) => {
      const code = res.statusCode ?? 0;
      if (code < 200 || code >= 300) return readBody(res).then((body) => Promise.reject(new ApiStatusError(statusFromBody(code, body), code)));
      return new Promise<void>((resolve, reject) => {
        let failed = false;
        res.on('data', (chunk: Buffer) => {
          if (failed) return;
          try {
            onData(chunk);
          } catch (err) {
            failed = true;
            res.destroy();
            reject(err);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (err) =>
          signal?.aborted || isAbort(err)
            ? resolve()
            : reject(new ConnectionError(`the connection to the server ${this.hostPort} was lost: ${err.message}`, false)),
        );
        res.on('close', () => resolve());
      });
    }).catch((err: unknown) => {
      if (signal?.aborted && isAbort(err)) return;
      throw err;
    });
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
