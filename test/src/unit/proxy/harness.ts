// Real sockets in one process: NodeProxy instances for a few nodes, fed hand-made routing tables,
// with plain TCP (or HTTP) servers standing in for pods. stop() closes everything and checks that
// no socket or server of the test is left open.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createLogger, type NodeRoute, type Routes, type ServiceRoute } from '@kip/shared';
import { NodeProxy } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

export const TOKEN = 'test-cluster-token';

/** What a fake pod does with each connection. */
export type PodBehaviour =
  /** sends every byte back, half-close included */
  | 'echo'
  /** writes its name and a newline, then ends */
  | 'identity'
  /** an HTTP server answering JSON naming the pod */
  | 'http'
  /** a port nothing listens on: connections are refused */
  | 'closed'
  /** a process of the test's own listens on opts.hostPort */
  | 'external'
  | ((socket: net.Socket, pod: FakePod) => void);

export interface FakePod {
  name: string;
  namespace: string;
  ip: string;
  node: string;
  containerPort: number;
  hostPort: number;
  /** connections it accepted */
  accepted: number;
  server?: net.Server;
  sockets: Set<net.Socket>;
}

function tcpResources(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

export class ProxyCluster {
  readonly proxies = new Map<string, NodeProxy>();
  readonly pods: FakePod[] = [];
  private services: ServiceRoute[] = [];
  private readonly baseline: number;
  private nextIp = 2;

  private constructor(nodes: string[], tokens: Record<string, string>) {
    this.baseline = tcpResources();
    const log = createLogger('test', process.env.KIP_TEST_VERBOSE ? 'debug' : 'error');
    for (const node of nodes) {
      const proxy = new NodeProxy({
        nodeName: node,
        token: tokens[node] ?? TOKEN,
        log: log.child(node),
        localPort: (ip, port) => {
          const pod = this.pods.find((p) => p.node === node && p.ip === ip);
          return pod ? { pod, hostPort: pod.containerPort === port ? pod.hostPort : undefined } : {};
        },
      });
      this.proxies.set(node, proxy);
    }
  }

  /** Proxies for the nodes, listening; `tokens` gives some nodes another cluster token. */
  static async start(nodes: string[] = ['node-a', 'node-b'], opts: { tokens?: Record<string, string> } = {}): Promise<ProxyCluster> {
    const c = new ProxyCluster(nodes, opts.tokens ?? {});
    await Promise.all([...c.proxies.values()].map((p) => p.start()));
    return c;
  }

  proxy(node: string): NodeProxy {
    const p = this.proxies.get(node);
    if (!p) throw new Error(`no proxy for ${node}`);
    return p;
  }

  /** Starts a fake pod on a node; it is in the routing table from the next publish(). */
  async addPod(
    name: string,
    node: string,
    behaviour: PodBehaviour,
    opts: { ip?: string; containerPort?: number; namespace?: string; hostPort?: number } = {},
  ): Promise<FakePod> {
    const nodeIndex = [...this.proxies.keys()].indexOf(node) + 1;
    const pod: FakePod = {
      name,
      namespace: opts.namespace ?? 'default',
      ip: opts.ip ?? `10.244.${nodeIndex}.${this.nextIp++}`,
      node,
      containerPort: opts.containerPort ?? 8080,
      hostPort: 0,
      accepted: 0,
      sockets: new Set(),
    };
    const track = (s: net.Socket) => {
      pod.accepted++;
      pod.sockets.add(s);
      s.on('error', () => undefined);
      s.once('close', () => pod.sockets.delete(s));
    };
    if (behaviour === 'external') {
      if (!opts.hostPort) throw new Error('an external pod needs opts.hostPort');
      pod.hostPort = opts.hostPort;
      this.pods.push(pod);
      return pod;
    }
    let server: net.Server;
    if (behaviour === 'http') {
      const h = http.createServer((req, res) => {
        const body = JSON.stringify({ pod: name, node, podIP: pod.ip, path: req.url, host: req.headers.host ?? '' });
        res.writeHead(200, { 'content-type': 'application/json', 'x-kip-pod': name });
        res.end(body);
      });
      h.on('connection', track);
      server = h;
    } else {
      server = net.createServer({ allowHalfOpen: true }, (s) => {
        track(s);
        if (behaviour === 'echo') s.pipe(s);
        else if (behaviour === 'identity') s.end(`${name}\n`);
        else if (typeof behaviour === 'function') behaviour(s, pod);
      });
    }
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    pod.hostPort = (server.address() as net.AddressInfo).port;
    if (behaviour === 'closed') await new Promise<void>((r) => server.close(() => r()));
    else pod.server = server;
    this.pods.push(pod);
    return pod;
  }

  /** Every node with its tunnel, and the pod range addPod() gives its pods (10.244.<index>.0/24). */
  nodeRoutes(): NodeRoute[] {
    return [...this.proxies.entries()].map(([name, p], i) => ({ name, tunnel: p.tunnelEndpoint(), podCIDR: `10.244.${i + 1}.0/24` }));
  }

  /** A service over the named pods (all ready unless `unready` lists them). */
  service(
    name: string,
    podNames: string[],
    opts: { port?: number; unready?: string[]; affinity?: 'None' | 'ClientIP'; clusterIP?: string; namespace?: string } = {},
  ): ServiceRoute {
    const endpoints = podNames.map((n) => {
      const p = this.pods.find((x) => x.name === n);
      if (!p) throw new Error(`no pod ${n}`);
      return { ip: p.ip, port: p.containerPort, node: p.node, pod: p.name, ready: !opts.unready?.includes(n) };
    });
    return {
      namespace: opts.namespace ?? 'default',
      name,
      clusterIP: opts.clusterIP ?? `10.96.0.${10 + this.services.length}`,
      sessionAffinity: opts.affinity ?? 'None',
      ports: [{ name: '', port: opts.port ?? 80, protocol: 'TCP', endpoints }],
    };
  }

  /** Sends every proxy a full snapshot with these services and all nodes. */
  async publish(services: ServiceRoute[]): Promise<void> {
    this.services = services;
    await this.applyAll({ type: 'routes', full: true, services, nodes: this.nodeRoutes() });
  }

  async applyAll(r: Routes): Promise<void> {
    for (const p of this.proxies.values()) p.applyRoutes(r);
    await Promise.all([...this.proxies.values()].map((p) => p.settled()));
  }

  /** The listener port of a service on a node. */
  listener(node: string, service: string, port = 80, namespace = 'default'): number {
    const lp = this.proxy(node).serviceListenPort(namespace, service, port);
    if (!lp) throw new Error(`no listener for ${namespace}/${service}:${port} on ${node}`);
    return lp;
  }

  /** Stops every proxy and pod, then checks that the test left no socket or server open. */
  async stop(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.stop()));
    for (const pod of this.pods) {
      for (const s of pod.sockets) s.destroy();
      if (pod.server?.listening) await new Promise<void>((r) => pod.server!.close(() => r()));
    }
    await eventually('every socket of the test to close', () => tcpResources() <= this.baseline, { timeoutMs: 5000, intervalMs: 20 }).catch(() => {
      assert.fail(`sockets or servers left open: ${JSON.stringify(process.getActiveResourcesInfo())}`);
    });
  }
}

/** Connects with half-close allowed. */
export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host, allowHalfOpen: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Everything the socket sends until it ends; rejects on an error (a reset). */
export function readAll(s: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}

/** Connects, sends `data` (if any), half-closes, and answers what came back. */
export async function exchange(port: number, data = ''): Promise<string> {
  const s = await connect(port);
  const got = readAll(s);
  s.end(data);
  try {
    return (await got).toString();
  } finally {
    s.destroy();
  }
}
