// One soak, start to end: a private cluster whose killed nodes come back (the launcher's
// --restart-nodes), a 3-replica Service with a probe calling it from a node the chaos never
// touches, one NodeChaos that kills a random other node every interval (the controller does the
// killing, as it does for users), and at the end, once the cluster has settled, the checks that
// it healed: no orphan process, no object lost, the control plane's memory where it started.
// Whatever happens, every process it started is stopped by pid before it returns.

import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatDurationMs, isNodeReady, randomSuffix, resourceByKind, type ApiClient, type Node } from '@kip/shared';
import { LocalCluster, isRunning } from '../cluster/local-cluster.js';
import { CliError } from '../kip/errors.js';
import { ClusterWatcher } from '../experiment/cluster-watch.js';
import { FaultInjector, type FaultObject } from '../experiment/faults.js';
import { Probe } from '../experiment/probe.js';
import { InterruptedError, sleep, sleepUntil } from '../experiment/sleep.js';
import type { MeasuredSample } from '../experiment/stats.js';
import type { FaultStep } from '../experiment/timeline.js';
import { Workload } from '../experiment/workload.js';
import type { SoakOptions } from './command-line.js';
import { Inventory } from './inventory.js';
import { orphanCheck, rssOf, settleCluster } from './end-checks.js';
import { KillLog, eventCounts } from './kill-log.js';
import { PodCounter } from './pod-counter.js';
import { listProcesses, processesUnder, type Orphan } from './processes.js';
import type { SoakInput } from './report.js';
import { APP, NAMESPACE, PROBE, PROBE_POD, soakManifests } from './workload.js';

export const CHAOS_NAME = 'soak-kill';
const WARMUP_MS = 2000;
const STATUS_POLL_MS = 1000;
const LIVE_EVERY_MS = 10_000;
/** After everything looks settled, this long again before memory is read: let the last work finish. */
const QUIET_MS = 5000;

export interface SoakRunOptions {
  opts: SoakOptions & { seed: number };
  signal: AbortSignal;
  log: (line: string) => void;
  /** the cluster, once it exists: a second Ctrl-C kills it without waiting */
  onCluster?: (c: LocalCluster) => void;
}

export interface SoakRunResult {
  input: SoakInput;
  /** every probe request, `t` in ms from the start of the chaos */
  samples: MeasuredSample[];
  dataDir: string;
  /** processes of the cluster still there after it was stopped, killed by pid */
  leftovers: number;
}

function at(ms: number): string {
  return `[${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(1)}s]`;
}

/** A duration as the chaos schedule reads it: "5s", or "1500ms" when it is not whole seconds. */
export function scheduleDuration(ms: number): string {
  return ms % 1000 === 0 ? formatDurationMs(ms) : `${ms}ms`;
}

/** Kills that fit in the run: the schedule's first run is at once, then one every interval. */
export function runsIn(durationMs: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(durationMs / intervalMs));
}

/** The NodeChaos of the soak: a kill of one eligible node each interval, as a user would write it. */
export function soakChaos(o: SoakOptions & { seed: number }, eligible: readonly string[]): FaultStep {
  return {
    type: 'fault',
    index: 0,
    atMs: 0,
    name: CHAOS_NAME,
    kind: 'NodeChaos',
    spec: {
      action: 'kill',
      mode: 'one',
      selector: { nodes: [...eligible] },
      schedule: { interval: scheduleDuration(o.intervalMs), count: runsIn(o.durationMs, o.intervalMs) },
      minReady: o.minReady,
      seed: o.seed,
    },
  };
}

