// ConfigMaps and Secrets in a real cluster: a pod takes variables from them (valueFrom and
// envFrom) and from the downward API, their keys as files in a volume that follows changes of the
// ConfigMap, and a pod whose ConfigMap is missing waits (CreateContainerConfigError) until it is
// created. What is checked is the container's real environment (/proc/<pid>/environ) and the real
// files in the pod's directory.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readKubeconfig, type ConfigMap, type KObject, type Pod, type Secret } from '@kip/shared';
import { TestApi } from '../helpers/api.js';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

function environOf(pod: Pod): Record<string, string> {
  const id = pod.status?.containerStatuses?.[0]?.containerID ?? '';
  const pid = Number(/^kip:\/\/(\d+)$/.exec(id)?.[1]);
  assert.ok(pid > 0, `a running container has a pid: ${id}`);
  const raw = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

describe('ConfigMaps, Secrets, env sources and volumes', function () {
  let cluster: TestCluster;

  before(async function () {
    cluster = await TestCluster.start({ nodes: 2 });
  });

  after(async function () {
    await cluster?.stop();
  });

  const podDir = (pod: Pod) => path.join(cluster.dataDir, 'nodes', pod.spec.nodeName!, 'pods', `default_${pod.metadata.name}_${pod.metadata.uid}`);

  async function running(name: string): Promise<Pod> {
    return eventually(
      `pod ${name} running`,
      async () => {
        const p = await cluster.api.get<Pod>('pods', name);
        return p?.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }

  it('gives a container variables from a ConfigMap key, a Secret key, envFrom and fieldRef, and files that follow the ConfigMap', async function () {
    await cluster.api.create<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config' },
      data: { MODE: 'production', LOG_LEVEL: 'debug', 'app.conf': 'level=1\n' },
    } as KObject);
    const secret = await cluster.api.create<Secret>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-creds' },
      stringData: { username: 'admin', password: 's3cret pass' },
    } as KObject);
    // stringData is merged into data, base64, on write.
    assert.equal(secret.type, 'Opaque');
    assert.deepEqual(secret.data, { username: Buffer.from('admin').toString('base64'), password: Buffer.from('s3cret pass').toString('base64') });
    assert.equal((secret as { stringData?: unknown }).stringData, undefined);

    await cluster.api.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'env-pod', labels: { app: 'env' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c', 'env; sleep 3600'],
            env: [
              { name: 'APP_MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'MODE' } } },
              { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-creds', key: 'password' } } },
              { name: 'MY_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'MEM_LIMIT_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'OPTIONAL_MISSING', valueFrom: { configMapKeyRef: { name: 'nowhere', key: 'x', optional: true } } },
            ],
            envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }, { secretRef: { name: 'db-creds' } }],
            resources: { limits: { memory: '64Mi' } },
            volumeMounts: [
              { name: 'config', mountPath: '/etc/app' },
              { name: 'scratch', mountPath: '/scratch' },
            ],
          },
        ],
        volumes: [
          { name: 'config', configMap: { name: 'app-config', items: [{ key: 'app.conf', path: 'app.conf' }] } },
          { name: 'scratch', emptyDir: {} },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
      },
    } as KObject);
    const pod = await running('env-pod');

    const env = environOf(pod);
    assert.equal(env.APP_MODE, 'production');
    assert.equal(env.DB_PASSWORD, 's3cret pass');
    assert.equal(env.MY_POD_NAME, 'env-pod');
    assert.equal(env.MY_NODE, pod.spec.nodeName);
    assert.equal(env.MEM_LIMIT_MI, '64');
    assert.equal(env.CFG_MODE, 'production');
    assert.equal(env.CFG_LOG_LEVEL, 'debug');
    assert.equal(env.username, 'admin');
    assert.equal(env.password, 's3cret pass');
    assert.equal('OPTIONAL_MISSING' in env, false);

    const dir = podDir(pod);
    const confFile = path.join(dir, 'volumes', 'config', 'app.conf');
    assert.equal(fs.readFileSync(confFile, 'utf8'), 'level=1\n');
    assert.equal(fs.readlinkSync(confFile), '..data/app.conf');
    assert.ok(fs.statSync(path.join(dir, 'volumes', 'scratch')).isDirectory());
    assert.equal(fs.readFileSync(path.join(dir, 'volumes', 'info', 'labels'), 'utf8'), 'app="env"');

    // The ConfigMap changes: the file follows within seconds, the running container is left alone.
    await cluster.api.patch('configmaps', 'app-config', { data: { 'app.conf': 'level=2\n' } });
    await eventually('the volume file follows the ConfigMap', () => fs.readFileSync(confFile, 'utf8') === 'level=2\n', { timeoutMs: 15_000 });
    const after = (await cluster.api.get<Pod>('pods', 'env-pod'))!;
    assert.equal(after.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(after.status?.containerStatuses?.[0]?.containerID, pod.status?.containerStatuses?.[0]?.containerID);
  });

  it('keeps a container waiting with CreateContainerConfigError until its ConfigMap exists, then runs it', async function () {
    await cluster.api.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'waiter' },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c', 'sleep 3600'],
            env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'late-config', key: 'greeting' } } }],
          },
        ],
      },
    } as KObject);
    const waiting = await eventually(
      'waiter waits for its config',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'waiter');
        return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message, 'configmap "late-config" not found');
    assert.equal(waiting.status?.phase, 'Pending');
    const events = await cluster.api.list<KObject & { reason: string; message: string }>('events', { fieldSelector: 'involvedObject.name=waiter' });
    assert.ok(
      events.some((e) => e.reason === 'Failed' && e.message === 'Error: configmap "late-config" not found'),
      JSON.stringify(events.map((e) => e.message)),
    );

    await cluster.api.create<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late-config' }, data: { greeting: 'hello' } } as KObject);
    const pod = await running('waiter');
    assert.equal(environOf(pod).GREETING, 'hello');
    assert.equal(pod.status?.containerStatuses?.[0]?.restartCount, 0);
  });

  it('lets no agent read a Secret through the API: the join token is refused', async function () {
    const kc = readKubeconfig(cluster.kubeconfig);
    const asNode = new TestApi(cluster.url, { token: cluster.token, ...(kc.caPem ? { ca: kc.caPem } : {}) });
    for (const p of ['/api/v1/namespaces/default/secrets/db-creds', '/api/v1/namespaces/default/secrets', '/api/v1/namespaces/default/configmaps/app-config'])
      assert.equal((await asNode.request('GET', p)).status, 403, p);
  });

  it('refuses bad references with field errors naming each field', async function () {
    const res = await cluster.api.request('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad' },
      spec: {
        containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'nope', mountPath: '/x' }], env: [{ name: 'X', valueFrom: {} }] }],
        volumes: [{ name: 'v' }],
      },
    });
    // kip answers an invalid object 400 with reason Invalid (errors.ts), one cause per field.
    assert.equal((res.body as { reason?: string }).reason, 'Invalid', JSON.stringify(res.body));
    const causes = (res.body as { details?: { causes?: { field: string; message: string }[] } }).details?.causes ?? [];
    const fields = causes.map((c) => c.field);
    assert.ok(fields.includes('spec.containers[0].volumeMounts[0].name'), JSON.stringify(causes));
    assert.ok(fields.includes('spec.containers[0].env[0].valueFrom'), JSON.stringify(causes));
    assert.ok(fields.includes('spec.volumes[0]'), JSON.stringify(causes));
  });
});
