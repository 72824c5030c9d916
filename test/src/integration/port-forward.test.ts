// kip expose and kip port-forward against a real cluster: a Deployment becomes a Service, and a
// local port on the host reaches its pods through the control plane and the nodes' agents.

import assert from 'node:assert/strict';
import { bufferIO } from '@kip/scripts';
import { main } from '@kip/scripts';
import type { Endpoints, Pod, Service } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

describe('kip expose and kip port-forward', function () {
  let cluster: TestCluster;

  before(async function () {
    cluster = await TestCluster.start({ nodes: 2 });
  });

  after(async function () {
    await cluster?.stop();
  });

  async function kip(argv: string[], signal?: AbortSignal) {
    const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, ...(signal ? { signal } : {}) });
    const code = await main(argv, io);
    return { code, out: io.stdout.text(), err: io.stderr.text(), io };
  }

  it('exposes a Deployment as a Service whose endpoints are its pods', async function () {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - name: echo
        image: http-echo
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {port: http}, periodSeconds: 1}
`;
    const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, stdin: manifest });
    assert.equal(await main(['apply', '-f', '-'], io), 0, io.stderr.text());
    const r = await kip(['expose', 'deployment/echo', '--port', '80', '--target-port', 'http']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /service\/echo exposed/);
    const svc = await cluster.api.get<Service>('services', 'echo');
    assert.match(svc!.spec.clusterIP!, /^10\.96\./);
    assert.deepEqual(svc!.spec.selector, { app: 'echo' });
    await eventually('2 ready endpoints', async () => {
      const ep = await cluster.api.get<Endpoints>('endpoints', 'echo');
      return (ep?.subsets?.[0]?.addresses?.length ?? 0) === 2 && ep!.subsets![0]!.ports![0]!.port === 8080;
    });
    const bad = await kip(['expose', 'deployment/echo']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /port/);
  });

  it('forwards a local port to the service and to a pod, and says when the target is wrong', async function () {
    const abort = new AbortController();
    const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, signal: abort.signal });
    const done = main(['port-forward', 'svc/echo', ':80'], io);
    await io.stdout.until((t) => /Forwarding from 127\.0\.0\.1:\d+ -> 80/.test(t), 10_000);
    const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(io.stdout.text())![1]);
    const pods = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`http://127.0.0.1:${local}/`);
      assert.equal(res.status, 200);
      pods.add(((await res.json()) as { pod: string }).pod);
    }
    assert.equal(pods.size, 2, `requests reached both endpoints: ${[...pods].join(', ')}`);
    abort.abort();
    assert.equal(await done, 0);

    // A pod, by name and named port.
    const pod = (await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=echo' }))[0]!;
    const abortPod = new AbortController();
    const ioPod = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, signal: abortPod.signal });
    const donePod = main(['port-forward', `pod/${pod.metadata.name}`, ':http'], ioPod);
    await ioPod.stdout.until((t) => /Forwarding from/.test(t), 10_000);
    const podPort = Number(/127\.0\.0\.1:(\d+)/.exec(ioPod.stdout.text())![1]);
    const res = await fetch(`http://127.0.0.1:${podPort}/`);
    assert.equal(((await res.json()) as { pod: string }).pod, pod.metadata.name);
    abortPod.abort();
    assert.equal(await donePod, 0);

    const missing = await kip(['port-forward', 'svc/nope', '8080:80']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /services "nope" not found/);
  });
});
