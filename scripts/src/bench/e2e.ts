// End-to-end benchmarks on real processes: how long a cluster takes to come up and what an agent
// costs in memory, how fast a 100-replica Deployment starts (and each pod's start latency), and how
// long a node failure takes to heal. Each figure comes with a baseline measured in the same run.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNodeReady, resolveResource, percentile, ApiClient, type Deployment, type Pod } from '@kip/shared';
import { LocalCluster } from '../cluster/local-cluster.js';
import { cpuSecondsWithChildren, pssBytes, rssBytes } from './proc-stats.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const MiB = 2 ** 20;

const nodeNames = (n: number) => Array.from({ length: n }, (_, i) => `node-${i + 1}`);

async function withCluster<T>(nodes: number, fn: (c: LocalCluster, api: ApiClient) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-bench-'));
  const cluster = new LocalCluster({ dataDir, port: 0 });
  try {
    await cluster.startControlPlane();
    await Promise.all([cluster.startAgents(nodeNames(nodes)), cluster.waitReady(nodes, 180_000)]);
    return await fn(cluster, cluster.client('kip-bench'));
  } finally {
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- cluster start ----------------------------------------------------------------------------

export interface ClusterStartResult {
  nodes: number;
  secondsToReady: number;
  /** cpu seconds the control plane used from its start to every node Ready, its reaped children's included */
  controlPlaneCpuSeconds: number;
  /** the same for the agents, summed: on a loaded machine a steadier figure than seconds to Ready */
  agentsCpuSeconds: number;
  /** Mean agent RSS and PSS 2 s after all nodes are Ready, start-up garbage and all. */
  agentRssMiB: number;
  agentPssMiB: number;
  /**
   * The same 10 s after Ready, the agents idle: V8 shrinks a heap that has stopped growing 8 s
   * after its last full collection (its memory reducer), handing back the young generation that
   * starting grew and the garbage of compiling the bundle.
   */
  agentIdleRssMiB: number;
  agentIdlePssMiB: number;
  controlPlaneRssMiB: number;
  /** how long the control plane took to answer /healthz while the agents started (p50 and worst) */
  controlPlaneHealthzP50Ms: number;
  controlPlaneHealthzMaxMs: number;
  /** a bare Node.js process that only waits, started and measured the same way */
  baselineNodeStartMs: number;
  baselineNodeRssMiB: number;
  baselineNodePssMiB: number;
}

/** Asks /healthz every 100 ms until stopped: how long the control plane keeps its callers waiting. */
function pollHealthz(url: string): { stop: () => Promise<number[]> } {
  const api = new ApiClient({ server: url });
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        await api.raw('GET', '/healthz');
        times.push(performance.now() - t0);
      } catch {
        // not answering: counted by the next answer's wait
      }
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return times.sort((a, b) => a - b);
    },
  };
}

async function bareNodeProcess(): Promise<{ startMs: number; rss: number; pss: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 1e9)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => child.stdout.once('data', r));
  const startMs = performance.now() - t0;
  await sleep(1000);
  const rss = rssBytes(child.pid!);
  const pss = pssBytes(child.pid!);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return { startMs, rss, pss };
}

