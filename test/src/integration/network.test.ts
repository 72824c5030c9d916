// The flat pod network end to end, with real processes: a 3-node cluster, a 3-replica http-echo
// Deployment behind a Service, and client pods on one node that reach pods on all three nodes via
// the service variables, via the HTTP proxy by service name, and by pod IP. Then the node of one
// endpoint is killed: it leaves the Endpoints, requests keep succeeding on the others, and the
// replacement pod gets traffic once it is Ready.

import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Deployment, Endpoints, Pod, Service } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { untilRouted } from '../helpers/routed.js';
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
            resources: { requests: { cpu: '100m', memory: '32Mi' } },
          },
        ],
      },
    },
  },
};

const webService: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

interface Hit {
  status: number;
  pod?: string;
  node?: string;
}

/** The client image's lines: `#3 GET http://web/ status=200 latency=2ms bytes=120 pod=web-x node=node-2`. */
function hits(log: string): Hit[] {
  const out: Hit[] = [];
  for (const line of log.split('\n')) {
    const m = /status=(\d+).*?(?: pod=(\S+))?(?: node=(\S+))?(?: reason=.*)?$/.exec(line);
    if (m && line.includes(' GET ')) out.push({ status: Number(m[1]), pod: m[2], node: m[3] });
    else if (line.includes(' GET ') && line.includes('error=')) out.push({ status: 0 });
  }
  return out;
}

