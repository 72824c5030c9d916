// The REST API on a real http server on port 0, over a Registry and a MemoryStore, with the
// agents replaced by an in-memory NodeAccess. Requests go through kip's API client; watches are
// read line by line with node:http, to see the stream exactly as the server writes it.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, FakeClock, silentLogger, type NodeMetrics, type PodMetrics, type Status, type WatchEvent } from '@kip/shared';
import { ApiError, Authorizer } from '@kip/controlplane';
import { Registry } from '@kip/controlplane';
import { RestApi, type LogOptions, type NodeAccess } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';
import type { StoreEvent, Unsubscribe, WatchOptions } from '@kip/controlplane';
import { eventually } from '../../helpers/wait.js';

/** Counts live watches, so a test can see a watch end when its client goes away. */
export class CountingStore extends MemoryStore {
  watching = 0;
  override watch(opts: WatchOptions, handler: (ev: StoreEvent) => void): Unsubscribe {
    const unsubscribe = super.watch(opts, handler);
    this.watching++;
    let done = false;
    return () => {
      if (!done) this.watching--;
      done = true;
      unsubscribe();
    };
  }
}

/** What the agents would answer: canned logs per "namespace/pod/container", and metrics. */
export class FakeNodes implements NodeAccess {
  readonly logs = new Map<string, { chunks: string[]; error?: string }>();
  readonly requests: { node: string; opts: LogOptions }[] = [];
  cancelled = 0;
  unreachable = new Set<string>();
  metrics: { nodes: NodeMetrics[]; pods: PodMetrics[] } = { nodes: [], pods: [] };

  streamLogs(nodeName: string, opts: LogOptions, sink: { data(chunk: Uint8Array): void; end(error?: string): void }): () => void {
    if (this.unreachable.has(nodeName)) throw new ApiError('ServiceUnavailable', `node ${nodeName} is not connected`);
    this.requests.push({ node: nodeName, opts });
    const log = this.logs.get(`${opts.namespace}/${opts.pod}/${opts.container}`) ?? { chunks: [], error: `no log for container ${opts.container}` };
    let live = true;
    setImmediate(() => {
      if (!live) return;
      for (const c of log.chunks) sink.data(Buffer.from(c));
      if (!opts.follow || log.error) sink.end(log.error);
    });
    return () => {
      if (live) this.cancelled++;
      live = false;
    };
  }
  nodeMetrics(): NodeMetrics[] {
    return this.metrics.nodes;
  }
  podMetrics(namespace?: string): PodMetrics[] {
    return this.metrics.pods.filter((p) => namespace === undefined || p.metadata.namespace === namespace);
  }
}

/** Asserts a failure answered as a Kubernetes Status with this code and reason. */
export function isStatus(res: Response, code: number, reason: string, message?: RegExp): Status {
  assert.equal(res.status, code, res.text);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const s = res.body as Status;
  assert.equal(s.kind, 'Status');
  assert.equal(s.apiVersion, 'v1');
  assert.equal(s.status, 'Failure');
  assert.equal(s.code, code);
  assert.equal(s.reason, reason);
  if (message) assert.match(s.message, message);
  return s;
}

export interface Response<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export class RestServer {
  readonly clock = new FakeClock();
  readonly store: CountingStore;
  readonly registry: Registry;
  readonly nodes = new FakeNodes();
  readonly terminating = new Set<string>();
  private server?: http.Server;
  private client!: ApiClient;
  url = '';

  constructor(private readonly opts: { apiToken?: string; historySize?: number } = {}) {
    this.store = new CountingStore({ clock: this.clock, historySize: opts.historySize });
    this.registry = new Registry({ store: this.store, log: silentLogger, clock: this.clock, nodeCanTerminate: (n) => this.terminating.has(n) });
  }

  async start(): Promise<this> {
    const api = new RestApi({
      registry: this.registry,
      nodes: this.nodes,
      log: silentLogger,
      ...(this.opts.apiToken ? { auth: new Authorizer({ adminToken: this.opts.apiToken, nodeToken: 'join' }) } : {}),
    });
    this.server = http.createServer(api.handle);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.client = new ApiClient({ server: this.url, userAgent: 'kip-test' });
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server!;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    assert.equal(s.listening, false, 'the server no longer listens');
  }

  /** One request; a body that is not a string is sent as JSON. */
  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response<T>> {
    const res = await this.client.raw(method, path, { ...(body === undefined ? {} : { body }), headers });
    let parsed: unknown = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // logs and health answer in plain text
    }
    const answered = new Headers();
    for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) answered.append(k, one);
    return { status: res.status, body: parsed as T, text: res.body, headers: answered };
  }

  /** Opens a watch and collects its events as they stream in. */
  async watch(path: string, headers: Record<string, string> = {}): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const req = http.get(this.url + path, { headers }, (res) => {
        const w = new WatchStream(req, res.statusCode ?? 0);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) w.lines.push(line);
          }
        });
        res.on('end', () => (w.ended = true));
        res.on('error', () => (w.ended = true));
        resolve(w);
      });
      req.on('error', reject);
    });
  }
}

export class WatchStream {
  readonly lines: string[] = [];
  ended = false;
  constructor(
    private readonly req: http.ClientRequest,
    readonly status: number,
  ) {}

  get events(): WatchEvent[] {
    return this.lines.map((l) => JSON.parse(l) as WatchEvent);
  }

  /** "TYPE name" for each event so far. */
  get summary(): string[] {
    return this.events.map((e) => `${e.type} ${e.object.metadata.name}`);
  }

  /** Waits for n lines and returns them all. */
  async waitForLines(n: number): Promise<string[]> {
    await eventually(`${n} lines`, () => this.lines.length >= n, { timeoutMs: 5000, intervalMs: 5 });
    return this.lines;
  }

  /** Waits for n events and returns their summary. */
  async waitFor(n: number): Promise<string[]> {
    await this.waitForLines(n);
    return this.summary;
  }

  close(): void {
    this.req.destroy();
  }
}
