// The scale benchmark: a 1,000-pod burst on many nodes, as a new user would try it. It reports how
// long the burst takes to be all Running (and each pod's start latency), scaling to 0 and back,
// what the cluster costs at idle afterwards (CPU of every process it started, memory per agent),
// and the properties that must hold throughout: no node NotReady, no eviction, exactly the pods
// asked for. The baseline, in the same run: the same number of bare pause processes spawned by one
// process, which is the floor under starting pods.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNodeReady, percentile, resolveResource, waitFor, type Deployment, type Event, type Node, type Pod } from '@kip/shared';
import { LocalCluster } from '../cluster/local-cluster.js';
import { cpuSeconds, processesUnder, pssBytes, rssBytes } from './proc-stats.js';

export interface ScaleResult {
  nodes: number;
  replicas: number;
  secondsToReady: number;
  burstSeconds: number;
  podStartP50Ms: number;
  podStartP99Ms: number;
  scaleDownSeconds: number;
  scaleUpSeconds: number;
  /** pods created over the burst and the scale back up (2 x replicas when nothing was replaced) */
  created: number;
  notReadyNodes: number;
  evictions: number;
  /** CPU of the whole cluster at idle with every pod running, in % of one core */
  idleCpuPercent: number;
  idleControlPlanePercent: number;
  idleAgentsPercent: number;
  agentRssMiB: number;
  agentPssMiB: number;
  /** the same number of bare pause processes spawned by one process, all running */
  baselineSpawnSeconds: number;
}

const PAUSE = 'trap "exit 0" TERM INT; sleep infinity & wait';

