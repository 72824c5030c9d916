// The soak's verdict, as a pure function of what the run observed: the probe's samples (on the
// time axis of the chaos, 0 at its start), the kills the NodeChaos recorded, the pods the watch
// saw created, and the end-state checks (orphans, objects lost, the control plane's memory).
// The probe's figures are the experiment report's own arithmetic (availability, outages,
// latency), so a soak and an experiment count the same requests the same way.

import { computeReport, type LatencySummary } from '../experiment/report.js';
import { seconds, type MeasuredSample } from '../experiment/stats.js';
import type { Orphan } from './processes.js';

export const MIN_AVAILABILITY = 0.99;
/** The control plane's RSS at the end may be this many times its RSS at the start, plus the slack. */
export const RSS_GROWTH_FACTOR = 1.5;
export const RSS_GROWTH_SLACK_BYTES = 20 * 1024 * 1024;

const MiB = 1024 * 1024;

/** One run of the NodeChaos, from its status.records, on the soak's time axis. */
export interface KillRecord {
  atMs: number;
  nodes: string[];
  result: 'Injected' | 'Skipped' | 'Failed' | 'Recovered';
  message?: string;
}

export interface SoakSettings {
  nodes: number;
  intervalMs: number;
  restartNodes: boolean;
  restartDelayMs: number;
  minReady: number;
  seed: number;
  chaos: string;
  probeNode: string;
  /** the nodes the NodeChaos may kill: all but the probe's */
  eligibleNodes: number;
  probeRate: number;
  probeTimeoutMs: number;
}

export interface SoakInput {
  /** wall-clock ms when the chaos began */
  startTime: number;
  plannedDurationMs: number;
  /** how long the chaos ran: the planned duration, or less when interrupted */
  durationMs: number;
  interrupted: boolean;
  settings: SoakSettings;
  /** every probe request, `t` in ms from the start of the chaos (negative: warmup, not measured) */
  samples: readonly MeasuredSample[];
  kills: readonly KillRecord[];
  /** Events on the NodeChaos object, by reason (an Event repeated N times counts N) */
  chaosEvents: Readonly<Record<string, number>>;
  /** agent processes that died, and were started again, as the soak's own launcher saw them */
  agentExits: number;
  agentRestarts: number;
  /** ADDED pod events, over the whole run and while the chaos ran */
  podsCreated: { total: number; duringChaos: number };
  /** undefined: not checked (interrupted, or the cluster was gone) */
  orphans?: readonly Orphan[];
  /** processes found in pod directories when the orphans were looked for */
  processesChecked?: number;
  objectsLost?: readonly string[];
  rss: { startBytes?: number; endBytes?: number };
  settle?: { settled: boolean; seconds: number; pending?: string };
  warnings: readonly string[];
}

export interface SoakProperty {
  name: 'availability' | 'orphans' | 'objectsLost' | 'rssGrowth' | 'chaosRan';
  /** null: it could not be checked */
  held: boolean | null;
  measured: string;
  required: string;
}

export interface SoakReport {
  kind: 'SoakReport';
  version: 1;
  startTime: string;
  plannedDurationSeconds: number;
  durationSeconds: number;
  interrupted: boolean;
  settings: SoakSettings;
  /** successful requests / all requests sent while the chaos ran, from 0 to 1 */
  availability: number;
  longestOutageSeconds: number;
  requests: { total: number; ok: number; failed: number; unlogged: number };
  latency: LatencySummary;
  outages: { startSeconds: number; endSeconds: number; durationSeconds: number; failures: number }[];
  errors: Record<string, number>;
  nodesKilled: number;
  kills: { injected: number; skipped: number; failed: number; records: { atSeconds: number; nodes: string[]; result: string; message?: string }[] };
  chaosEvents: Record<string, number>;
  agentExits: number;
  agentRestarts: number;
  podsCreated: { total: number; duringChaos: number };
  orphans: { count: number | null; processesChecked: number | null; processes: { pid: number; cwd: string; cmdline: string; why: string }[] };
  objectsLost: { count: number | null; objects: string[] };
  controlPlaneRss: { startMiB: number | null; endMiB: number | null; limitMiB: number | null };
  settle: { settled: boolean; seconds: number; pending?: string } | null;
  properties: SoakProperty[];
  /** every property held */
  passed: boolean;
  warnings: string[];
}

function mib(bytes: number | undefined): number | null {
  return bytes === undefined ? null : Math.round((bytes / MiB) * 10) / 10;
}

/** The most the control plane may hold at the end for its memory to count as steady. */
export function rssLimitBytes(startBytes: number): number {
  return startBytes * RSS_GROWTH_FACTOR + RSS_GROWTH_SLACK_BYTES;
}

/** Requests the client numbered but never logged an outcome for: gaps in its request numbers. */
export function unloggedOf(samples: readonly MeasuredSample[]): number {
  const seqs = samples.map((s) => s.seq).filter((n): n is number => n !== undefined);
  if (seqs.length === 0) return 0;
  return seqs.reduce((m, n) => Math.max(m, n)) - seqs.reduce((m, n) => Math.min(m, n)) + 1 - new Set(seqs).size;
}

