// Service types with real processes: a 3-node cluster whose nodes have their own loopback
// addresses (127.0.1.1..3), a 3-replica http-echo Deployment, and
// - a NodePort Service answering at its node port on every node's address, from this process;
// - a LoadBalancer Service answering on the address its load balancer gave it (127.0.2.x);
// - an ExternalName Service whose name a client pod dials and reaches the external name's host;
// - the real kubectl's columns for each, and a node port already taken refused in the API's words.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deployment, Node, Pod, Service } from '@kip/shared';
import { bufferIO, main } from '@kip/scripts';
import { TestCluster } from '../helpers/cluster.js';
import { runKubectl } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

const web: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'echo',
            image: 'http-echo',
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
            resources: { requests: { cpu: '50m', memory: '32Mi' } },
          },
        ],
      },
    },
  },
};

function webService(name: string, spec: Partial<Service['spec']>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }], ...spec },
  } as Service;
}

/** GET http://host:port/ from this process: the status and the pod that answered (http-echo's x-kip-pod). */
function get(host: string, port: number): Promise<{ status: number; pod: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: 5000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, pod: String(res.headers['x-kip-pod'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} within 5 s`)));
    req.on('error', reject);
  });
}

/** The first answer from host:port with status 200, retried until the deadline. */
function answers(host: string, port: number, timeoutMs = 30_000): Promise<{ status: number; pod: string }> {
  return eventually(
    `${host}:${port} to answer`,
    async () => {
      const r = await get(host, port).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    },
    { timeoutMs },
  );
}

describe('service types NodePort, LoadBalancer and ExternalName on a 3-node cluster', function () {
  let cluster: TestCluster;

  before(async function () {
    this.timeout(120_000);
    // TLS: kubectl sends the kubeconfig's token only over TLS.
    cluster = await TestCluster.start({ nodes: 3, readyTimeoutMs: 60_000, controlPlaneArgs: ['--tls'] });
    await cluster.api.create(web);
    await eventually(
      '3 ready web pods',
      async () => {
        const pods = await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' });
        return pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 3 || undefined;
      },
      { timeoutMs: 90_000 },
    );
  });

  after(async function () {
    this.timeout(60_000);
    await cluster?.stop();
  });

  /** `kubectl get svc NAME` as the real kubectl prints it, cell by cell, AGE left out. */
  async function kubectlRow(name: string): Promise<string[]> {
    const r = await runKubectl(['get', 'svc', name, '--no-headers'], { kubeconfig: cluster.kubeconfig, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.err);
    return r.out.trim().split(/\s+/).slice(0, 5);
  }

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.dump());
  });

  it('gives each node its own loopback address as its InternalIP', async function () {
    const nodes = await cluster.api.list<Node>('nodes');
    const addresses = Object.fromEntries(nodes.map((n) => [n.metadata.name, n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address]));
    assert.deepEqual(addresses, { 'node-1': '127.0.1.1', 'node-2': '127.0.1.2', 'node-3': '127.0.1.3' });
  });

  it('answers a NodePort service at its node port on every node, and refuses that port to another service', async function () {
    this.timeout(120_000);
    const svc = await cluster.api.create<Service>(webService('web-np', { type: 'NodePort' }));
    const nodePort = svc.spec.ports[0]!.nodePort!;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `node port ${nodePort}`);
    assert.match(svc.spec.clusterIP ?? '', /^10\.96\./);
    const pods = new Set<string>();
    for (const ip of ['127.0.1.1', '127.0.1.2', '127.0.1.3']) pods.add((await answers(ip, nodePort, 60_000)).pod);
    // Any node forwards to the endpoints on every node (externalTrafficPolicy Cluster): over many requests, all 3 pods answer.
    await eventually(
      'all 3 pods to answer through the node port of node-1',
      async () => {
        pods.add((await get('127.0.1.1', nodePort)).pod);
        return pods.size === 3 || undefined;
      },
      { timeoutMs: 30_000 },
    );
    const dup = await cluster.api.request(
      'POST',
      '/api/v1/namespaces/default/services',
      webService('dup', { type: 'NodePort', ports: [{ port: 80, nodePort }] }),
    );
    assert.equal(dup.status, 400);
    assert.match(JSON.stringify(dup.body), new RegExp(`spec.ports\\[0\\].nodePort: Invalid value: ${nodePort}: provided port is already allocated`));
  });

  it('turning the NodePort service into ClusterIP keeps its cluster IP and closes the node port', async function () {
    this.timeout(60_000);
    const before = await cluster.api.get<Service>('services', 'web-np');
    const nodePort = before!.spec.ports[0]!.nodePort!;
    const next = structuredClone(before!);
    next.spec.type = 'ClusterIP';
    const res = await cluster.api.request<Service>('PUT', '/api/v1/namespaces/default/services/web-np', next);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.spec.clusterIP, before!.spec.clusterIP);
    assert.equal(res.body.spec.ports[0]!.nodePort, undefined);
    await eventually('the node port to close', async () => ((await get('127.0.1.2', nodePort).catch(() => undefined)) === undefined ? true : undefined), {
      timeoutMs: 30_000,
    });
  });

  it('gives a LoadBalancer service an address of its own that answers, shown as its EXTERNAL-IP', async function () {
    this.timeout(120_000);
    await cluster.api.create<Service>(webService('web-lb', { type: 'LoadBalancer' }));
    const svc = await eventually(
      'an ingress address',
      async () => {
        const s = await cluster.api.get<Service>('services', 'web-lb');
        const ip = (s?.status as { loadBalancer?: { ingress?: { ip: string }[] } } | undefined)?.loadBalancer?.ingress?.[0]?.ip;
        return ip ? { s: s!, ip } : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.match(svc.ip, /^127\.0\.2\.\d+$/);
    assert.ok(svc.s.spec.ports[0]!.nodePort, 'node ports are allocated for a LoadBalancer too');
    const r = await answers(svc.ip, 8080, 60_000);
    assert.match(r.pod, /^web-/);
    assert.deepEqual(await kubectlRow('web-lb'), ['web-lb', 'LoadBalancer', svc.s.spec.clusterIP, svc.ip, `8080:${svc.s.spec.ports[0]!.nodePort}/TCP`]);
  });

  it('kip expose --type=NodePort makes a service that answers at its node port', async function () {
    this.timeout(60_000);
    const kip = async (...args: string[]) => {
      const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig } });
      const code = await main(args, io);
      return { code, out: io.stdout.text(), err: io.stderr.text() };
    };
    const bad = await kip('expose', 'deployment/web', '--port=8080', '--type=Bogus');
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /--type: "Bogus" is not one of ClusterIP, NodePort, LoadBalancer/);
    const r = await kip('expose', 'deployment/web', '--port=8080', '--target-port=http', '--name=web-cli', '--type=NodePort');
    assert.equal(r.code, 0, r.err);
    const nodePort = Number(/node port (\d+)/.exec(r.out)?.[1]);
    assert.ok(nodePort >= 30000, r.out);
    assert.match((await answers('127.0.1.3', nodePort, 30_000)).pod, /^web-/);
  });

  it('leaves a LoadBalancer of another class pending', async function () {
    this.timeout(30_000);
    await cluster.api.create<Service>(webService('web-other', { type: 'LoadBalancer', loadBalancerClass: 'example.com/other' }));
    assert.equal((await kubectlRow('web-other'))[3], '<pending>');
  });

  it('lets a client pod reach an ExternalName service by name, at the external name', async function () {
    this.timeout(120_000);
    // The outside service: a server in this process, on loopback.
    const server = http.createServer((_req, res) => res.end('outside\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const ext = await cluster.api.create<Service>({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'outside' },
        spec: { type: 'ExternalName', externalName: '127.0.0.1' },
      } as Service);
      assert.equal(ext.spec.clusterIP, undefined);
      assert.deepEqual((await kubectlRow('outside')).slice(1, 5), ['ExternalName', '<none>', '127.0.0.1', '<none>']);
      await cluster.api.create<Pod>(<Pod>{
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'ext-client' },
        spec: {
          nodeName: 'node-2',
          restartPolicy: 'Never',
          containers: [{ name: 'client', image: 'client', args: ['--url', `http://outside:${port}/`, '--rate', '10', '--count', '3'] }],
        },
      });
      const done = await eventually(
        'the client pod to finish',
        async () => {
          const p = await cluster.api.get<Pod>('pods', 'ext-client');
          return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
        },
        { timeoutMs: 60_000 },
      );
      const log = await cluster.api.request<string>('GET', '/api/v1/namespaces/default/pods/ext-client/log?container=client');
      assert.equal(done.status?.phase, 'Succeeded', String(log.body));
      assert.match(String(log.body), /status=200/);
    } finally {
      server.close();
    }
  });
});
