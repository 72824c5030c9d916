// Running one experiment against a cluster: apply the workload and wait until it serves, start
// the probe, warm up, then play the timeline (inject and heal faults at their offsets) while the
// probe and the cluster's events are recorded, and finally take away everything the run created,
// whatever happened, Ctrl-C included. What it returns is the raw material of the report.

import { isNodeReady, parseDuration, randomSuffix, resourceByKind, ApiStatusError, type ChaosStatus, type Node, type ApiClient } from '@kip/shared';
import { CliError } from '../kip/errors.js';
import type { ManifestObject } from '../kip/manifests.js';
import { ClusterWatcher, type ClusterObservation } from './cluster-watch.js';
import { FaultInjector } from './faults.js';
import { missedFaultWarning } from './fault-reach.js';
import { faultWindows, phasesOf, type ExecutedStep } from './phases.js';
import { Probe } from './probe.js';
import type { ReportInput } from './report.js';
import { ms as fmtMs } from './report-text.js';
import { InterruptedError, sleep, sleepUntil } from './sleep.js';
import type { ExperimentSpec } from './spec.js';
import { percentile, type MeasuredSample } from './stats.js';
import { describeStep, type TimelineStep } from './timeline.js';
import { Workload } from './workload.js';

export interface RunOptions {
  api: ApiClient;
  spec: ExperimentSpec;
  workload: readonly ManifestObject[];
  /** leave the workload in place afterwards */
  keep: boolean;
  signal: AbortSignal;
  /** live progress, one line at a time */
  log: (line: string) => void;
  readyTimeoutMs: number;
  liveIntervalMs?: number;
  /**
   * True once the cluster itself is gone (a private cluster whose processes got the terminal's
   * Ctrl-C too): there is nothing left to clean up in it, and failing to is no news.
   */
  clusterGone?: () => boolean;
}

export interface RunResult {
  input: ReportInput;
  /** every sample, warmup included, in ms from the start of the timeline */
  samples: (MeasuredSample & { node?: string })[];
  probe: { pod: string; node: string; url: string; rate: number; timeoutMs: number };
  faultStatus: Record<string, ChaosStatus>;
  warnings: string[];
}

/**
 * The node for the probe pod: the one the file names (which must exist and be Ready), none when
 * it gives a nodeSelector (the scheduler picks), else the first Ready node that no NodeChaos
 * names, so that a kill does not take the measuring instrument down with it.
 */
export function chooseProbeNode(spec: ExperimentSpec, nodes: readonly Node[]): string | undefined {
  const names = nodes.map((n) => n.metadata.name).sort();
  const wanted = spec.probe.nodeName;
  if (wanted) {
    const node = nodes.find((n) => n.metadata.name === wanted);
    if (!node) throw new CliError(`probe.nodeName: node "${wanted}" does not exist; the nodes are ${names.join(', ') || '(none)'}`);
    if (!isNodeReady(node)) throw new CliError(`probe.nodeName: node "${wanted}" is not Ready`);
    return wanted;
  }
  if (spec.probe.nodeSelector) return undefined;
  const avoid = new Set<string>();
  for (const s of spec.timeline) {
    if (s.type !== 'fault' || s.kind !== 'NodeChaos') continue;
    const sel = (s.spec.selector ?? {}) as { nodes?: unknown };
    if (Array.isArray(sel.nodes)) for (const n of sel.nodes) avoid.add(String(n));
  }
  const ready = nodes
    .filter((n) => isNodeReady(n) && !n.spec?.unschedulable)
    .map((n) => n.metadata.name)
    .sort();
  return ready.find((n) => !avoid.has(n));
}

function at(ms: number): string {
  return `[${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(1)}s]`;
}

