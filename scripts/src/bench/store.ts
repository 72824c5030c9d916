// The store: how fast the durable SQLite store and etcd take writes beside the memory store, whether a kill -9 ever loses an acknowledged write, and how long a restarted control plane
// takes to have every agent back.
//
// Run alone: node scripts/dist/bench/store.js

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile, waitFor, type KObject, type Pod } from '@kip/shared';
import { EtcdStore, MemoryStore, openSqliteStore, type Store } from '@kip/controlplane';
import { etcdInstalled, startEtcd } from '../cluster/etcd-server.js';
import { LocalCluster } from '../cluster/local-cluster.js';

export interface StoreWriteResult {
  store: 'memory' | 'sqlite' | 'etcd';
  writes: number;
  writesPerSecond: number;
  p50Us: number;
  p99Us: number;
}

export interface StoreDurabilityResult {
  trials: number;
  acknowledged: number;
  lost: number;
}

export interface ControlPlaneRestartResult {
  nodes: number;
  /** From the restarted process's spawn to its API listening. */
  listeningSeconds: number;
  /** From the spawn to every agent connected to it again. */
  allNodesBackSeconds: number;
}

function pod(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, namespace: 'default', labels: { app: 'bench' } },
    spec: { containers: [{ name: 'main', image: 'pause', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    status: { phase: 'Pending' },
  };
}

/** `pods` pods created then bound (two writes each), every write timed. */
export function benchStoreWrites(kind: 'memory' | 'sqlite', pods = 10_000): StoreWriteResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kip-bench-store-'));
  const store = kind === 'memory' ? new MemoryStore({ historySize: 1000 }) : openSqliteStore({ file: path.join(dir, 'state.db'), historySize: 1000 });
  try {
    return timeWrites(kind, store, pods);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same against a throwaway etcd on this machine (undefined when `etcd` is not installed).
 * Fewer pods: every write waits for etcd's fsync, so it runs at etcd's pace, not the process's.
 */
export async function benchEtcdStoreWrites(pods = 500): Promise<StoreWriteResult | undefined> {
  if (!etcdInstalled()) return undefined;
  const etcd = await startEtcd();
  try {
    const store = new EtcdStore({ hosts: [`http://${etcd.address}`], prefix: '/kip-bench', historySize: 1000, compactIntervalMs: 0 });
    try {
      return timeWrites('etcd', store, pods);
    } finally {
      store.close();
    }
  } finally {
    await etcd.stop();
  }
}

function timeWrites(kind: StoreWriteResult['store'], store: Store, pods: number): StoreWriteResult {
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < pods; i++) {
    let t = performance.now();
    const p = store.create(pod(i));
    latencies.push(performance.now() - t);
    t = performance.now();
    store.update({ ...p, spec: { ...p.spec, nodeName: `node-${i % 100}` } });
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    store: kind,
    writes: latencies.length,
    writesPerSecond: Math.round(latencies.length / seconds),
    p50Us: (percentile(latencies, 50) ?? NaN) * 1000,
    p99Us: (percentile(latencies, 99) ?? NaN) * 1000,
  };
}

/**
 * Trials of a writer process killed with SIGKILL at a moment nobody chose: each prints the name of
 * every write create() acknowledged, and the database opened afterwards must hold all of them.
 */
export async function benchStoreDurability(trials = 20): Promise<StoreDurabilityResult> {
  const storeModule = import.meta.resolve('@kip/controlplane');
  let acknowledged = 0;
  let lost = 0;
  for (let t = 0; t < trials; t++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kip-bench-kill-'));
    const file = path.join(dir, 'state.db');
    try {
      const script = `
        const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
        const s = openSqliteStore({ file: ${JSON.stringify(file)} });
        for (let i = 0; ; i++) {
          s.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w' + i } });
          process.stdout.write('w' + i + '\\n');
        }`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // Killed somewhere between 0.3 and 1.3 s into its writes, after it has started writing.
      await waitFor('the writer to start', () => out.length > 0, { intervalMs: 20 });
      await sleep(300 + Math.random() * 1000);
      child.kill('SIGKILL');
      await exited;
      const acked = out.split('\n').slice(0, -1);
      const s = openSqliteStore({ file });
      const names = new Set(s.list<KObject>('Namespace').items.map((o) => o.metadata.name));
      s.close();
      acknowledged += acked.length;
      lost += acked.filter((n) => !names.has(n)).length;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { trials, acknowledged, lost };
}

/** A cluster of `nodes` on the SQLite store whose control plane is killed with SIGKILL and started again. */
export async function benchControlPlaneRestart(nodes = 5): Promise<ControlPlaneRestartResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-bench-restart-'));
  const cluster = new LocalCluster({ dataDir, port: 0, controlPlaneArgs: ['--store', 'sqlite'] });
  try {
    await cluster.startControlPlane();
    await Promise.all([cluster.startAgents(Array.from({ length: nodes }, (_, i) => `node-${i + 1}`)), cluster.waitReady(nodes, 120_000)]);
    const old = cluster.controlPlane!;
    old.child.kill('SIGKILL');
    await old.exited;
    const t0 = performance.now();
    await cluster.startControlPlane();
    const listening = performance.now() - t0;
    const connected = () => new Set(cluster.controlPlane!.output.map((l) => /node connected node=(\S+)/.exec(l)?.[1]).filter(Boolean)).size;
    await waitFor(`every agent to reconnect (${nodes})`, () => connected() >= nodes, { timeoutMs: 60_000, intervalMs: 20 });
    return { nodes, listeningSeconds: listening / 1000, allNodesBackSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const kind of ['memory', 'sqlite'] as const) console.log(JSON.stringify(benchStoreWrites(kind)));
  console.log(JSON.stringify((await benchEtcdStoreWrites()) ?? 'etcd not installed'));
  console.log(JSON.stringify(await benchStoreDurability(5)));
  console.log(JSON.stringify(await benchControlPlaneRestart(5)));
}
