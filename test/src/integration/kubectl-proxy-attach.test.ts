// The proxy subresource and `kubectl attach` with the real kubectl: `kubectl proxy` then a service's
// proxy path reaches one of its pods through the control plane and the pod's node agent, as does
// `kubectl get --raw` of a pod's proxy path; attach joins a running container's streams.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type { Endpoints, Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { KUBECTL, requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

/** Starts `kubectl proxy` on a free port; resolves with its address once it says it serves. */
function startKubectlProxy(kubeconfig: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(KUBECTL, ['proxy', '--port=0'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubectl proxy did not start serving in 30 s; it said: ${said}`));
    }, 30_000);
    const read = (chunk: Buffer) => {
      said += chunk.toString();
      const m = /Starting to serve on (127\.0\.0\.1:\d+)/.exec(said);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: `http://${m[1]}` });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl proxy exited (${code}): ${said}`));
    });
  });
}

describe('kubectl proxy and attach', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let proxy: ChildProcess | undefined;
  let base = '';
  let pods: string[] = [];

  const kubectl = (args: string[], input?: string): Promise<KubectlRun> => runKubectl(args, { kubeconfig: cluster.kubeconfig, input });

  before(async function () {
    requireKubectl();
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
    const applied = await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: echo
        image: http-echo
        args: ["-listen=:8080"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {port: http, path: /healthz}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: web, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nothing-has-this}
  ports: [{port: 80}]
`,
    );
    assert.equal(applied.code, 0, applied.err);
    await eventually(
      'two ready endpoints of web',
      async () => {
        const ep = await cluster.api.get<Endpoints>('endpoints', 'web');
        pods = (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.targetRef?.name ?? ''));
        return pods.length === 2;
      },
      { timeoutMs: 90_000 },
    );
    ({ child: proxy, base } = await startKubectlProxy(cluster.kubeconfig));
  });

  after(async () => {
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((r) => proxy!.once('exit', r));
      proxy.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
  });

  it('reaches a ready pod of a service through kubectl proxy, by service port number and name', async () => {
    const res = await fetch(`${base}/api/v1/namespaces/default/services/web:80/proxy/hello/there?x=1`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { pod: string; path: string; method: string };
    assert.ok(pods.includes(body.pod), `answered by ${body.pod}, one of ${pods.join(', ')}`);
    assert.equal(body.path, '/hello/there?x=1');
    assert.equal(body.method, 'GET');
    assert.equal(res.headers.get('x-kip-pod'), body.pod);
    const byName = await fetch(`${base}/api/v1/namespaces/default/services/web:web/proxy/`);
    assert.equal(byName.status, 200);
    assert.equal(((await byName.json()) as { path: string }).path, '/');
  });

  it('relays other methods and their bodies', async () => {
    const res = await fetch(`${base}/api/v1/namespaces/default/services/web:80/proxy/things`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(100_000),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const body = JSON.parse(text) as { method: string; path: string };
    assert.deepEqual([body.method, body.path], ['POST', '/things']);
  });

  it('serves a pod by NAME:PORT with kubectl get --raw', async () => {
    const r = await kubectl(['get', '--raw', `/api/v1/namespaces/default/pods/${pods[0]}:8080/proxy/raw`]);
    assert.equal(r.code, 0, r.err);
    const body = JSON.parse(r.out) as { pod: string; path: string };
    assert.deepEqual([body.pod, body.path], [pods[0], '/raw']);
    // Without a port, the first one the pod's containers declare.
    const first = await kubectl(['get', '--raw', `/api/v1/namespaces/default/pods/${pods[1]}/proxy/`]);
    assert.equal(first.code, 0, first.err);
    assert.equal((JSON.parse(first.out) as { pod: string }).pod, pods[1]);
  });

  it('words its refusals as the API server does', async () => {
    const none = await kubectl(['get', '--raw', '/api/v1/namespaces/default/services/empty:80/proxy/']);
    assert.notEqual(none.code, 0);
    assert.match(none.err, /ServiceUnavailable.*no endpoints available for service "empty"/);
    const missing = await fetch(`${base}/api/v1/namespaces/default/services/nope:80/proxy/`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { message: string }).message, /services "nope" not found/);
    const port = await fetch(`${base}/api/v1/namespaces/default/services/web:81/proxy/`);
    assert.equal(port.status, 503);
    assert.match(((await port.json()) as { message: string }).message, /no service port 81 found for service "web"/);
    const closed = await fetch(`${base}/api/v1/namespaces/default/pods/${pods[0]}:9/proxy/`);
    assert.equal(closed.status, 503);
    assert.match(((await closed.json()) as { message: string }).message, /error trying to reach service/);
  });

  describe('attach', () => {
    before(async () => {
      for (const pod of [
        { name: 'talker', command: 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done', stdin: false },
        { name: 'reader', command: 'while read l; do echo "got $l"; done; echo "stdin closed"', stdin: true },
      ])
        await cluster.api.create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: pod.name },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', pod.command], stdin: pod.stdin, stdinOnce: pod.stdin }],
          },
        } as Pod);
      for (const name of ['talker', 'reader'])
        await eventually(`${name} to run`, async () => (await cluster.api.get<Pod>('pods', name))?.status?.phase === 'Running', { timeoutMs: 60_000 });
    });

    it("streams a running container's output from the attach on, and leaves it running when it detaches", async () => {
      await eventually('talker to have ticked 5 times', async () => (await kubectl(['logs', 'talker'])).out.includes('tick 5'), { timeoutMs: 30_000 });
      const child = spawn(KUBECTL, ['attach', 'talker', '-c', 'main'], {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await eventually('three ticks through attach', async () => (out.match(/^tick \d+$/gm) ?? []).length >= 3, { timeoutMs: 30_000 });
      } finally {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      const ticks = (out.match(/^tick \d+$/gm) ?? []).map((l) => Number(l.split(' ')[1]));
      assert.ok(ticks[0]! >= 5, `the first tick attached to was ${ticks[0]}: output from before the attach came too`);
      for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i], ticks[i - 1]! + 1, out);
      const pod = await cluster.api.get<Pod>('pods', 'talker');
      assert.equal(pod?.status?.phase, 'Running');
      assert.equal(pod?.status?.containerStatuses?.[0]?.restartCount, 0);
    });

    it('feeds stdin with -i to a container that keeps it open, and closes it at the end (stdinOnce)', async () => {
      const r = await kubectl(['attach', '-i', 'reader', '-c', 'main'], 'one\ntwo\n');
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'got one\ngot two\nstdin closed\n');
      await eventually('reader to finish', async () => (await cluster.api.get<Pod>('pods', 'reader'))?.status?.phase === 'Succeeded', { timeoutMs: 30_000 });
    });

    it('runs kubectl run -i --rm: attached to the new pod, which is deleted afterwards', async () => {
      const r = await kubectl(['run', 'runner', '--image=busybox', '-i', '--rm', '--restart=Never', '--', 'sh', '-c', 'read l; echo "hello $l"'], 'world\n');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /hello world/);
      await eventually('the pod to be deleted', async () => (await cluster.api.get<Pod>('pods', 'runner')) === undefined, { timeoutMs: 30_000 });
    });

    it('refuses a completed pod and a wrong container, as the API server', async () => {
      const done = await kubectl(['attach', 'reader', '-c', 'main']);
      assert.notEqual(done.code, 0);
      assert.match(done.err, /cannot attach to a container in a completed pod; current phase is Succeeded|pod reader is not running|completed/);
      const wrong = await kubectl(['attach', 'talker', '-c', 'nope']);
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.err, /container nope (is not valid for pod talker|not found)/);
    });
  });
});