function pctText(f: number): string {
  return `${(f * 100).toFixed(2)}%`;
}

export function computeSoakReport(input: SoakInput): SoakReport {
  const { durationMs } = input;
  const inRun = input.samples.filter((s) => s.t >= 0 && s.t < durationMs);
  // The experiment's figures over one phase with no steps: the whole chaos window.
  const probe = computeReport({
    name: 'soak',
    startTime: input.startTime,
    durationMs,
    sustainMs: 0,
    samples: input.samples,
    steps: [],
    events: [],
    unlogged: unloggedOf(inRun),
  });
  const kills = [...input.kills].sort((a, b) => a.atMs - b.atMs);
  const injected = kills.filter((k) => k.result === 'Injected');
  const nodesKilled = injected.reduce((n, k) => n + k.nodes.length, 0);
  const { startBytes, endBytes } = input.rss;
  const limit = startBytes === undefined ? undefined : rssLimitBytes(startBytes);

  const properties: SoakProperty[] = [
    {
      name: 'availability',
      held: probe.requests.total > 0 && probe.availability >= MIN_AVAILABILITY,
      measured:
        probe.requests.total > 0 ? `${pctText(probe.availability)} (${probe.requests.ok} of ${probe.requests.total} requests ok)` : 'no request was measured',
      required: `>= ${pctText(MIN_AVAILABILITY)}`,
    },
    {
      name: 'orphans',
      held: input.orphans === undefined ? null : input.orphans.length === 0,
      measured: input.orphans === undefined ? 'not checked' : `${input.orphans.length} of ${input.processesChecked ?? '?'} process(es) in pod directories`,
      required: "0 processes in the data dir outside a live agent's pods",
    },
    {
      name: 'objectsLost',
      held: input.objectsLost === undefined ? null : input.objectsLost.length === 0,
      measured: input.objectsLost === undefined ? 'not checked' : `${input.objectsLost.length} object(s)`,
      required: '0: the Deployment (all replicas Running), the Service, the probe pod and every Node, same uid',
    },
    {
      name: 'rssGrowth',
      held: startBytes === undefined || endBytes === undefined ? null : endBytes <= limit!,
      measured: `start ${mib(startBytes) ?? '?'} MiB, end ${mib(endBytes) ?? '?'} MiB`,
      required: `end <= start x ${RSS_GROWTH_FACTOR} + ${RSS_GROWTH_SLACK_BYTES / MiB} MiB${limit === undefined ? '' : ` = ${mib(limit)} MiB`}`,
    },
    {
      name: 'chaosRan',
      held: nodesKilled > 0,
      measured: `${nodesKilled} node(s) killed, ${kills.filter((k) => k.result === 'Skipped').length} run(s) skipped`,
      required: 'at least one node killed (else nothing was tested)',
    },
  ];

  return {
    kind: 'SoakReport',
    version: 1,
    startTime: new Date(input.startTime).toISOString(),
    plannedDurationSeconds: seconds(input.plannedDurationMs),
    durationSeconds: seconds(durationMs),
    interrupted: input.interrupted,
    settings: { ...input.settings },
    availability: probe.availability,
    longestOutageSeconds: probe.longestOutageSeconds,
    requests: probe.requests,
    latency: probe.latency,
    outages: probe.outages,
    errors: probe.samples.errors,
    nodesKilled,
    kills: {
      injected: injected.length,
      skipped: kills.filter((k) => k.result === 'Skipped').length,
      failed: kills.filter((k) => k.result === 'Failed').length,
      records: kills.map((k) => ({ atSeconds: seconds(k.atMs), nodes: [...k.nodes], result: k.result, ...(k.message ? { message: k.message } : {}) })),
    },
    chaosEvents: { ...input.chaosEvents },
    agentExits: input.agentExits,
    agentRestarts: input.agentRestarts,
    podsCreated: { ...input.podsCreated },
    orphans: {
      count: input.orphans?.length ?? null,
      processesChecked: input.processesChecked ?? null,
      processes: (input.orphans ?? []).map((o) => ({ pid: o.pid, cwd: o.cwd, cmdline: o.cmdline, why: o.why })),
    },
    objectsLost: { count: input.objectsLost?.length ?? null, objects: [...(input.objectsLost ?? [])] },
    controlPlaneRss: { startMiB: mib(startBytes), endMiB: mib(endBytes), limitMiB: mib(limit) },
    settle: input.settle ? { ...input.settle } : null,
    properties,
    passed: properties.every((p) => p.held === true),
    warnings: [...input.warnings],
  };
}

/** 130 when interrupted (whatever held), else 0 when every property held, 1 when one did not. */
export function exitCodeOf(report: SoakReport): number {
  if (report.interrupted) return 130;
  return report.passed ? 0 : 1;
}