describe('the pod network across a 3-node cluster', function () {
  let cluster: TestCluster;

  before(async function () {
    cluster = await TestCluster.start({ nodes: 3 });
  });

  after(async function () {
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    console.log(cluster.dump());
    return logOf('watcher', 'client')
      .then((l) => console.log(`--- watcher\n${l.split('\n').slice(-20).join('\n')}`))
      .catch(() => undefined);
  });

  async function webPods(): Promise<Pod[]> {
    return (await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' })).filter((p) => !p.metadata.deletionTimestamp);
  }

  async function readyAddresses(): Promise<string[]> {
    const ep = await cluster.api.get<Endpoints>('endpoints', 'web');
    return (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
  }

  async function logOf(pod: string, container: string): Promise<string> {
    const res = await cluster.api.request<string>('GET', `/api/v1/namespaces/default/pods/${pod}/log?container=${container}`);
    return typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  }

  it('runs 3 http-echo pods, one per node, behind a Service with 3 ready endpoints', async function () {
    this.timeout(90_000);
    await cluster.api.create(web);
    const svc = await cluster.api.create<Service>(webService);
    assert.match(svc.spec.clusterIP ?? '', /^10\.96\.\d+\.\d+$/);
    const pods = await eventually(
      '3 ready web pods on 3 nodes',
      async () => {
        const ps = await webPods();
        const ready = ps.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length === 3 && new Set(ready.map((p) => p.spec.nodeName)).size === 3 ? ready : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await eventually('the endpoints to list the 3 pods', async () => {
      const got = await readyAddresses();
      return isDeepStrictEqual(got, pods.map((p) => p.status!.podIP!).sort());
    });
  });

  /** A client pod on node-1 that makes `count` requests to `url` and exits (0 only if all succeeded). */
  async function probe(name: string, url: string, count: number): Promise<Hit[]> {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'probe' } },
      spec: {
        nodeName: 'node-1',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'client',
            image: 'client',
            args: ['--url', url, '--rate', '20', '--count', String(count)],
            resources: { requests: { cpu: '50m', memory: '32Mi' } },
          },
        ],
      },
    };
    await cluster.api.create(pod);
    const done = await eventually(
      `${name} to finish`,
      async () => {
        const p = await cluster.api.get<Pod>('pods', name);
        return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const log = await logOf(name, 'client');
    assert.equal(done.status!.phase, 'Succeeded', `${name} failed:\n${log}`);
    return hits(log);
  }

  it('a client pod on node-1 reaches pods on all three nodes by the service variables, the service name, and a pod IP', async function () {
    this.timeout(120_000);
    // Every request must succeed, so first wait for node-1's proxy to have the service's route.
    await untilRouted(cluster.api, 'node-1', 'http://web/');
    // The variables point at node-1's listener for the service; 127.0.0.1 bypasses the proxy (NO_PROXY).
    for (const [name, url] of [
      ['probe-env', 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)/'],
      ['probe-name', 'http://web/'],
      ['probe-fqdn', 'http://web.default.svc.cluster.local/'],
    ]) {
      const h = await probe(name!, url!, 9);
      assert.equal(h.length, 9, `${name}: ${JSON.stringify(h)}`);
      const perNode: Record<string, number> = {};
      for (const x of h) perNode[x.node ?? '?'] = (perNode[x.node ?? '?'] ?? 0) + 1;
      assert.deepEqual(perNode, { 'node-1': 3, 'node-2': 3, 'node-3': 3 }, `${name}: round-robin over the three nodes`);
    }
    const remote = (await webPods()).find((p) => p.spec.nodeName === 'node-3')!;
    const h = await probe('probe-ip', `http://${remote.status!.podIP}:8080/`, 3);
    assert.deepEqual(
      h.map((x) => [x.status, x.pod, x.node]),
      Array(3).fill([200, remote.metadata.name, 'node-3']),
    );
  });

  it('when the node of one endpoint dies, it leaves the Endpoints, requests keep succeeding, and the replacement gets traffic', async function () {
    this.timeout(120_000);
    const watcher: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'watcher', labels: { app: 'probe' } },
      spec: {
        nodeName: 'node-1',
        containers: [
          { name: 'client', image: 'client', args: ['--url', 'http://web/', '--rate', '10'], resources: { requests: { cpu: '50m', memory: '32Mi' } } },
        ],
      },
    };
    await cluster.api.create(watcher);
    await eventually('the watcher to see all three nodes', async () => new Set(hits(await logOf('watcher', 'client')).map((x) => x.node)).size === 3, {
      timeoutMs: 30_000,
    });
    const before = await webPods();
    const doomed = before.find((p) => p.spec.nodeName === 'node-3')!;
    const survivors = new Set(before.filter((p) => p !== doomed).map((p) => p.metadata.name));
    await cluster.killAgent('node-3');
    const killedAt = hits(await logOf('watcher', 'client')).length;
    await eventually('the dead node endpoint to leave the Endpoints', async () => !(await readyAddresses()).includes(doomed.status!.podIP!), {
      timeoutMs: 60_000,
    });
    const mark = hits(await logOf('watcher', 'client')).length;
    await eventually(
      'new requests to succeed on the surviving endpoints',
      async () => {
        const fresh = hits(await logOf('watcher', 'client')).slice(mark);
        return fresh.length >= 10 && fresh.every((x) => x.status === 200 && x.node !== 'node-3');
      },
      { timeoutMs: 30_000 },
    );
    const replacement = await eventually(
      'a Ready replacement pod',
      async () => {
        const ps = (await webPods()).filter((p) => !survivors.has(p.metadata.name) && p.metadata.name !== doomed.metadata.name);
        return ps.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      },
      { timeoutMs: 60_000 },
    );
    await eventually(
      'the replacement to receive traffic',
      async () => hits(await logOf('watcher', 'client')).some((x) => x.pod === replacement.metadata.name),
      { timeoutMs: 30_000 },
    );
    const after = hits(await logOf('watcher', 'client')).slice(mark);
    assert.ok(
      after.every((x) => x.status === 200),
      `every request after the endpoint left succeeded: ${JSON.stringify(after.filter((x) => x.status !== 200))}`,
    );
    // Even before the control plane noticed, a dial to the dead node was refused and retried on
    // another endpoint; at most a request caught in flight by the kill can have failed.
    const sinceKill = hits(await logOf('watcher', 'client')).slice(killedAt);
    assert.ok(
      sinceKill.filter((x) => x.status !== 200).length <= 1,
      `requests failed while the node was being noticed: ${JSON.stringify(sinceKill.filter((x) => x.status !== 200))}`,
    );
  });
});