/** A promise that an abort cuts short with InterruptedError (what it was doing goes on, unwatched). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new InterruptedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InterruptedError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export async function runSoak(r: SoakRunOptions): Promise<SoakRunResult> {
  const { opts: o, signal, log } = r;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-soak-'));
  let t0 = 0;
  const stamp = () => (t0 ? at(Date.now() - t0) : '[setup]');
  let agentExits = 0;
  let agentRestarts = 0;
  let chaosOn = false;
  const cluster = new LocalCluster({
    dataDir,
    port: 0,
    restartNodes: o.restartNodes,
    restartDelayMs: o.restartDelayMs,
    onNodeExit: (m, how, restartInMs) => {
      if (!signal.aborted) agentExits++; // after a Ctrl-C, agents die of it, not of the chaos
      if (chaosOn) log(`${stamp()} ${m.name}: agent pid ${m.child.pid} ${how}${restartInMs !== undefined ? `; back in ${restartInMs / 1000}s` : ''}`);
    },
    onNodeRestart: (m) => {
      if (!signal.aborted) agentRestarts++;
      if (chaosOn) log(`${stamp()} ${m.name}: agent started again (pid ${m.child.pid})`);
    },
  });
  r.onCluster?.(cluster);
  const warnings: string[] = [];
  const killLog = new KillLog();
  let probe: Probe | undefined;
  let pods: PodCounter | undefined;
  let watcher: ClusterWatcher | undefined;
  let result: Omit<SoakRunResult, 'leftovers'> | undefined;
  let leftovers = 0;
  try {
    // --- setup: the cluster, the workload, the probe ---------------------------------------
    const started = Date.now();
    log(`[setup] starting a private cluster of ${o.nodes} node(s) in ${dataDir}`);
    await abortable(cluster.startControlPlane(), signal);
    for (let i = 1; i <= o.nodes; i++) cluster.startAgent(`node-${i}`);
    await abortable(cluster.waitReady(o.nodes, Math.max(60_000, o.nodes * 6000)), signal);
    log(`[setup] ${o.nodes} node(s) Ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${cluster.url}`);
    const cp = cluster.controlPlane!;
    const api = cluster.client('kip-soak');
    pods = new PodCounter(api);
    await pods.start();
    watcher = new ClusterWatcher(api, NAMESPACE);
    await watcher.start();
    const faults = new FaultInjector(api, NAMESPACE, { 'soak.kip.dev/run': randomSuffix(5) });
    const workload = new Workload(api, soakManifests(), (line) => log(`[setup] ${line}`));
    await workload.apply();
    await workload.waitReady(120_000, signal);
    const probeNode = 'node-1';
    const eligible = Array.from({ length: o.nodes - 1 }, (_, i) => `node-${i + 2}`);
    probe = new Probe({
      api,
      namespace: NAMESPACE,
      podName: PROBE_POD,
      spec: PROBE,
      nodeName: probeNode,
      labels: { app: 'soak-probe' },
      log: (l) => log(`[probe] ${l}`),
    });
    await probe.start(60_000, signal);
    await probe.waitFirstSample(30_000, signal);
    log(`[setup] probe pod ${PROBE_POD} on ${probeNode} calls ${PROBE.url} ${PROBE.rate}/s (timeout ${PROBE.timeoutMs}ms)`);
    const inventory = new Inventory(api);
    await inventory.take([
      { resource: resourceByKind('Deployment')!, namespace: NAMESPACE, name: APP },
      { resource: resourceByKind('Service')!, namespace: NAMESPACE, name: APP },
      { resource: resourceByKind('Pod')!, namespace: NAMESPACE, name: PROBE_POD },
    ]);
    await sleep(WARMUP_MS, signal);
    const rssStart = await rssOf(cp.child.pid);
    log(`[setup] control plane (pid ${cp.child.pid}) RSS ${((rssStart ?? 0) / 2 ** 20).toFixed(1)} MiB`);

    // --- the chaos ---------------------------------------------------------------------------
    const step = soakChaos(o, eligible);
    t0 = Date.now();
    chaosOn = true;
    await faults.inject(step);
    log(
      `${at(0)} NodeChaos ${CHAOS_NAME}: kill one of ${eligible.length} node(s) every ${scheduleDuration(o.intervalMs)}, ${runsIn(o.durationMs, o.intervalMs)} run(s), minReady ${o.minReady}, seed ${o.seed}`,
    );
    const chaosResource = resourceByKind('NodeChaos')!;
    const readStatus = async () => {
      const obj = await api.get<FaultObject>(chaosResource, NAMESPACE, CHAOS_NAME);
      for (const rec of killLog.merge(obj.status?.records)) {
        const t = Date.parse(rec.time) - t0;
        log(
          `${at(t)} chaos ${rec.result === 'Injected' ? 'killed' : rec.result.toLowerCase()} ${rec.nodes.join(', ') || '-'}${rec.result === 'Injected' ? '' : `: ${rec.message ?? ''}`}`,
        );
      }
    };
    let interrupted = false;
    let endAt = t0 + o.durationMs;
    let lastLive = t0;
    let statusErrors = 0;
    try {
      while (Date.now() < endAt) {
        await sleepUntil(Math.min(endAt, Date.now() + STATUS_POLL_MS), signal);
        if (!isRunning(cp))
          throw new CliError(
            `the control plane exited during the soak (${cp.child.signalCode ?? `code ${cp.child.exitCode}`}):\n${cp.output.slice(-20).join('\n')}`,
          );
        try {
          await readStatus();
          statusErrors = 0;
        } catch (err) {
          if (++statusErrors === 5) warnings.push(`reading the NodeChaos status failed 5 times in a row: ${(err as Error).message}`);
        }
        if (Date.now() - lastLive >= LIVE_EVERY_MS) {
          lastLive = Date.now();
          log(liveLine(Date.now() - t0, probe.samples, t0, killLog.injected, pods.count(t0), await readyCount(api).catch(() => undefined), o.nodes));
        }
      }
    } catch (err) {
      if (!(err instanceof InterruptedError)) throw err;
      interrupted = true;
      endAt = Date.now();
      log(`${at(endAt - t0)} interrupted: reporting what ran, then stopping everything`);
    }
    const durationMs = endAt - t0;
    chaosOn = false;
    // The last records, then the object goes: no more kills from here on.
    await readStatus().catch(() => {});
    await faults.heal([CHAOS_NAME]).catch((err: Error) => {
      if (!interrupted) warnings.push(`deleting the NodeChaos: ${err.message}`);
    });
    const final = await faults.statuses().catch(() => undefined);
    killLog.merge(final?.[CHAOS_NAME]?.records);
    log(`${at(durationMs)} chaos over: ${killLog.injected} node(s) killed; collecting the last requests`);
    // Interrupted from a terminal, the cluster got the Ctrl-C too: no more lines will come.
    if (isRunning(cp)) await probe.drain(endAt);
    const podsCreated = { total: pods.count(), duringChaos: pods.count(t0, endAt) };

    // --- the end state -----------------------------------------------------------------------
    let settle: SoakInput['settle'];
    let orphans: { orphans: Orphan[]; checked: number } | undefined;
    let objectsLost: string[] | undefined;
    let rssEnd: number | undefined;
    if (!interrupted) {
      log('[check] waiting for the cluster to settle');
      settle = await settleCluster(api, cluster, workload, o, signal).catch((err: unknown) => {
        if (err instanceof InterruptedError) interrupted = true;
        else throw err;
        return undefined;
      });
    }
    if (!interrupted) {
      if (settle && !settle.settled)
        warnings.push(`the cluster did not settle within ${settle.seconds}s after the chaos (${settle.pending}); the end state was checked anyway`);
      else log(`[check] settled in ${settle?.seconds}s; quiet for ${QUIET_MS / 1000}s, then reading memory, processes and objects`);
      await sleep(QUIET_MS, signal).catch(() => (interrupted = true));
    }
    if (!interrupted) {
      rssEnd = await rssOf(cp.child.pid);
      orphans = await orphanCheck(api, cluster, dataDir);
      objectsLost = await inventory.lost();
    }
    if (killLog.injected !== agentExits && !interrupted)
      warnings.push(`the NodeChaos recorded ${killLog.injected} kill(s), but the launcher saw ${agentExits} agent exit(s)`);
    const samples = probe.samples.map((s) => ({ ...s, t: s.t - t0 }));
    const inRun = samples.filter((s) => s.t >= 0 && s.t < durationMs);
    const lastSent = inRun.reduce((m, s) => Math.max(m, s.t), 0);
    if (inRun.length === 0) warnings.push('the probe logged no request sent while the chaos ran');
    else if (!interrupted && durationMs - lastSent > 2000 / PROBE.rate + PROBE.timeoutMs + 1000)
      warnings.push(`the probe's log stops at ${at(lastSent)} of ${(durationMs / 1000).toFixed(1)}s; requests after that are not in the figures`);
    const input: SoakInput = {
      startTime: t0,
      plannedDurationMs: o.durationMs,
      durationMs,
      interrupted,
      settings: {
        nodes: o.nodes,
        intervalMs: o.intervalMs,
        restartNodes: o.restartNodes,
        restartDelayMs: o.restartDelayMs,
        minReady: o.minReady,
        seed: o.seed,
        chaos: `NodeChaos ${NAMESPACE}/${CHAOS_NAME}`,
        probeNode,
        eligibleNodes: eligible.length,
        probeRate: PROBE.rate,
        probeTimeoutMs: PROBE.timeoutMs,
      },
      samples,
      kills: killLog.kills(t0),
      chaosEvents: eventCounts(watcher.observations, `NodeChaos/${CHAOS_NAME}`),
      agentExits,
      agentRestarts,
      podsCreated,
      ...(orphans ? { orphans: orphans.orphans, processesChecked: orphans.checked } : {}),
      ...(objectsLost ? { objectsLost } : {}),
      rss: { ...(rssStart !== undefined ? { startBytes: rssStart } : {}), ...(rssEnd !== undefined ? { endBytes: rssEnd } : {}) },
      ...(settle ? { settle } : {}),
      warnings,
    };
    result = { input, samples, dataDir };
  } finally {
    chaosOn = false;
    leftovers = await teardown(cluster, dataDir, probe, pods, watcher, log);
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
    else log(`[cleanup] --keep: the data dir stays: ${dataDir}`);
  }
  return { ...result, leftovers };
}

async function readyCount(api: ApiClient): Promise<number> {
  const nodes = await api.list<Node>(resourceByKind('Node')!, undefined);
  return nodes.items.filter(isNodeReady).length;
}

/** "[+40.0s] 400 requests, 399 ok (99.75%) | 8 killed | 10 pods created | 19/20 nodes Ready" */
function liveLine(
  nowMs: number,
  all: readonly MeasuredSample[],
  t0: number,
  killed: number,
  podsCreated: number,
  ready: number | undefined,
  nodes: number,
): string {
  const measured = all.filter((s) => s.t >= t0);
  const ok = measured.filter((s) => s.ok).length;
  const total = measured.length;
  return `${at(nowMs)} ${total} requests, ${ok} ok${total > 0 ? ` (${((ok / total) * 100).toFixed(2)}%)` : ''} | ${killed} killed | ${podsCreated} pods created | ${ready ?? '?'}/${nodes} nodes Ready`;
}