function burst(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'burst', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'burst' } },
      template: {
        metadata: { labels: { app: 'burst' } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'pause', image: 'pause', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
}

/** One process spawning `count` pause shells, as fast as it can: the floor under a pod start. */
async function spawnBaseline(count: number): Promise<number> {
  const t0 = performance.now();
  const children = [];
  for (let i = 0; i < count; i++) {
    const child = spawn('/bin/sh', ['-c', PAUSE], { stdio: 'ignore', detached: true });
    children.push(new Promise<typeof child>((r) => child.once('spawn', () => r(child))));
  }
  const all = await Promise.all(children);
  const seconds = (performance.now() - t0) / 1000;
  for (const c of all) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return seconds;
}

export async function benchScale(nodes: number, replicas: number, progress: (line: string) => void = () => {}): Promise<ScaleResult> {
  const baselineSpawnSeconds = await spawnBaseline(replicas);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-bench-scale-'));
  const cluster = new LocalCluster({ dataDir, port: 0 });
  const abort = new AbortController();
  try {
    const t0 = performance.now();
    await cluster.startControlPlane();
    for (let i = 1; i <= nodes; i++) cluster.startAgent(`node-${i}`);
    await cluster.waitReady(nodes, 300_000);
    const secondsToReady = (performance.now() - t0) / 1000;
    progress(`${nodes} nodes Ready in ${secondsToReady.toFixed(1)} s`);
    const api = cluster.client('kip-bench');
    const pods = resolveResource('pods')!;
    const seen = new Map<string, { added: number; running?: number }>();
    // What the watch says is stored now. The waits below read it rather than list 1,000 pods every
    // 250 ms: such a list costs the control plane about 20 ms of CPU, a large share of what it gets
    // on a machine the burst saturates, so polling would slow the very thing it times.
    const current = new Map<string, Pod>();
    let watching = true;
    const notReady = new Set<string>();
    void api
      .watch<Pod>(pods, 'default', { labelSelector: 'app=burst', signal: abort.signal }, (ev) => {
        const now = performance.now();
        const uid = ev.object.metadata.uid!;
        if (ev.type === 'DELETED') current.delete(uid);
        else current.set(uid, ev.object);
        let s = seen.get(uid);
        if (!s) seen.set(uid, (s = { added: now }));
        if (ev.type !== 'DELETED' && ev.object.status?.phase === 'Running' && s.running === undefined) s.running = now;
      })
      .catch(() => {})
      .finally(() => {
        watching = false;
      });
    void api
      .watch<Node>(resolveResource('nodes')!, undefined, { signal: abort.signal }, (ev) => {
        if (ev.type !== 'DELETED' && !isNodeReady(ev.object)) notReady.add(ev.object.metadata.name);
      })
      .catch(() => {});
    const allRunning = (list: Pod[]) => {
      const live = list.filter((p) => !p.metadata.deletionTimestamp);
      return live.length === replicas && live.every((p) => p.status?.phase === 'Running');
    };
    const listed = async () => (await api.list<Pod>(pods, 'default', { labelSelector: 'app=burst' })).items;
    /**
     * Waits until the watched pods pass `done`, then until a list agrees: once, unless the watch fell
     * behind or ended (the lists then decide, as before).
     */
    const settle = async (what: string, done: (list: Pod[]) => boolean) => {
      await waitFor(what, () => !watching || done([...current.values()]), { timeoutMs: 600_000, intervalMs: 50 });
      await waitFor(what, async () => done(await listed()), { timeoutMs: 600_000, intervalMs: 250 });
    };

    const tb = performance.now();
    await api.create(resolveResource('deployments')!, 'default', burst(replicas));
    await settle(`${replicas} pods Running`, allRunning);
    const burstSeconds = (performance.now() - tb) / 1000;
    const lat = [...seen.values()]
      .filter((s) => s.running !== undefined)
      .map((s) => s.running! - s.added)
      .sort((a, b) => a - b);
    progress(`burst: ${replicas} Running in ${burstSeconds.toFixed(1)} s`);

    // Idle: every pod running, nothing changing. What the whole cluster costs, over 10 s, once the
    // agents have caught up with the burst (every 10 s each reads up to 256 of the processes the
    // burst started, looking for its pods' children).
    await sleep(60_000);
    const members = () => [cluster.controlPlane!.child.pid!, ...[...cluster.agents.values()].map((m) => m.child.pid!)];
    const podPids = processesUnder(dataDir).filter((p) => !members().includes(p));
    const cpu0 = {
      cp: cpuSeconds(members()[0]!),
      agents: members()
        .slice(1)
        .reduce((a, p) => a + cpuSeconds(p), 0),
      pods: podPids.reduce((a, p) => a + cpuSeconds(p), 0),
    };
    const w0 = performance.now();
    await sleep(10_000);
    const window = (performance.now() - w0) / 1000;
    const cpu1 = {
      cp: cpuSeconds(members()[0]!),
      agents: members()
        .slice(1)
        .reduce((a, p) => a + cpuSeconds(p), 0),
      pods: podPids.reduce((a, p) => a + cpuSeconds(p), 0),
    };
    const pct = (a: number, b: number) => ((b - a) / window) * 100;
    const agentPids = members().slice(1);
    const agentRssMiB = agentPids.reduce((a, p) => a + rssBytes(p), 0) / agentPids.length / 2 ** 20;
    const agentPssMiB = agentPids.reduce((a, p) => a + pssBytes(p), 0) / agentPids.length / 2 ** 20;

    const deployments = resolveResource('deployments')!;
    const td = performance.now();
    await api.mergePatch(deployments, 'default', 'burst', { spec: { replicas: 0 } });
    await settle('every pod gone', (list) => list.length === 0);
    const scaleDownSeconds = (performance.now() - td) / 1000;
    const tu = performance.now();
    await api.mergePatch(deployments, 'default', 'burst', { spec: { replicas } });
    await settle(`${replicas} pods Running again`, allRunning);
    const scaleUpSeconds = (performance.now() - tu) / 1000;
    progress(`scaled to 0 in ${scaleDownSeconds.toFixed(1)} s and back in ${scaleUpSeconds.toFixed(1)} s`);
    const events = (await api.list<Event>(resolveResource('events')!, undefined)).items;
    return {
      nodes,
      replicas,
      secondsToReady,
      burstSeconds,
      podStartP50Ms: percentile(lat, 50) ?? NaN,
      podStartP99Ms: percentile(lat, 99) ?? NaN,
      scaleDownSeconds,
      scaleUpSeconds,
      created: seen.size,
      notReadyNodes: notReady.size,
      evictions: events.filter((e) => e.reason === 'TaintManagerEviction').length,
      idleCpuPercent: pct(cpu0.cp + cpu0.agents + cpu0.pods, cpu1.cp + cpu1.agents + cpu1.pods),
      idleControlPlanePercent: pct(cpu0.cp, cpu1.cp),
      idleAgentsPercent: pct(cpu0.agents, cpu1.agents),
      agentRssMiB,
      agentPssMiB,
      baselineSpawnSeconds,
    };
  } finally {
    abort.abort();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
