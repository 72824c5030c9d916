// Resource limits a Kubernetes user relies on, on a real cluster: a CPU limit slows a busy
// container to it (measured from /proc, and shown by the metrics API that `kubectl top` reads)
// without killing it, and exec still works; an emptyDir with medium Memory is shared by the pod's
// containers and lives in RAM; an emptyDir past its sizeLimit gets its pod evicted in the
// kubelet's words, and its ReplicaSet replaces it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { groupMembers, memoryVolumesRoot, readProcStat } from '@kip/agent';
import type { Event, Node, Pod, ReplicaSet } from '@kip/shared';
import path from 'node:path';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { eventually, isAlive } from '../helpers/wait.js';

const BUSY = ['sh', '-c', 'while :; do :; done'];

function pod(name: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { test: 'limits' } },
    spec: { terminationGracePeriodSeconds: 1, nodeName: 'node-1', ...spec },
  };
}

function pidOf(p: Pod | undefined, i = 0): number {
  return Number(/^kip:\/\/(\d+)$/.exec(p?.status?.containerStatuses?.[i]?.containerID ?? '')?.[1] ?? Number.NaN);
}

/** CPU ticks (1/100 s) of every live member of a process group, from /proc. */
function groupTicks(pgid: number): number {
  const pids = groupMembers(new Set([pgid])).get(pgid) ?? [];
  return pids.reduce((sum, pid) => sum + (readProcStat(pid)?.cpuTicks ?? 0), 0);
}

/** Millicores each group used over a few seconds of wall time, measured from /proc. */
async function measureMillis(pgids: number[], ms: number): Promise<number[]> {
  const before = pgids.map(groupTicks);
  const start = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  const seconds = (Date.now() - start) / 1000;
  return pgids.map((g, i) => ((groupTicks(g) - before[i]!) * 10) / seconds);
}

