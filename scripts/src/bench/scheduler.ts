// Scheduler throughput: the real Scheduler over a MemoryStore, store writes and events included,
// placing `pods` pods on `nodes` Ready nodes. Pods are created in chunks while the scheduler runs,
// as a ReplicaSet controller would create them, and each pod's latency runs from its creation (the
// moment the scheduler enqueues it) to its bind. kube-scheduler's scheduler_perf anchor for the same
// shape, 10 000 pods on 5 000 nodes, is about 680 pods/s.
//
// Run alone: node scripts/dist/bench/scheduler.js

import { pathToFileURL } from 'node:url';
import { silentLogger, percentile, type Node, type Pod } from '@kip/shared';
import { StoreEventRecorder } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';
import { Scheduler } from '@kip/controlplane';

export interface SchedulerBenchResult {
  nodes: number;
  pods: number;
  /** From the first pod created to the last pod bound. */
  seconds: number;
  podsPerSecond: number;
  /** Creation-to-bind latency percentiles, milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /**
   * CPU time of the whole process (creating the pods included) from the first pod created to the
   * last bound, per pod: on a machine shared with other work, wall-clock pods/s says as much about
   * the neighbours as about the scheduler, and this does not.
   */
  cpuUsPerPod: number;
}

/** kube-scheduler's published figure for 10 000 pods on 5 000 nodes. */
export const KUBE_SCHEDULER_ANCHOR = { nodes: 5000, pods: 10_000, podsPerSecond: 680 };

/** Pods created per chunk before yielding to the event loop, so creation and scheduling interleave. */
const CREATE_CHUNK = 500;
/** Replicas per fake ReplicaSet: the unit of spreading. */
const REPLICAS_PER_OWNER = 100;