/** The experiment's namespace is created when it does not exist yet (and left afterwards). */
async function ensureNamespace(api: ApiClient, ns: string, log: (line: string) => void): Promise<void> {
  const r = resourceByKind('Namespace')!;
  try {
    await api.get(r, undefined, ns);
  } catch (err) {
    if (!(err instanceof ApiStatusError && err.isNotFound)) throw err;
    await api.create(r, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    log(`namespace ${ns} created`);
  }
}

export async function runExperiment(o: RunOptions): Promise<RunResult> {
  const { api, spec, signal, log } = o;
  const ns = spec.namespace;
  const runId = randomSuffix(5);
  const labels = { 'experiment.kip.dev/name': spec.name, 'experiment.kip.dev/run': runId };
  const warnings: string[] = [];
  let t0 = 0;
  let stage: 'setup' | 'run' | 'cleanup' = 'setup';
  const stamp = (wall: number) => (stage === 'run' ? at(wall - t0) : `[${stage}]`);
  const faults = new FaultInjector(api, ns, labels, o.clusterGone);
  const watcher = new ClusterWatcher(api, ns, (ob: ClusterObservation) => log(`${stamp(ob.at)} ${ob.object} ${ob.reason}: ${ob.message}`));
  const workload = new Workload(api, o.workload, (line) => log(`[${stage}] ${line}`));
  const fresh: MeasuredSample[] = [];
  const podName = `${spec.name}-probe-${runId}`;
  let probe: Probe | undefined;
  const executed: ExecutedStep[] = [];
  let interrupted = false;
  let endAt = 0;
  let faultStatus: Record<string, ChaosStatus> | undefined;
  let observed = 0;
  try {
    const nodes = (await api.list<Node>(resourceByKind('Node')!, undefined)).items;
    const ready = nodes.filter(isNodeReady).length;
    if (ready === 0) throw new CliError('the cluster has no Ready node');
    log(`[setup] cluster ${api.url.origin}: ${ready} of ${nodes.length} node(s) Ready`);
    const probeNode = chooseProbeNode(spec, nodes);
    await faults.preflight(spec.timeline);
    await ensureNamespace(api, ns, (line) => log(`[setup] ${line}`));
    await watcher.start();
    await workload.apply();
    await workload.waitReady(o.readyTimeoutMs, signal);
    log('[setup] workload is ready');

    probe = new Probe({
      api,
      namespace: ns,
      podName,
      spec: spec.probe,
      ...(probeNode ? { nodeName: probeNode } : {}),
      labels,
      onSample: (s) => fresh.push(s),
      log: (l) => log(`[probe] ${l}`),
    });
    await probe.start(60_000, signal);
    log(`[setup] probe pod ${podName} on ${probe.node} calls ${spec.probe.url} ${spec.probe.rate}/s, timeout ${spec.probe.timeoutMs}ms`);
    await probe.waitFirstSample(30_000, signal);
    if (spec.warmupMs > 0) {
      log(`[setup] warming up for ${spec.warmupMs / 1000}s`);
      await sleep(spec.warmupMs, signal);
    }

    t0 = Date.now();
    stage = 'run';
    fresh.length = 0;
    log(`${at(0)} timeline starts: ${spec.timeline.length} step(s) over ${spec.durationMs / 1000}s`);
    const ticker = setInterval(() => log(liveLine(Date.now() - t0, fresh.splice(0), probe!.samples, t0, executed)), o.liveIntervalMs ?? 2000);
    try {
      for (const step of spec.timeline) {
        await sleepUntil(t0 + step.atMs, signal);
        executed.push(await runStep(step, faults, Date.now() - t0, warnings));
        const last = executed[executed.length - 1]!;
        log(`${at(last.atMs)} ${last.description}${last.error ? ` FAILED: ${last.error}` : ''}`);
      }
      await sleepUntil(t0 + spec.durationMs, signal);
      endAt = t0 + spec.durationMs;
    } catch (err) {
      if (!(err instanceof InterruptedError)) throw err;
      interrupted = true;
      endAt = Date.now();
      log(`${at(endAt - t0)} interrupted: reporting what was measured, then cleaning up`);
    } finally {
      clearInterval(ticker);
    }
    log(`${at(endAt - t0)} timeline done; collecting the last requests`);
    await probe.drain(endAt);
    faultStatus = await faults.statuses().catch((err: Error) => {
      if (!o.clusterGone?.()) warnings.push(`reading the faults' status: ${err.message}`);
      return undefined;
    });
  } finally {
    // What the cluster says from here on is the run's own cleanup, not part of what was measured.
    stage = 'cleanup';
    observed = watcher.observations.length;
    await cleanup(o, probe, faults, workload, watcher, warnings);
  }

  for (const s of faultStatus ? executed : []) {
    if (s.type !== 'fault' || s.error) continue;
    const st = faultStatus![s.names[0]!];
    if (!st || (!st.phase && !(st.records?.length ?? 0)))
      warnings.push(`fault ${s.names[0]} shows no status: no chaos controller seems to have acted on it, so the figures show the workload without that fault`);
    const step = spec.timeline.find((f) => f.type === 'fault' && f.name === s.names[0]);
    const recovered = st && step?.type === 'fault' && step.spec.schedule === undefined ? recoveredAt(st, t0 + s.atMs) : undefined;
    if (recovered !== undefined) s.recoveredAtMs = recovered - t0;
  }
  const samples = probe!.samples.map((s) => ({ ...s, t: s.t - t0 }));
  const durationMs = Math.min(spec.durationMs, endAt - t0);
  const inRun = samples.filter((s) => s.t >= 0 && s.t < durationMs);
  const lastSent = inRun.reduce((m, s) => Math.max(m, s.t), 0);
  if (inRun.length === 0) warnings.push('the probe logged no request sent during the timeline (was its pod or its node lost?)');
  else if (durationMs - lastSent > 2000 / spec.probe.rate + spec.probe.timeoutMs + 1000)
    warnings.push(
      `the probe's log stops at ${at(lastSent)} of ${durationMs / 1000}s (was its pod or its node lost?); requests after that are not in the figures`,
    );
  for (const w of faultWindows(executed)) {
    const step = spec.timeline.find((f) => f.type === 'fault' && f.name === w.name);
    if (step?.type !== 'fault' || step.kind !== 'NetworkChaos' || (step.spec.target as { controlPlane?: unknown } | undefined)?.controlPlane === true) continue;
    const until = Math.min(w.healedAtMs ?? durationMs, durationMs);
    const missed = missedFaultWarning(
      w.name,
      faultStatus?.[w.name],
      probe!.node,
      inRun.filter((s) => s.t >= w.injectedAtMs && s.t < until),
    );
    if (missed) warnings.push(missed);
  }
  // Request numbers are consecutive: a gap is a request the client never logged an outcome for.
  const seqs = inRun.map((s) => s.seq);
  const unlogged = seqs.length > 0 ? seqs.reduce((m, n) => Math.max(m, n)) - seqs.reduce((m, n) => Math.min(m, n)) + 1 - seqs.length : 0;
  const events = watcher.observations.slice(0, observed).map(({ at: when, ...rest }) => ({ atMs: when - t0, ...rest }));
  return {
    input: {
      name: spec.name,
      ...(spec.description ? { description: spec.description } : {}),
      startTime: t0,
      durationMs,
      sustainMs: spec.sustainMs,
      interrupted,
      samples,
      steps: executed,
      events,
      unlogged,
    },
    samples,
    probe: { pod: podName, node: probe!.node, url: spec.probe.url, rate: spec.probe.rate, timeoutMs: spec.probe.timeoutMs },
    faultStatus: faultStatus ?? {},
    warnings,
  };
}

/** When the controller recorded a one-off fault as over, after `after` (wall-clock ms). */
export function recoveredAt(status: ChaosStatus, after: number): number | undefined {
  for (const r of status.records ?? []) {
    const t = Date.parse(r.time);
    if (r.result === 'Recovered' && !Number.isNaN(t) && t >= after) return t;
  }
  return undefined;
}

async function runStep(step: TimelineStep, faults: FaultInjector, atMs: number, warnings: string[]): Promise<ExecutedStep> {
  const base: ExecutedStep = { type: step.type, atMs, names: step.type === 'fault' ? [step.name] : [...step.names], description: describeStep(step) };
  if (step.type === 'fault') {
    base.kind = step.kind;
    base.action = String(step.spec.action);
    const d = typeof step.spec.duration === 'string' || typeof step.spec.duration === 'number' ? parseDuration(step.spec.duration) : undefined;
    if (d !== undefined) base.faultDurationMs = d;
  }
  try {
    if (step.type === 'fault') await faults.inject(step);
    else await faults.heal(step.names);
  } catch (err) {
    base.error = (err as Error).message;
    warnings.push(`step at +${atMs / 1000}s (${base.description}) failed: ${base.error}`);
  }
  return base;
}

/** Everything this run created goes, each part on its own, so one failure does not leave the rest. */
async function cleanup(
  o: RunOptions,
  probe: Probe | undefined,
  faults: FaultInjector,
  workload: Workload,
  watcher: ClusterWatcher,
  warnings: string[],
): Promise<void> {
  let goneSaid = false;
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      if (!o.clusterGone?.()) {
        await fn();
        return;
      }
    } catch (err) {
      if (!o.clusterGone?.()) {
        warnings.push(`cleanup: ${what}: ${(err as Error).message}`);
        o.log(`[cleanup] ${what} failed: ${(err as Error).message}`);
        return;
      }
    }
    if (!goneSaid) o.log('[cleanup] the private cluster is down already: nothing is left to remove from it');
    goneSaid = true;
  };
  await attempt('deleting the probe pod', async () => probe?.stop());
  await attempt('deleting the faults', async () => {
    const left = await faults.cleanup();
    if (left.length > 0) o.log(`[cleanup] deleted fault(s) still in place: ${left.join(', ')}`);
  });
  if (o.keep) {
    if (workload.created.length > 0)
      o.log(`[cleanup] --keep: the workload stays (${workload.created.map((m) => `${m.resource.plural}/${m.object.metadata.name}`).join(', ')})`);
  } else await attempt('deleting the workload', () => workload.remove());
  await attempt('stopping the watches', () => watcher.stop());
}

/** "[+8.0s] during kill-node-3 | 80 requests, 78 ok (97.5%) | last 2.0s: 20 requests, 20 ok, p50 3ms, p99 8ms" */
function liveLine(nowMs: number, recent: readonly MeasuredSample[], all: readonly MeasuredSample[], t0: number, executed: readonly ExecutedStep[]): string {
  const phases = phasesOf(executed, Math.max(nowMs, 1));
  const phase = phases[phases.length - 1]?.name ?? 'before';
  const measured = all.filter((s) => s.t >= t0);
  const ok = measured.filter((s) => s.ok).length;
  const total = measured.length;
  const recentOk = recent.filter((s) => s.ok);
  const lat = recentOk.map((s) => s.latencyMs);
  const window =
    recent.length > 0
      ? `${recent.length} new, ${recentOk.length} ok, p50 ${fmtMs(percentile(lat, 50) ?? null)}, p99 ${fmtMs(percentile(lat, 99) ?? null)}`
      : 'no new requests logged';
  return `${at(nowMs)} ${phase} | ${total} requests, ${ok} ok${total > 0 ? ` (${((ok / total) * 100).toFixed(1)}%)` : ''} | ${window}`;
}