describe('resource limits: CPU throttling, emptyDir medium and sizeLimit', function () {
  this.timeout(240_000);
  let cluster: TestCluster;

  before(async function () {
    requireKubectl();
    cluster = await TestCluster.start({ nodes: 1, readyTimeoutMs: 60_000, controlPlaneArgs: ['--tls'] });
  });

  const kubectl = (...args: string[]): Promise<KubectlRun> => runKubectl(args, { kubeconfig: cluster.kubeconfig });

  after(async function () {
    await cluster?.stop();
  });

  async function running(name: string): Promise<Pod> {
    return eventually(
      `${name} running`,
      async () => {
        const p = await cluster.api.get<Pod>('pods', name);
        return p?.status?.phase === 'Running' && Number.isFinite(pidOf(p)) ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }

  it('holds a busy container to its 200m limit, without killing it; an unlimited one runs free; top shows it', async () => {
    await cluster.api.create(pod('limited', { containers: [{ name: 'main', image: 'busybox', command: BUSY, resources: { limits: { cpu: '200m' } } }] }));
    await cluster.api.create(pod('free', { containers: [{ name: 'main', image: 'busybox', command: BUSY }] }));
    const limited = await running('limited');
    const free = await running('free');
    // Let the throttle find the loop and settle, then measure.
    await new Promise((r) => setTimeout(r, 1000));
    const [used, freeUsed] = await measureMillis([pidOf(limited), pidOf(free)], 4000);
    assert.ok(used! <= 260, `the limited loop used ${used!.toFixed(0)}m under a 200m limit`);
    // On a machine busy enough that a free loop gets little more than the limit, the limited one gets what it can.
    assert.ok(used! >= Math.min(140, freeUsed! * 0.5), `the limited loop used ${used!.toFixed(0)}m, the free one ${freeUsed!.toFixed(0)}m`);
    if (freeUsed! > 500) assert.ok(freeUsed! > used! * 2, `the free loop used ${freeUsed!.toFixed(0)}m, the limited one ${used!.toFixed(0)}m`);

    // What `kubectl top pod` prints: the agent's samples, near the limit.
    const top = await eventually(
      'kubectl top pod limited',
      async () => {
        const r = await kubectl('top', 'pod', 'limited', '--no-headers');
        const m = /^limited\s+(\d+)m\s/.exec(r.out);
        return r.code === 0 && m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.ok(top <= 300, `kubectl top shows ${top}m`);

    // Slowed, not killed; and exec into it still works while it is throttled.
    const exec = await kubectl('exec', 'limited', '--', 'sh', '-c', 'echo inside');
    assert.equal(exec.code, 0, exec.err);
    assert.equal(exec.out, 'inside\n');
    const now = await cluster.api.get<Pod>('pods', 'limited');
    assert.equal(now?.status?.phase, 'Running');
    assert.equal(now?.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(pidOf(now), pidOf(limited));
    for (const name of ['limited', 'free']) await cluster.api.delete('pods', name, 'default', 0);
  });

  it('an exec probe of a throttled container passes, and a deleted one is never left stopped', async () => {
    await cluster.api.create(
      pod('probed', {
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: BUSY,
            resources: { limits: { cpu: '100m' } },
            readinessProbe: { exec: { command: ['sh', '-c', 'echo ok'] }, periodSeconds: 1, timeoutSeconds: 5 },
          },
        ],
      }),
    );
    const p = await eventually(
      'the throttled container ready by its exec probe',
      async () => {
        const x = await cluster.api.get<Pod>('pods', 'probed');
        return x?.status?.containerStatuses?.[0]?.ready ? x : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const pid = pidOf(p);
    // It is stopped part of every period: catch it stopped at least once, then delete it.
    await eventually('the container seen stopped by its throttle', () => readProcStat(pid)?.state === 'T', { timeoutMs: 20_000, intervalMs: 5 });
    await cluster.api.delete('pods', 'probed');
    await eventually('the throttled container gone', () => !isAlive(pid), { timeoutMs: 30_000 });
  });

  it('a throttled container, stopped for most of every period, still dies with its agent', async () => {
    await cluster.api.create(pod('doomed', { containers: [{ name: 'main', image: 'busybox', command: BUSY, resources: { limits: { cpu: '50m' } } }] }));
    const pid = pidOf(await running('doomed'));
    await eventually('the container seen stopped by its throttle', () => readProcStat(pid)?.state === 'T', { timeoutMs: 20_000, intervalMs: 5 });
    await cluster.killAgent('node-1');
    await eventually('the stopped container killed by its watcher', () => !isAlive(pid), { timeoutMs: 10_000 });
    await cluster.startAgent('node-1');
    await eventually(
      'node-1 back',
      async () => (await cluster.api.get<Node>('nodes', 'node-1'))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      {
        timeoutMs: 60_000,
      },
    );
    await cluster.api.delete('pods', 'doomed', 'default', 0);
  });

  it('an emptyDir with medium Memory is in RAM, shared by the containers, and counted in memory', async () => {
    await cluster.api.create(
      pod('in-memory', {
        containers: [
          {
            name: 'writer',
            image: 'busybox',
            command: ['sh', '-c', 'head -c 20971520 /dev/zero > /cache/blob; echo shared > /cache/note; exec sleep 3600'],
            volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
          },
          { name: 'reader', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 'cache', mountPath: '/data' }] },
        ],
        volumes: [{ name: 'cache', emptyDir: { medium: 'Memory' } }],
      }),
    );
    const p = await running('in-memory');
    const podsDir = path.join(cluster.dataDir, 'nodes', 'node-1', 'pods');
    const hostDir = path.join(memoryVolumesRoot(podsDir), `default_in-memory_${p.metadata.uid}`, 'cache');
    await eventually('the note on the host tmpfs', () => fs.existsSync(path.join(hostDir, 'note')), { timeoutMs: 30_000 });
    assert.equal(fs.statfsSync(hostDir).type, 0x01021994, 'the volume is on a tmpfs');
    const read = await kubectl('exec', 'in-memory', '-c', 'reader', '--', 'cat', '/data/note');
    assert.equal(read.code, 0, read.err);
    assert.equal(read.out, 'shared\n');
    const memory = await eventually(
      "kubectl top: the writer's memory includes its 20 MiB of files",
      async () => {
        const r = await kubectl('top', 'pod', 'in-memory', '--containers', '--no-headers');
        const m = /^in-memory\s+writer\s+\d+m\s+(\d+)Mi/m.exec(r.out);
        return r.code === 0 && m && Number(m[1]) >= 20 ? Number(m[1]) : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.ok(memory >= 20);
    const reader = /^in-memory\s+reader\s+\d+m\s+(\d+)Mi/m.exec((await kubectl('top', 'pod', 'in-memory', '--containers', '--no-headers')).out);
    assert.ok(Number(reader?.[1]) < 20, 'counted once, in the writer only');
    await cluster.api.delete('pods', 'in-memory');
    await eventually('the memory-backed volume removed with its pod', () => !fs.existsSync(path.dirname(hostDir)), { timeoutMs: 60_000 });
  });

  it('evicts a pod whose emptyDir passes its sizeLimit, and its ReplicaSet replaces it', async () => {
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'filler' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'filler' } },
        template: {
          metadata: { labels: { app: 'filler' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'main',
                image: 'busybox',
                // Under the limit at first, so that the pod runs before it passes it.
                command: ['sh', '-c', 'sleep 3; head -c 2097152 /dev/zero > /scratch/fill; exec sleep 3600'],
                volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
              },
            ],
            volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }],
          },
        },
      },
    };
    await cluster.api.create(rs);
    const evicted = await eventually(
      'a filler pod evicted',
      async () => (await cluster.api.list<Pod>('pods', { labelSelector: 'app=filler' })).find((p) => p.status?.reason === 'Evicted'),
      { timeoutMs: 90_000 },
    );
    assert.equal(evicted.status?.phase, 'Failed');
    assert.equal(evicted.status?.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
    const events = await cluster.api.list<Event>('events');
    assert.ok(
      events.some((e) => e.involvedObject.uid === evicted.metadata.uid && e.reason === 'Evicted' && e.type === 'Warning'),
      'an Evicted event on the pod',
    );
    await eventually(
      'a replacement pod',
      async () => (await cluster.api.list<Pod>('pods', { labelSelector: 'app=filler' })).some((p) => p.metadata.uid !== evicted.metadata.uid),
      { timeoutMs: 60_000 },
    );
    await cluster.api.delete('replicasets', 'filler');
  });
});
