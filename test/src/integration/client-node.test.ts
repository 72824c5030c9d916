// The official JavaScript client, @kubernetes/client-node 1.4.0, against a real kip cluster with
// the kubeconfig the control plane wrote: typed lists, create, merge and strategic merge patches,
// delete, an informer (list then watch) that sees pods come, change and go, Exec over WebSocket with
// the exit status from its status callback, and Log following a container.

import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import type { Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

type K8s = typeof import('@kubernetes/client-node');

/** A Writable that keeps what it was given, as text. */
function collector(): Writable & { text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return Object.assign(w, { text: () => text });
}

describe('@kubernetes/client-node against kip', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let k8s: K8s;
  let kc: InstanceType<K8s['KubeConfig']>;
  let core: InstanceType<K8s['CoreV1Api']>;
  let apps: InstanceType<K8s['AppsV1Api']>;

  before(async function () {
    k8s = await import('@kubernetes/client-node');
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('lists nodes and pods with the typed API', async () => {
    const nodes = await core.listNode();
    assert.deepEqual(nodes.items.map((n) => n.metadata?.name).sort(), ['node-1', 'node-2']);
    assert.ok(nodes.items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')));
    const pods = await core.listPodForAllNamespaces();
    assert.ok(Array.isArray(pods.items));
    assert.match(pods.metadata?.resourceVersion ?? '', /^\d+$/);
  });

  it('creates, merge-patches, strategic-merge-patches and deletes a ConfigMap and a Deployment', async () => {
    const namespace = 'default';
    const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { color: 'blue' } } });
    assert.equal(cm.data?.color, 'blue');
    const merged = await core.patchNamespacedConfigMap(
      { name: 'settings', namespace, body: { data: { size: 'large' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.data, { color: 'blue', size: 'large' });

    const dep = await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'app' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'app' } },
          template: {
            metadata: { labels: { app: 'app' } },
            spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], env: [{ name: 'A', value: '1' }] }] },
          },
        },
      },
    });
    assert.equal(dep.metadata?.name, 'app');
    // A strategic merge patch merges the containers list by name, and env by name within it.
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'app',
        namespace,
        body: { spec: { replicas: 2, template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '2' }] }] } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    assert.equal(patched.spec?.replicas, 2);
    const main = patched.spec?.template.spec?.containers.find((c) => c.name === 'main');
    assert.equal(main?.image, 'busybox');
    assert.deepEqual(main?.env?.map((e) => `${e.name}=${e.value}`).sort(), ['A=1', 'B=2']);
    await eventually('2 ready replicas', async () => (await apps.readNamespacedDeployment({ name: 'app', namespace })).status?.readyReplicas === 2, {
      timeoutMs: 90_000,
    });

    await core.deleteNamespacedConfigMap({ name: 'settings', namespace });
    await apps.deleteNamespacedDeployment({ name: 'app', namespace });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'settings', namespace }), (e: { code?: number }) => e.code === 404);
    await eventually('the deployment gone', async () => !(await apps.listNamespacedDeployment({ namespace })).items.some((d) => d.metadata?.name === 'app'));
  });

  it('keeps an informer in step with pods that come, change and go', async () => {
    const namespace = 'default';
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace }), 'watched=yes');
    const seen: string[] = [];
    informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
    informer.on('update', (p) => seen.push(`update ${p.metadata?.name} ${p.metadata?.labels?.stage ?? ''}`));
    informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'watched', labels: { watched: 'yes' } },
          spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 1 },
        },
      });
      await eventually('the informer to see the pod added', async () => seen.includes('add watched'));
      await core.patchNamespacedPod(
        { name: 'watched', namespace, body: { metadata: { labels: { stage: 'two' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await eventually(
        'the informer to see the label',
        async () => seen.includes('update watched two') && informer.get('watched', namespace)?.metadata?.labels?.stage === 'two',
      );
      await core.deleteNamespacedPod({ name: 'watched', namespace, gracePeriodSeconds: 0 });
      await eventually('the informer to see the pod deleted', async () => seen.includes('delete watched') && informer.get('watched', namespace) === undefined, {
        timeoutMs: 60_000,
      });
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  describe('streams', () => {
    before(async () => {
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: 'talker' },
          spec: {
            containers: [
              { name: 'main', image: 'busybox', command: ['sh', '-c', 'i=0; while true; do echo tick $i; echo tock $i >&2; i=$((i+1)); sleep 0.2; done'] },
            ],
          },
        },
      });
      await eventually('talker to run', async () => (await cluster.api.get<Pod>('pods', 'talker'))?.status?.phase === 'Running', { timeoutMs: 60_000 });
    });

    it('runs a command with Exec and reads its exit status from the status callback', async () => {
      const out = collector();
      const err = collector();
      const status = await new Promise<{ status?: string; details?: { causes?: { reason?: string; message?: string }[] } }>((resolve, reject) => {
        new k8s.Exec(kc).exec('default', 'talker', 'main', ['sh', '-c', 'echo $HOSTNAME; echo oops >&2; exit 3'], out, err, null, false, resolve).catch(reject);
      });
      assert.equal(status.status, 'Failure');
      assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
      await eventually('the output', async () => out.text() === 'talker\n' && err.text() === 'oops\n');
      const ok = await new Promise<{ status?: string }>((resolve, reject) => {
        new k8s.Exec(kc).exec('default', 'talker', 'main', ['true'], null, null, null, false, resolve).catch(reject);
      });
      assert.equal(ok.status, 'Success');
    });

    it('attaches with Attach: stdout and stderr apart, or merged on a terminal', async () => {
      for (const tty of [false, true]) {
        const out = collector();
        const err = collector();
        const ws = await new k8s.Attach(kc).attach('default', 'talker', 'main', out, err, null, tty);
        try {
          await eventually(`ticks and tocks (tty ${tty})`, async () => /tick \d+/.test(out.text()) && /tock \d+/.test(tty ? out.text() : err.text()));
        } finally {
          ws.close();
        }
        if (tty) assert.equal(err.text(), '');
        else assert.doesNotMatch(out.text(), /tock/);
      }
      assert.equal((await cluster.api.get<Pod>('pods', 'talker'))?.status?.phase, 'Running');
    });

    it('follows a log with Log', async () => {
      const stream = new PassThrough();
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      const controller = await new k8s.Log(kc).log('default', 'talker', 'main', stream, { follow: true, tailLines: 1 });
      try {
        // Lines keep coming after the call returned: it follows, it did not just read what was there.
        await eventually('three more lines', async () => text.split('\n').filter((l) => /^tick \d+$/.test(l)).length >= 4, { timeoutMs: 30_000 });
        const ticks = text
          .split('\n')
          .filter((l) => l.startsWith('tick '))
          .map((l) => Number(l.split(' ')[1]));
        for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i], ticks[i - 1]! + 1, text);
      } finally {
        controller.abort();
      }
    });
  });
});
