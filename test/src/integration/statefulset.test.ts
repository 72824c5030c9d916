// The docs' StatefulSet example (a headless Service `nginx` and a StatefulSet `web` with a
// volumeClaimTemplate `www`), on a real 2-node cluster: pods come up in order, web-0 then web-1;
// each gets a claim www-web-N bound to a directory under the data dir; a file written there
// survives deleting the pod, which comes back with the same name and claim; `web-0.nginx`
// reaches web-0 through the proxies from another pod; scaling down removes the highest ordinal
// first and keeps its claim; a pod whose claim cannot bind stays Pending with kube-scheduler's
// reason; and when web-0's node dies, web-0 comes back on the other node with its claim and data.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveClaimVolume, resolvePodClaims } from '@kip/agent';
import {
  ApiClient,
  ApiStatusError,
  isPodReady,
  readKubeconfig,
  type Event,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type Service,
  type StatefulSet,
} from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

const nginx: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'nginx', labels: { app: 'nginx' } },
  spec: { ports: [{ port: 80, name: 'web' }], clusterIP: 'None', selector: { app: 'nginx' } },
};

const web = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web' },
  spec: {
    selector: { matchLabels: { app: 'nginx' } },
    serviceName: 'nginx',
    replicas: 2,
    minReadySeconds: 0,
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'nginx',
            image: 'http-echo',
            ports: [{ containerPort: 80, name: 'web' }],
            resources: { requests: { cpu: '50m', memory: '32Mi' } },
            volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }],
          },
        ],
      },
    },
    volumeClaimTemplates: [
      { metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } } },
    ],
  },
} as unknown as StatefulSet;

const runningAndReady = (p: Pod | undefined) => !!p && !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && isPodReady(p);

