// The takeover of two control planes on one etcd: SIGKILL of the leader to the other holding the
// Lease kube-system/kip-controller-manager, and to every node Ready on it (its agent failed over
// and its node Lease renewed after the new leader took over). Needs `etcd` on PATH.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile, waitFor, isNodeReady, type Lease, type List, type Node } from '@kip/shared';
import { etcdInstalled, startEtcd } from '../cluster/etcd-server.js';
import { LocalCluster } from '../cluster/local-cluster.js';

export interface LeaderTakeoverResult {
  nodes: number;
  trials: number;
  /** kill -> the survivor holds the Lease, each trial */
  leaderSeconds: number[];
  /** kill -> every node Ready on the survivor, each trial */
  readySeconds: number[];
  p50LeaderSeconds: number;
  p50ReadySeconds: number;
}

const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kip-controller-manager';

/** `trials` takeovers on one cluster: each kills the current leader, then starts it again as a standby. */
export async function benchLeaderTakeover(nodes = 5, trials = 3): Promise<LeaderTakeoverResult | undefined> {
  if (!etcdInstalled()) return undefined;
  const etcd = await startEtcd();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-bench-ha-'));
  const cluster = new LocalCluster({ dataDir, port: 0, controlPlanes: 2, controlPlaneArgs: ['--store', etcd.url] });
  const leaderSeconds: number[] = [];
  const readySeconds: number[] = [];
  try {
    await cluster.startControlPlanes();
    await Promise.all([cluster.startAgents(Array.from({ length: nodes }, (_, i) => `node-${i + 1}`)), cluster.waitReady(nodes, 120_000)]);
    const clientOf = (i: number) => cluster.client('kip-bench', i);
    const holder = async (i: number) =>
      (
        await clientOf(i)
          .call<Lease>('GET', LEASE_PATH)
          .catch(() => undefined)
      )?.spec?.holderIdentity;
    for (let t = 0; t < trials; t++) {
      const leaderId = await waitFor('a leader', async () => (await holder(0)) || undefined, { timeoutMs: 30_000 });
      const leader = Number(/^cp-(\d+)$/.exec(leaderId)?.[1] ?? 0) - 1;
      if (leader < 0) throw new Error(`unexpected leader ${leaderId}`);
      const survivor = 1 - leader;
      const m = cluster.controlPlanes[leader];
      const t0 = performance.now();
      m.child.kill('SIGKILL');
      await m.exited;
      await waitFor('the survivor to lead', async () => (await holder(survivor)) === `cp-${survivor + 1}`, { timeoutMs: 30_000, intervalMs: 20 });
      const led = performance.now();
      const ledWall = Date.now();
      leaderSeconds.push((led - t0) / 1000);
      await waitFor(
        'every node Ready on the survivor',
        async () => {
          const api = clientOf(survivor);
          const leases = await api.call<List<Lease>>('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
          const ready = (await api.call<List<Node>>('GET', '/api/v1/nodes')).items.filter(isNodeReady).length;
          return leases.items.filter((l) => Date.parse(l.spec?.renewTime ?? '') > ledWall).length >= nodes && ready >= nodes;
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      readySeconds.push((performance.now() - t0) / 1000);
      await cluster.startControlPlane(leader);
    }
    return {
      nodes,
      trials,
      leaderSeconds,
      readySeconds,
      p50LeaderSeconds: percentile(leaderSeconds, 50) ?? 0,
      p50ReadySeconds: percentile(readySeconds, 50) ?? 0,
    };
  } finally {
    await cluster.stop();
    await etcd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
