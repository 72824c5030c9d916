// Two control planes on one etcd (`--store etcd://...` with the same prefix): what one stores, the
// other serves, to a get and to a watch that was open before the write, as two Kubernetes API
// servers on one etcd do. (Which of them runs the controllers is leader election's business.)

import assert from 'node:assert/strict';
import type { ConfigMap, KObject, WatchEvent } from '@kip/shared';
import { startEtcd, type EtcdServer } from '@kip/scripts';
import { requireEtcd } from '../helpers/etcd.js';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';
import { WatchRecorder } from '../helpers/watch.js';

describe('two control planes on one etcd', function () {
  this.timeout(180_000);
  let etcd: EtcdServer | undefined;
  const clusters: TestCluster[] = [];

  before(async function () {
    requireEtcd();
    etcd = await startEtcd();
  });
  after(async () => {
    for (const c of clusters.splice(0)) await c.stop();
    await etcd?.stop();
  });

  it("serves each other's writes: get, list and a watch opened before the write", async () => {
    const store = ['--store', `${etcd!.url}/kip-two-${process.pid}`];
    const a = await TestCluster.start({ nodes: 0, controlPlaneArgs: store });
    clusters.push(a);
    const b = await TestCluster.start({ nodes: 0, controlPlaneArgs: store });
    clusters.push(b);

    const seenByB: WatchEvent<ConfigMap>[] = [];
    const rv = (await b.api.request<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion;
    const watch = WatchRecorder.start<ConfigMap>(b.api, `/api/v1/namespaces/default/configmaps?resourceVersion=${rv}`, (ev) => seenByB.push(ev));
    try {
      const created = await a.api.create<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' }, data: { from: 'a' } } as KObject);
      await eventually('b to serve what a stored', async () => (await b.api.list<ConfigMap>('configmaps')).some((c) => c.metadata.name === 'shared'));
      const fromB = (await b.api.get<ConfigMap>('configmaps', 'shared'))!;
      assert.equal(fromB.metadata.uid, created.metadata.uid);
      assert.equal(fromB.metadata.resourceVersion, created.metadata.resourceVersion, 'one resourceVersion: etcd revision');

      // b updates it; a stale update through a is then a Conflict, as on one API server.
      const put = await b.api.request<ConfigMap>('PUT', '/api/v1/namespaces/default/configmaps/shared', { ...fromB, data: { from: 'b' } });
      assert.equal(put.status, 200);
      const updated = put.body;
      const stale = await a.api.request('PUT', '/api/v1/namespaces/default/configmaps/shared', { ...created, data: { from: 'stale a' } });
      assert.equal(stale.status, 409);
      await eventually('b to see both changes through its watch', () => seenByB.length >= 2, { timeoutMs: 30_000 });
      assert.deepEqual(
        seenByB.map((e) => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`),
        [`ADDED shared@${created.metadata.resourceVersion}`, `MODIFIED shared@${updated.metadata.resourceVersion}`],
      );
    } finally {
      await watch.stop().catch(() => {});
    }
  });
});
