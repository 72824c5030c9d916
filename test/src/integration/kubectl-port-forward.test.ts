// `kubectl port-forward` with the real kubectl 1.32, which first tunnels SPDY through a WebSocket
// (SPDY/3.1+portforward.k8s.io) and falls back to a plain SPDY upgrade: HTTP through the forwarded
// port reaches the pod, over several connections; a port nothing listens on is reported by kubectl;
// svc/NAME is resolved to one of the service's pods. Also a 50 MB download through kubectl's and
// kip's port-forward, whose rates the test prints.

import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { bufferIO, main } from '@kip/scripts';
import type { Endpoints, Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { KUBECTL, requireKubectl } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

const BIG = 50 * 1024 * 1024;

/** A running `kubectl port-forward`: the local port it printed, what it said, and how to stop it. */
interface Forward {
  child: ChildProcessWithoutNullStreams;
  port: number;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

async function kubectlForward(kubeconfig: string, args: string[], env: Record<string, string> = {}): Promise<Forward> {
  const child = spawn(KUBECTL, ['port-forward', ...args], { env: { ...process.env, ...env, KUBECONFIG: kubeconfig } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await eventually('kubectl to print its local port', async () => {
      if (child.exitCode !== null) throw new Error(`kubectl port-forward exited ${child.exitCode}: ${err}`);
      return /Forwarding from 127\.0\.0\.1:\d+ -> \d+/.test(out);
    });
  } catch (e) {
    child.kill();
    throw e;
  }
  const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)![1]);
  return { child, port, out: () => out, err: () => err, exited };
}

async function stop(f: Forward | undefined): Promise<void> {
  if (!f || f.child.exitCode !== null) return;
  f.child.kill();
  await f.exited;
}

/** Downloads a URL to its end; resolves with the byte count and the rate. */
async function download(url: string): Promise<{ bytes: number; perSecond: number }> {
  const start = process.hrtime.bigint();
  const res = await fetch(url);
  let bytes = 0;
  for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { bytes, perSecond: bytes / seconds };
}

describe('kubectl port-forward', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let echoPod: string;

  before(async function () {
    requireKubectl();
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
    await cluster.api.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echo' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'echo' } },
        template: {
          metadata: { labels: { app: 'echo' } },
          spec: {
            containers: [
              {
                name: 'echo',
                image: 'http-echo',
                args: ['-listen=:8080'],
                ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }],
                readinessProbe: { httpGet: { port: 'http' }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    } as never);
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo' },
      spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 'http' }] },
    } as never);
    // A pod that serves BIG bytes, for the throughput figures.
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'big' },
      spec: {
        containers: [
          {
            name: 'big',
            image: 'node',
            command: [
              'node',
              '-e',
              `const body = Buffer.alloc(${BIG}, 120); require('node:http').createServer((q, r) => r.end(body)).listen(Number(process.env.KIP_HOST_PORT_8080 || 8080), '127.0.0.1')`,
            ],
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    } as never);
    await eventually(
      'the echo pods and the big pod to be ready',
      async () => {
        const ep = await cluster.api.get<Endpoints>('endpoints', 'echo');
        const big = await cluster.api.get<Pod>('pods', 'big');
        return (ep?.subsets?.[0]?.addresses?.length ?? 0) === 2 && big?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      },
      { timeoutMs: 90_000 },
    );
    const pods = await cluster.api.list<Pod>('pods', { labelSelector: 'app=echo' });
    echoPod = pods[0]!.metadata.name;
  });

  after(async () => {
    await cluster?.stop();
  });

  // -v=4 makes kubectl log which dialer it used, so a tunnel refused (and fallen back from) is seen.
  for (const [transport, env, used] of [
    ['the WebSocket tunnel', {}, /negotiated protocol: portforward\.k8s\.io/],
    ['a plain SPDY upgrade', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, /^(?![\s\S]*negotiated protocol)/],
  ] as const) {
    it(`forwards several connections to a pod over ${transport}`, async () => {
      let f: Forward | undefined;
      try {
        f = await kubectlForward(cluster.kubeconfig, ['-v=4', `pod/${echoPod}`, ':8080'], env);
        assert.match(f.out(), new RegExp(`Forwarding from 127\\.0\\.0\\.1:${f.port} -> 8080`));
        assert.match(f.err(), used);
        assert.doesNotMatch(f.err(), /fallback to secondary dialer/);
        // One after another, then several at once: each is its own pair of SPDY streams.
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`http://127.0.0.1:${f.port}/one-${i}`);
          assert.equal(res.status, 200);
          assert.equal(((await res.json()) as { pod: string }).pod, echoPod);
        }
        const answers = await Promise.all(
          [1, 2, 3, 4].map(async (i) => {
            const res = await fetch(`http://127.0.0.1:${f!.port}/many-${i}`, { headers: { connection: 'close' } });
            return ((await res.json()) as { pod: string }).pod;
          }),
        );
        assert.deepEqual(answers, [echoPod, echoPod, echoPod, echoPod]);
        assert.equal(f.child.exitCode, null, f.err());
      } finally {
        await stop(f);
      }
    });
  }

  it('reports a port nothing listens on, as kubectl reports the kubelet error, and serves the next forward', async () => {
    let f: Forward | undefined;
    try {
      f = await kubectlForward(cluster.kubeconfig, [`pod/${echoPod}`, ':9090']);
      await assert.rejects(fetch(`http://127.0.0.1:${f.port}/`));
      await eventually('kubectl to print the error', async () => /an error occurred forwarding \d+ -> 9090: error forwarding port 9090 to pod/.test(f!.err()));
      // kubectl 1.32 closes its connection after an error stream says something, then exits, as
      // it does against a real cluster.
      assert.equal(await f.exited, 1, f.err());
      assert.match(f.err(), /lost connection to pod/);
    } finally {
      await stop(f);
    }
    // The API server is still there for the next forward.
    const again = await kubectlForward(cluster.kubeconfig, [`pod/${echoPod}`, ':8080']);
    try {
      const res = await fetch(`http://127.0.0.1:${again.port}/`);
      assert.equal(res.status, 200);
    } finally {
      await stop(again);
    }
  });

  it('forwards svc/NAME to one of its pods, by the service port', async () => {
    let f: Forward | undefined;
    try {
      f = await kubectlForward(cluster.kubeconfig, ['svc/echo', ':80']);
      // kubectl maps the service port to the pod's container port.
      assert.match(f.out(), /-> 8080/);
      const pods = (await cluster.api.list<Pod>('pods', { labelSelector: 'app=echo' })).map((p) => p.metadata.name);
      const res = await fetch(`http://127.0.0.1:${f.port}/`);
      assert.ok(pods.includes(((await res.json()) as { pod: string }).pod));
    } finally {
      await stop(f);
    }
  });

  it('forwards deploy/NAME to one of its pods', async () => {
    let f: Forward | undefined;
    try {
      f = await kubectlForward(cluster.kubeconfig, ['deploy/echo', ':http']);
      assert.match(f.out(), /-> 8080/);
      const pods = (await cluster.api.list<Pod>('pods', { labelSelector: 'app=echo' })).map((p) => p.metadata.name);
      const res = await fetch(`http://127.0.0.1:${f.port}/`);
      assert.ok(pods.includes(((await res.json()) as { pod: string }).pod));
    } finally {
      await stop(f);
    }
  });

  it('carries a 50 MB download intact through kubectl and through kip port-forward', async () => {
    let f: Forward | undefined;
    const abort = new AbortController();
    const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, signal: abort.signal });
    const kip = main(['port-forward', 'pod/big', ':8080'], io);
    try {
      f = await kubectlForward(cluster.kubeconfig, ['pod/big', ':8080']);
      const viaKubectl = await download(`http://127.0.0.1:${f.port}/`);
      assert.equal(viaKubectl.bytes, BIG);
      await io.stdout.until((t) => /Forwarding from 127\.0\.0\.1:\d+/.test(t), 10_000);
      const kipPort = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(io.stdout.text())![1]);
      const viaKip = await download(`http://127.0.0.1:${kipPort}/`);
      assert.equal(viaKip.bytes, BIG);
      const mb = (r: { perSecond: number }) => (r.perSecond / 1024 / 1024).toFixed(1);
      console.log(`      50 MB download: kubectl port-forward ${mb(viaKubectl)} MB/s, kip port-forward ${mb(viaKip)} MB/s`);
    } finally {
      await stop(f);
      abort.abort();
      await kip;
    }
  });
});
