// The checks at the end of a soak, once the chaos is over: wait until the cluster is whole again,
// then read the control plane's memory and look for orphan processes. The verdicts are made in
// report.ts; here is only the looking.

import { realpathSync } from 'node:fs';
import { isNodeReady, resourceByKind, rssBytes, type Node, type Pod, type ApiClient } from '@kip/shared';
import { isRunning, type LocalCluster } from '../cluster/local-cluster.js';
import { sleep } from '../experiment/sleep.js';
import type { Workload } from '../experiment/workload.js';
import type { SoakOptions } from './command-line.js';
import { findOrphans, listProcesses, podOfDir, type Orphan } from './processes.js';
import type { SoakInput } from './report.js';
import { NAMESPACE } from './workload.js';

const SETTLE_TIMEOUT_MS = 120_000;
/** A process must look orphaned this long apart, twice, to count: one dying with its agent is not one. */
const ORPHAN_RECHECK_MS = 2000;

/** The median of a few readings of a process's RSS, to keep one busy moment out of the figure. */
export async function rssOf(pid: number | undefined, readings = 5, everyMs = 400): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const values: number[] = [];
  for (let i = 0; i < readings; i++) {
    const v = rssBytes(pid);
    if (v !== undefined) values.push(v);
    if (i < readings - 1) await sleep(everyMs);
  }
  values.sort((a, b) => a - b);
  return values.length ? values[Math.floor(values.length / 2)] : undefined;
}

/**
 * Waits (bounded) until the cluster is whole again: every killed node back and Ready (when they
 * come back at all), the workload serving, and no pod of it terminating or unplaced.
 */
export async function settleCluster(
  api: ApiClient,
  cluster: LocalCluster,
  workload: Workload,
  o: SoakOptions,
  signal: AbortSignal,
): Promise<NonNullable<SoakInput['settle']>> {
  const started = Date.now();
  let pending: string[] = [];
  for (;;) {
    pending = [];
    try {
      if (o.restartNodes) {
        if (cluster.pendingRestarts.length > 0) pending.push(`waiting to restart: ${cluster.pendingRestarts.sort().join(', ')}`);
        const nodes = (await api.list<Node>(resourceByKind('Node')!, undefined)).items;
        const notReady = nodes.filter((n) => !isNodeReady(n)).map((n) => n.metadata.name);
        if (notReady.length > 0) pending.push(`not Ready: ${notReady.sort().join(', ')}`);
      }
      pending.push(...(await workload.pending()));
      const pods = (await api.list<Pod>(resourceByKind('Pod')!, NAMESPACE)).items;
      const terminating = pods.filter((p) => p.metadata.deletionTimestamp).length;
      const unplaced = pods.filter((p) => !p.metadata.deletionTimestamp && (p.status?.phase ?? 'Pending') === 'Pending').length;
      if (terminating > 0) pending.push(`${terminating} pod(s) terminating`);
      if (unplaced > 0) pending.push(`${unplaced} pod(s) not Running yet`);
    } catch (err) {
      pending.push(`the API: ${(err as Error).message}`);
    }
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    if (pending.length === 0) return { settled: true, seconds };
    if (Date.now() - started > SETTLE_TIMEOUT_MS) return { settled: false, seconds, pending: pending.join('; ') };
    await sleep(500, signal);
  }
}

/**
 * Orphans now, counted only if they are still orphans a moment later (a process dying with its
 * agent is not one); and how many processes in the data dir were looked at, to show that the
 * check saw the pods' processes at all.
 */
export async function orphanCheck(api: ApiClient, cluster: LocalCluster, dataDir: string): Promise<{ orphans: Orphan[]; checked: number }> {
  // /proc shows resolved paths: a temp dir behind a symlink must be compared as it resolves.
  const dir = realpathSync(dataDir);
  const scan = async () => {
    const agents = new Map<number, string>();
    for (const m of cluster.agents.values()) if (isRunning(m) && m.child.pid !== undefined) agents.set(m.child.pid, m.name);
    const podUids = new Set((await api.list<Pod>(resourceByKind('Pod')!, undefined)).items.map((p) => p.metadata.uid ?? ''));
    const procs = listProcesses();
    return { orphans: findOrphans(procs, { dataDir: dir, agents, pods: podUids }), checked: procs.filter((p) => podOfDir(dir, p.cwd) !== undefined).length };
  };
  const first = await scan();
  if (first.orphans.length === 0) return first;
  await sleep(ORPHAN_RECHECK_MS);
  const again = new Set((await scan()).orphans.map((p) => p.pid));
  return { orphans: first.orphans.filter((p) => again.has(p.pid)), checked: first.checked };
}