export async function benchClusterStart(nodes: number): Promise<ClusterStartResult> {
  const base = await bareNodeProcess();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-bench-'));
  const cluster = new LocalCluster({ dataDir, port: 0 });
  try {
    const t0 = performance.now();
    await cluster.startControlPlane();
    const healthz = pollHealthz(cluster.url);
    const starting = cluster.startAgents(nodeNames(nodes));
    let secondsToReady: number;
    let answers: number[];
    try {
      await Promise.all([starting, cluster.waitReady(nodes, 300_000)]);
      secondsToReady = (performance.now() - t0) / 1000;
    } finally {
      answers = await healthz.stop();
    }
    const controlPlaneCpuSeconds = cpuSecondsWithChildren(cluster.controlPlane!.child.pid!);
    const agentsCpuSeconds = [...cluster.agents.values()].reduce((sum, m) => sum + cpuSecondsWithChildren(m.child.pid!), 0);
    const pids = [...cluster.agents.values()].map((m) => m.child.pid!);
    await sleep(2000);
    const agentRssMiB = mean(pids.map(rssBytes)) / MiB;
    const agentPssMiB = mean(pids.map(pssBytes)) / MiB;
    const controlPlaneRssMiB = rssBytes(cluster.controlPlane!.child.pid!) / MiB;
    await sleep(8000);
    return {
      nodes,
      secondsToReady,
      controlPlaneCpuSeconds,
      agentsCpuSeconds,
      agentRssMiB,
      agentPssMiB,
      agentIdleRssMiB: mean(pids.map(rssBytes)) / MiB,
      agentIdlePssMiB: mean(pids.map(pssBytes)) / MiB,
      controlPlaneRssMiB,
      controlPlaneHealthzP50Ms: percentile(answers, 50) ?? NaN,
      controlPlaneHealthzMaxMs: answers.at(-1) ?? NaN,
      baselineNodeStartMs: base.startMs,
      baselineNodeRssMiB: base.rss / MiB,
      baselineNodePssMiB: base.pss / MiB,
    };
  } finally {
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- a 100-replica Deployment -----------------------------------------------------------------

export interface DeployResult {
  replicas: number;
  nodes: number;
  secondsToAllRunning: number;
  podStartP50Ms: number;
  podStartP99Ms: number;
  /** spawning the same number of bare `sleep` processes directly: the floor under a pod start */
  baselineSpawnP50Ms: number;
  baselineSpawnP99Ms: number;
}

function deployment(name: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'pause', image: 'pause', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
}

/** Watches pods of an app, recording when each was first seen and first seen Running. */
function trackPods(api: ApiClient, app: string) {
  const seen = new Map<string, { added: number; running?: number; node?: string }>();
  const abort = new AbortController();
  const done = api
    .watch<Pod>(resolveResource('pods')!, 'default', { labelSelector: `app=${app}`, signal: abort.signal }, (ev) => {
      const now = performance.now();
      const uid = ev.object.metadata.uid!;
      let s = seen.get(uid);
      if (!s) seen.set(uid, (s = { added: now }));
      s.node = ev.object.spec.nodeName;
      if (ev.object.status?.phase === 'Running' && s.running === undefined) s.running = now;
    })
    .catch(() => {});
  return { seen, stop: () => abort.abort(), done };
}

async function spawnBaseline(count: number): Promise<number[]> {
  const times: number[] = [];
  const children = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const child = spawn('sleep', ['infinity'], { stdio: 'ignore', detached: true });
    await new Promise((r) => child.once('spawn', r));
    times.push(performance.now() - t0);
    children.push(child);
  }
  for (const c of children) c.kill('SIGKILL');
  return times.sort((a, b) => a - b);
}

async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function benchDeploy(nodes = 5, replicas = 100): Promise<DeployResult> {
  const base = await spawnBaseline(replicas);
  return withCluster(nodes, async (_c, api) => {
    const track = trackPods(api, 'bench');
    await sleep(200); // the watch is connected before the Deployment exists
    const t0 = performance.now();
    await api.create(resolveResource('deployments')!, 'default', deployment('bench', replicas));
    await waitUntil(`${replicas} running pods`, () => [...track.seen.values()].filter((s) => s.running !== undefined).length >= replicas, 180_000);
    const secondsToAllRunning = (performance.now() - t0) / 1000;
    track.stop();
    const lat = [...track.seen.values()]
      .filter((s) => s.running !== undefined)
      .map((s) => s.running! - s.added)
      .sort((a, b) => a - b);
    return {
      replicas,
      nodes,
      secondsToAllRunning,
      podStartP50Ms: percentile(lat, 50) ?? NaN,
      podStartP99Ms: percentile(lat, 99) ?? NaN,
      baselineSpawnP50Ms: percentile(base, 50) ?? NaN,
      baselineSpawnP99Ms: percentile(base, 99) ?? NaN,
    };
  });
}

// ---- failover ---------------------------------------------------------------------------------

export interface FailoverResult {
  nodes: number;
  replicas: number;
  trialsSeconds: number[];
  p50Seconds: number;
}

export async function benchFailover(nodes = 5, replicas = 20, trials = 5): Promise<FailoverResult> {
  return withCluster(nodes, async (cluster, api) => {
    const pods = resolveResource('pods')!;
    await api.create(resolveResource('deployments')!, 'default', deployment('failover', replicas));
    const running = async () =>
      (await api.list<Pod>(pods, 'default', { labelSelector: 'app=failover' })).items.filter(
        (p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp,
      );
    await waitUntil('the deployment to run', async () => (await running()).length === replicas, 120_000);
    const results: number[] = [];
    for (let t = 0; t < trials; t++) {
      const live = await running();
      const count = new Map<string, number>();
      for (const p of live) count.set(p.spec.nodeName!, (count.get(p.spec.nodeName!) ?? 0) + 1);
      const victim = [...count.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      const member = cluster.agents.get(victim)!;
      const t0 = performance.now();
      member.child.kill('SIGKILL');
      await waitUntil(
        'replacements to run elsewhere',
        async () => {
          const now = await running();
          return now.length === replicas && now.every((p) => p.spec.nodeName !== victim);
        },
        120_000,
      );
      results.push((performance.now() - t0) / 1000);
      await member.exited;
      cluster.startAgent(victim);
      await waitUntil(`${victim} back`, async () => (await cluster.readyNodes()).some((n) => n.metadata.name === victim && isNodeReady(n)), 60_000);
    }
    const sorted = [...results].sort((a, b) => a - b);
    return { nodes, replicas, trialsSeconds: results, p50Seconds: percentile(sorted, 50) ?? NaN };
  });
}