/**
 * Stops everything the soak started, whatever state it is in: the probe's log stream and the
 * watches, then every agent and the control plane by pid (LocalCluster.stop: SIGTERM, SIGKILL
 * after a grace), and last any process still found in the data dir, killed by pid.
 */
async function teardown(
  cluster: LocalCluster,
  dataDir: string,
  probe: Probe | undefined,
  pods: PodCounter | undefined,
  watcher: ClusterWatcher | undefined,
  log: (line: string) => void,
): Promise<number> {
  // Stopping the probe ends its log stream and deletes its pod (a refused delete, with the
  // control plane gone, is fine); bounded either way.
  if (probe) await Promise.race([probe.stop().catch(() => {}), sleep(5000)]);
  await Promise.race([Promise.all([pods?.stop(), watcher?.stop()]).catch(() => {}), sleep(3000)]);
  const running = [...cluster.agents.values()].filter(isRunning).length;
  log(`[cleanup] stopping ${running} agent(s) and the control plane`);
  await cluster.stop(10_000);
  // Pods die with their agents within a second; anything still here after that is killed by pid.
  const dir = realpathSync(dataDir);
  let left = processesUnder(listProcesses(), dir);
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await sleep(100);
    left = processesUnder(listProcesses(), dir);
  }
  for (const p of left) {
    log(`[cleanup] process ${p.pid} was left behind (${p.cmdline.slice(0, 100)}); killing it`);
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return left.length;
}