describe('a StatefulSet with a headless Service and volume claims', function () {
  let cluster: TestCluster;

  before(async function () {
    this.timeout(60_000);
    // TLS, as kubectl sends its token only over https.
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
  });

  after(async function () {
    this.timeout(30_000);
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.dump());
  });

  const pod = (name: string) => cluster.api.get<Pod>('pods', name);
  const claim = (name: string) => cluster.api.get<PersistentVolumeClaim>('persistentvolumeclaims', name);

  async function logOf(name: string, container: string): Promise<string> {
    const res = await cluster.api.request<string>('GET', `/api/v1/namespaces/default/pods/${name}/log?container=${container}`);
    return typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  }

  /** An API client with the agents' join token: what an agent reads the claim's volume with. */
  function agentApi(): ApiClient {
    const kc = readKubeconfig(cluster.kubeconfig);
    return new ApiClient({ server: kc.server, token: cluster.token, ...(kc.caPem ? { ca: kc.caPem } : {}) });
  }

  it('creates web-0, then web-1 only once web-0 is Running and Ready, each with a Bound claim', async function () {
    this.timeout(90_000);
    await cluster.api.create(nginx);
    await cluster.api.create(web);
    // Watch closely: whenever web-1 exists, web-0 must already be Running and Ready.
    let sawWeb0Alone = false;
    await eventually(
      'web-0 and web-1 Running and Ready',
      async () => {
        const [p1, p0] = [await pod('web-1'), await pod('web-0')];
        if (p1) assert.ok(runningAndReady(p0), `web-1 exists while web-0 is not Running and Ready: ${JSON.stringify(p0?.status)}`);
        else if (p0) sawWeb0Alone = true;
        return runningAndReady(p0) && runningAndReady(p1);
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    assert.ok(sawWeb0Alone, 'web-0 was seen before web-1');
    for (const i of [0, 1]) {
      const p = (await pod(`web-${i}`))!;
      assert.equal(p.spec.hostname, `web-${i}`);
      assert.equal(p.spec.subdomain, 'nginx');
      assert.equal(p.metadata.labels?.['statefulset.kubernetes.io/pod-name'], `web-${i}`);
      assert.equal(p.metadata.labels?.['apps.kubernetes.io/pod-index'], String(i));
      assert.match(p.metadata.labels?.['controller-revision-hash'] ?? '', /^web-[a-z0-9]+$/);
      const c = await eventually(`www-web-${i} Bound`, async () => {
        const x = await claim(`www-web-${i}`);
        return x?.status?.phase === 'Bound' ? x : undefined;
      });
      assert.deepEqual(c.status?.capacity, { storage: '1Gi' });
      const pv = (await cluster.api.get<PersistentVolume>('persistentvolumes', c.spec.volumeName!, ''))!;
      assert.equal(pv.status?.phase, 'Bound');
      assert.equal(pv.spec.claimRef?.uid, c.metadata.uid);
      assert.equal(pv.spec.hostPath?.path, path.join(cluster.dataDir, 'volumes', pv.metadata.name));
      assert.ok(existsSync(pv.spec.hostPath!.path), 'the volume directory exists');
    }
    const events = await cluster.api.list<Event>('events', { namespace: 'default', fieldSelector: 'involvedObject.name=web' });
    const creates = events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message);
    assert.ok(creates.includes('create Pod web-0 in StatefulSet web successful'), creates.join('\n'));
    assert.ok(creates.includes('create Claim www-web-0 Pod web-0 in StatefulSet web success'), creates.join('\n'));
    const set = await eventually('status to count 2 ready', async () => {
      const s = await cluster.api.get<StatefulSet>('statefulsets', 'web');
      return s?.status?.readyReplicas === 2 && s.status.updatedReplicas === 2 ? s : undefined;
    });
    assert.equal(set.status?.currentRevision, set.status?.updateRevision);
    assert.equal(set.status?.availableReplicas, 2);
  });

  it('a file in web-0 claim survives deleting web-0, which comes back with the same name and claim', async function () {
    this.timeout(90_000);
    const before = (await pod('web-0'))!;
    const c = (await claim('www-web-0'))!;
    const dir = await resolveClaimVolume(agentApi(), 'default', 'www-web-0');
    writeFileSync(path.join(dir, 'index.html'), 'kept across restarts\n');
    await cluster.api.delete('pods', 'web-0');
    const after = await eventually(
      'a new web-0 Running and Ready',
      async () => {
        const p = await pod('web-0');
        return p && p.metadata.uid !== before.metadata.uid && runningAndReady(p) ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const volumes = (after.spec as { volumes?: unknown[] }).volumes;
    assert.deepEqual(volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-0' } }]);
    const again = (await claim('www-web-0'))!;
    assert.equal(again.metadata.uid, c.metadata.uid, 'the same claim');
    assert.equal(again.spec.volumeName, c.spec.volumeName);
    assert.equal(await resolveClaimVolume(agentApi(), 'default', 'www-web-0'), dir);
    assert.deepEqual(await resolvePodClaims(agentApi(), after), new Map([['www-web-0', dir]]));
    assert.equal(readFileSync(path.join(dir, 'index.html'), 'utf8'), 'kept across restarts\n');
  });

  it('the join token reads only the claims scheduled pods name', async function () {
    const api = agentApi();
    await assert.rejects(
      api.call('GET', '/api/v1/namespaces/default/persistentvolumeclaims'),
      (err: unknown) => err instanceof ApiStatusError && err.reason === 'Forbidden',
    );
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'unused' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } },
    } as PersistentVolumeClaim);
    await assert.rejects(
      api.call('GET', '/api/v1/namespaces/default/persistentvolumeclaims/unused'),
      (err: unknown) => err instanceof ApiStatusError && err.reason === 'Forbidden',
    );
  });

  it('web-0.nginx and web-1.nginx.default.svc.cluster.local reach their pods, and nginx reaches both, through the proxy from another pod', async function () {
    this.timeout(60_000);
    const urls = ['http://web-0.nginx/', 'http://web-1.nginx.default.svc.cluster.local/', 'http://nginx/'];
    const client: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe' },
      spec: {
        nodeName: 'node-1',
        restartPolicy: 'Never',
        containers: urls.map((url, i) => ({
          name: `c${i}`,
          image: 'client',
          args: ['--url', url, '--rate', '20', '--count', '6'],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        })),
      },
    };
    await cluster.api.create(client);
    const done = await eventually('the probe to finish', async () => {
      const p = await pod('probe');
      return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
    });
    const logs = await Promise.all(urls.map((_, i) => logOf('probe', `c${i}`)));
    assert.equal(done.status?.phase, 'Succeeded', logs.join('\n---\n'));
    const podsHit = (log: string) => [...log.matchAll(/ GET .*status=200.* pod=(\S+)/g)].map((m) => m[1]);
    assert.deepEqual(podsHit(logs[0]!), Array(6).fill('web-0'), logs[0]);
    assert.deepEqual(podsHit(logs[1]!), Array(6).fill('web-1'), logs[1]);
    const viaService = podsHit(logs[2]!);
    assert.equal(viaService.length, 6, logs[2]);
    assert.ok(
      viaService.every((p) => p === 'web-0' || p === 'web-1'),
      logs[2],
    );
  });

  it('kubectl scale to 1 removes web-1 and keeps its claim', async function () {
    this.timeout(60_000);
    requireKubectl();
    const r = await runKubectl(['scale', 'statefulset', 'web', '--replicas=1'], { kubeconfig: cluster.kubeconfig });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /statefulset\.apps\/web scaled/);
    await eventually('web-1 gone', async () => !(await pod('web-1')), { timeoutMs: 30_000 });
    assert.ok(runningAndReady(await pod('web-0')), 'web-0 stays');
    assert.equal((await claim('www-web-1'))?.status?.phase, 'Bound', 'the claim of a removed pod is retained');
    const events = await cluster.api.list<Event>('events', { namespace: 'default', fieldSelector: 'involvedObject.name=web' });
    assert.ok(events.some((e) => e.reason === 'SuccessfulDelete' && e.message === 'delete Pod web-1 in StatefulSet web successful'));
  });

  it('kubectl prints the set, its claims and volumes, and describes the set', async function () {
    this.timeout(60_000);
    requireKubectl();
    const kubectl = async (...args: string[]) => {
      const r = await runKubectl(args, { kubeconfig: cluster.kubeconfig });
      assert.equal(r.code, 0, r.err);
      return r.out;
    };
    assert.match(await kubectl('get', 'statefulset', 'web'), /^NAME\s+READY\s+AGE\nweb\s+1\/1\s+\S+\n$/);
    const pvcs = await kubectl('get', 'pvc');
    assert.match(pvcs, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+AGE$/m);
    assert.match(pvcs, /^www-web-0\s+Bound\s+pvc-[0-9a-f-]+\s+1Gi\s+RWO\s+standard\s+\S+$/m);
    assert.match(await kubectl('get', 'pv'), /^pvc-[0-9a-f-]+\s+1Gi\s+RWO\s+Delete\s+Bound\s+default\/www-web-0\s+standard\s+/m);
    const described = await kubectl('describe', 'statefulset', 'web');
    for (const line of [
      /^Name:\s+web$/m,
      /^Replicas:\s+1 desired \| 1 total$/m,
      /^Update Strategy:\s+RollingUpdate$/m,
      /^Volume Claims:$/m,
      /^\s+Capacity:\s+1Gi$/m,
    ])
      assert.match(described, line);
    assert.match(await kubectl('get', 'controllerrevisions'), /^web-[a-z0-9]+\s+statefulset\.apps\/web\s+1\s+/m);
    assert.match(await kubectl('get', 'all'), /^statefulset\.apps\/web\s+1\/1\s+/m);
    assert.match(await kubectl('rollout', 'status', 'statefulset/web', '--timeout=30s'), /partitioned roll out complete: 1 new pods have been updated/);
    assert.match(await kubectl('rollout', 'history', 'statefulset/web'), /^1\s+<none>$/m);
    assert.match(await kubectl('get', 'storageclass'), /^standard\s+kip\.dev\/local-path\s+Delete\s+Immediate\s+false\s+\S+$/m);
  });

  it('a pod whose claim cannot bind stays Pending with the scheduler reason', async function () {
    this.timeout(30_000);
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'slow' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'slow', resources: { requests: { storage: '1Gi' } } },
    } as PersistentVolumeClaim);
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'waits' },
      spec: {
        containers: [{ name: 'c', image: 'pause' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'slow' } }],
      },
    } as unknown as Pod);
    const event = await eventually('a FailedScheduling event', async () => {
      const evs = await cluster.api.list<Event>('events', { namespace: 'default', fieldSelector: 'involvedObject.name=waits' });
      return evs.find((e) => e.reason === 'FailedScheduling');
    });
    assert.equal(
      event.message,
      '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    assert.equal((await pod('waits'))?.status?.phase, 'Pending');
    assert.equal((await claim('slow'))?.status?.phase, 'Pending');
    // A volume of its class, made by hand, binds the claim, and the pod is scheduled and runs.
    await cluster.api.create(
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'by-hand' },
        spec: {
          capacity: { storage: '2Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'slow',
          hostPath: { path: path.join(cluster.dataDir, 'by-hand') },
        },
      } as PersistentVolume,
      '',
    );
    await eventually('the claim Bound to the volume made by hand', async () => (await claim('slow'))?.spec.volumeName === 'by-hand');
    await eventually('the pod Running', async () => (await pod('waits'))?.status?.phase === 'Running', { timeoutMs: 20_000 });
  });

  it('when the node of web-0 dies, web-0 comes back on the other node with the same claim and data', async function () {
    this.timeout(120_000);
    const before = (await pod('web-0'))!;
    const claimUid = (await claim('www-web-0'))!.metadata.uid;
    const dir = await resolveClaimVolume(agentApi(), 'default', 'www-web-0');
    await cluster.killAgent(before.spec.nodeName!);
    const after = await eventually(
      'web-0 Running and Ready on the other node',
      async () => {
        const p = await pod('web-0');
        return p && p.metadata.uid !== before.metadata.uid && p.spec.nodeName !== before.spec.nodeName && runningAndReady(p) ? p : undefined;
      },
      { timeoutMs: 90_000 },
    );
    assert.equal((await claim('www-web-0'))!.metadata.uid, claimUid);
    assert.deepEqual(await resolvePodClaims(agentApi(), after), new Map([['www-web-0', dir]]));
    assert.equal(readFileSync(path.join(dir, 'index.html'), 'utf8'), 'kept across restarts\n');
  });
});
