// The control plane is one more process that can crash: with the SQLite store or etcd, a kill -9
// in the middle of twenty writers loses no acknowledged write, the pods keep running untouched,
// and a watch resumed from the last version it saw gets every change in between.

import assert from 'node:assert/strict';
import { isNodeReady, type KObject, type Pod, type Service, type WatchEvent } from '@kip/shared';
import { startEtcd, type EtcdServer } from '@kip/scripts';
import { requireEtcd } from '../helpers/etcd.js';
import { TestCluster } from '../helpers/cluster.js';
import { processesUnder } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';
import { WatchRecorder } from '../helpers/watch.js';

const WRITERS = 20;

function service(name: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { writer: 'yes' } },
    spec: { selector: { app: name }, ports: [{ port: 80 }] },
  } as Service;
}

interface Acked {
  uid: string;
  rv: number;
}

/** The test, for a store the control plane is given by `storeArgs` once `before` has run. */
function killedAmidWriters(storeName: string, storeArgs: () => string[], hooks: { before?: Mocha.Func; after?: () => Promise<void> } = {}): void {
  describe(`a control plane killed with SIGKILL, restarted from its ${storeName} store`, function () {
    this.timeout(240_000);
    let c: TestCluster | undefined;
    if (hooks.before) before(hooks.before);
    if (hooks.after) after(hooks.after);

    afterEach(async () => {
      await c?.stop();
      c = undefined;
    });

    it('keeps every acknowledged write, restarts no pod, and resumes watches', async () => {
      c = await TestCluster.start({ nodes: 2, controlPlaneArgs: storeArgs() });
      const api = c.api;
      await api.create({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'steady' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'steady' } },
          template: { metadata: { labels: { app: 'steady' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } },
        },
      } as KObject);
      const running = async () => (await api.list<Pod>('pods', { labelSelector: 'app=steady' })).filter((p) => p.status?.phase === 'Running');
      await eventually('the steady pods to run', async () => (await running()).length === 2);
      const podsBefore = (await running()).map((p) => p.metadata.uid).sort();
      const podProcesses = () =>
        processesUnder(c!.dataDir)
          .filter((p) => /kip-container/.test(p.cmdline))
          .map((p) => p.pid)
          .sort();
      const pidsBefore = podProcesses();

      // A watch from before the writes, to be resumed after the restart.
      const startRv = (await api.request<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces/default/services')).body.metadata
        .resourceVersion;
      const seen: WatchEvent<Service>[] = [];
      const watch = WatchRecorder.start<Service>(c.api, `/api/v1/namespaces/default/services?resourceVersion=${startRv}`, (ev) => seen.push(ev));

      // Twenty writers create services and delete every other one, until the control plane dies.
      const created = new Map<string, Acked>();
      const deleted = new Set<string>();
      const inFlight = new Set<string>();
      let dead = false;
      const writer = async (w: number) => {
        for (let n = 0; !dead; n++) {
          const name = `w${w}-${n}`;
          inFlight.add(name);
          try {
            const res = await api.request<Service>('POST', '/api/v1/namespaces/default/services', service(name));
            if (res.status !== 201) throw new Error(`create ${name}: ${res.status}`);
            created.set(name, { uid: res.body.metadata.uid!, rv: Number(res.body.metadata.resourceVersion) });
            inFlight.delete(name);
            if (n % 2 === 1) {
              inFlight.add(`delete ${name}`);
              const del = await api.request('DELETE', `/api/v1/namespaces/default/services/${name}`);
              if (del.status !== 200) throw new Error(`delete ${name}: ${del.status}`);
              deleted.add(name);
              inFlight.delete(`delete ${name}`);
            }
          } catch (err) {
            if (dead) return; // the control plane died with this request in flight
            throw err;
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      await eventually('writes to pile up', () => created.size >= 300, { timeoutMs: 60_000 });
      dead = true;
      await c.killControlPlane('SIGKILL');
      await Promise.all(writers);
      await watch.stop().catch(() => {}); // its stream broke with the control plane
      const lastSeen = seen.length ? seen[seen.length - 1]!.object.metadata.resourceVersion! : startRv;

      await c.restartControlPlane();
      await eventually('both nodes Ready again', async () => (await api.list('nodes')).filter((n) => isNodeReady(n as never)).length === 2, {
        timeoutMs: 30_000,
      });

      // Every acknowledged create is there with its uid and resourceVersion, every acknowledged delete gone.
      const stored = new Map((await api.list<Service>('services', { labelSelector: 'writer=yes' })).map((s) => [s.metadata.name, s]));
      let kept = 0;
      for (const [name, ack] of created) {
        const s = stored.get(name);
        if (deleted.has(name)) {
          assert.equal(s, undefined, `${name} was deleted and acknowledged`);
          continue;
        }
        if (inFlight.has(`delete ${name}`)) continue; // its delete may or may not have landed
        assert.ok(s, `${name} was created and acknowledged (rv ${ack.rv}) but is gone`);
        assert.equal(s.metadata.uid, ack.uid, name);
        assert.equal(Number(s.metadata.resourceVersion), ack.rv, name);
        kept++;
      }
      for (const name of stored.keys()) assert.ok(created.has(name) || inFlight.has(name), `${name} is stored but was never sent`);
      assert.ok(kept > 100, `${kept} acknowledged objects checked`);

      // A watch resumed from the last version it saw gets every change since, in order.
      const resumed: WatchEvent<Service>[] = [];
      const again = WatchRecorder.start<Service>(c.api, `/api/v1/namespaces/default/services?resourceVersion=${lastSeen}`, (ev) => resumed.push(ev));
      const wantAdded = [...created].filter(([, a]) => a.rv > Number(lastSeen)).map(([n]) => n);
      await eventually('the resumed watch to catch up', () => wantAdded.every((n) => resumed.some((e) => e.type === 'ADDED' && e.object.metadata.name === n)), {
        timeoutMs: 30_000,
      });
      const rvs = resumed.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual(
        rvs,
        [...rvs].sort((a, b) => a - b),
        'in resourceVersion order',
      );
      assert.ok(
        rvs.every((rv) => rv > Number(lastSeen)),
        'only changes after the version it had seen',
      );
      await again.stop();

      // The pods ran on through it all.
      const podsAfter = await api.list<Pod>('pods', { labelSelector: 'app=steady' });
      assert.deepEqual(podsAfter.map((p) => p.metadata.uid).sort(), podsBefore, 'the same pods, none replaced');
      for (const p of podsAfter) assert.equal(p.status?.containerStatuses?.[0]?.restartCount, 0);
      assert.deepEqual(podProcesses(), pidsBefore, 'the same processes');
    });
  });
}

killedAmidWriters('SQLite', () => ['--store', 'sqlite']);

let etcd: EtcdServer | undefined;
killedAmidWriters('etcd', () => ['--store', `${etcd!.url}/kip-restart-${process.pid}`], {
  async before() {
    requireEtcd();
    etcd = await startEtcd();
  },
  async after() {
    await etcd?.stop();
  },
});