function benchNode(i: number): Node {
  const name = `node-${i}`;
  const capacity = { cpu: '4', memory: '8Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: { capacity, allocatable: { ...capacity }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function benchPod(i: number): Pod {
  const group = Math.floor(i / REPLICAS_PER_OWNER);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `bench-${group}-${i}`,
      namespace: 'default',
      labels: { app: `bench-${group}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `bench-${group}`, uid: `bench-rs-${group}`, controller: true }],
    },
    spec: {
      containers: [{ name: 'main', image: 'pause', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
      schedulerName: 'default-scheduler',
      restartPolicy: 'Always',
    },
    status: { phase: 'Pending' },
  };
}

function checkCount(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`benchScheduler: ${field} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

export async function benchScheduler(opts: { nodes: number; pods: number; percentageOfNodesToScore?: number }): Promise<SchedulerBenchResult> {
  const nodes = checkCount('nodes', opts.nodes);
  const pods = checkCount('pods', opts.pods);
  // Each node takes 40 bench pods (4 cpu / 100m); more pods than that can never all be bound.
  if (pods > nodes * 40) throw new Error(`benchScheduler: ${pods} pods of 100m cpu do not fit on ${nodes} nodes of 4 cpu (at most ${nodes * 40})`);

  const store = new MemoryStore({ historySize: 1000 });
  for (let i = 0; i < nodes; i++) store.create(benchNode(i));
  const recorder = new StoreEventRecorder(store, { component: 'default-scheduler', maxEvents: pods + 100 });
  const scheduler = new Scheduler({ store, recorder, log: silentLogger, seed: 1, percentageOfNodesToScore: opts.percentageOfNodesToScore });

  const createdAt = new Map<string, number>();
  const latencies: number[] = [];
  let lastBind = 0;
  let cpuAtLastBind: NodeJS.CpuUsage = { user: 0, system: 0 };
  let finish: () => void = () => {};
  const allBound = new Promise<void>((resolve) => (finish = resolve));
  const unwatch = store.watch({ kind: 'Pod' }, (ev) => {
    const pod = ev.object as Pod;
    const uid = pod.metadata.uid!;
    if (ev.type === 'ADDED') {
      createdAt.set(uid, performance.now());
    } else if (ev.type === 'MODIFIED' && pod.spec.nodeName && !(ev.oldObject as Pod | undefined)?.spec.nodeName) {
      lastBind = performance.now();
      latencies.push(lastBind - createdAt.get(uid)!);
      if (latencies.length === pods) {
        cpuAtLastBind = process.cpuUsage();
        finish();
      }
    }
  });

  // Generous, so a loaded machine does not fail the run, but a stuck scheduler does not hang it.
  const limitMs = 60_000 + pods * 20;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const p = scheduler.pending();
      reject(new Error(`benchScheduler: only ${latencies.length}/${pods} pods bound after ${limitMs} ms (queue: ${JSON.stringify(p)})`));
    }, limitMs);
  });

  scheduler.start();
  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  try {
    for (let i = 0; i < pods; i++) {
      store.create(benchPod(i));
      if ((i + 1) % CREATE_CHUNK === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.race([allBound, timedOut]);
  } finally {
    clearTimeout(timer);
    scheduler.stop();
    unwatch();
    store.close();
  }
  const seconds = (lastBind - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    nodes,
    pods,
    seconds: round(seconds, 3),
    podsPerSecond: round(pods / seconds, 0),
    p50Ms: round(percentile(latencies, 50) ?? NaN, 1),
    p99Ms: round(percentile(latencies, 99) ?? NaN, 1),
    cpuUsPerPod: round((cpuAtLastBind.user - cpuAtStart.user + cpuAtLastBind.system - cpuAtStart.system) / pods, 1),
  };
}

/**
 * benchScheduler `runs` times in a row, the median run (by pods/s) with every run's pods/s beside
 * it. On a shared machine one run can land in a slow moment (the every-node baseline on this
 * 2-core machine swung by a quarter between runs minutes apart), so a single run says as much
 * about that moment as about the scheduler.
 */
export async function benchSchedulerMedian(
  opts: { nodes: number; pods: number; percentageOfNodesToScore?: number },
  runs: number,
): Promise<SchedulerBenchResult & { runs: number[] }> {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`benchSchedulerMedian: runs must be a positive integer, got ${JSON.stringify(runs)}`);
  const all: SchedulerBenchResult[] = [];
  for (let i = 0; i < runs; i++) all.push(await benchScheduler(opts));
  const byRate = [...all].sort((a, b) => a.podsPerSecond - b.podsPerSecond);
  return { ...byRate[Math.floor((runs - 1) / 2)]!, runs: all.map((r) => r.podsPerSecond) };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function formatTable(rows: SchedulerBenchResult[]): string {
  const header = ['nodes', 'pods', 'seconds', 'pods/s', 'p50 ms', 'p99 ms', 'CPU us/pod'];
  const body = rows.map((r) =>
    [r.nodes, r.pods, r.seconds.toFixed(2), r.podsPerSecond, r.p50Ms.toFixed(1), r.p99Ms.toFixed(1), r.cpuUsPerPod.toFixed(0)].map(String),
  );
  const anchor = [KUBE_SCHEDULER_ANCHOR.nodes, KUBE_SCHEDULER_ANCHOR.pods, '', KUBE_SCHEDULER_ANCHOR.podsPerSecond, '', '', ''].map(String);
  const all = [header, ...body, anchor];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padStart(widths[c]!)).join('  ');
  return [line(header), ...body.map(line), `${line(anchor)}  <- kube-scheduler (scheduler_perf)`].join('\n');
}

async function main(): Promise<void> {
  const runs = [
    { nodes: 1000, pods: 10_000 },
    { nodes: 5000, pods: 10_000 },
  ];
  process.stdout.write('kip scheduler: pods of 100m cpu / 128Mi, 100 per ReplicaSet, on nodes of 4 cpu / 8Gi / 110 pods\n');
  const rows: SchedulerBenchResult[] = [];
  for (const r of runs) rows.push(await benchScheduler(r));
  process.stdout.write(formatTable(rows) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
