// The measured report of an experiment, as a pure function of what was observed: the probe's
// samples, the steps carried out, and the cluster's events, all on one time axis in ms from the
// start of the timeline. The runner gathers them; the text, JSON and HTML forms render this.

import { faultWindows, phasesOf, type ExecutedStep } from './phases.js';
import { inSendOrder, outagesOf, percentile, recoveryOf, seconds, type MeasuredSample } from './stats.js';

/** Something that happened in the cluster: an Event, or a node's Ready condition changing. */
export interface ObservedEvent {
  /** when the runner saw it, in ms from the start (negative: before the timeline began) */
  atMs: number;
  /** "Node/node-3", "Pod/web-5d9c-x2x9z" */
  object: string;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  /** "event" for an API Event, "node" for a Ready condition change seen on the Node itself */
  source: 'event' | 'node';
  count?: number;
}

export interface ReportInput {
  name: string;
  description?: string;
  /** wall-clock ms at the start of the timeline */
  startTime: number;
  durationMs: number;
  sustainMs: number;
  /** stopped by the user before the end */
  interrupted?: boolean;
  samples: readonly MeasuredSample[];
  steps: readonly ExecutedStep[];
  events: readonly ObservedEvent[];
  /** requests the client numbered but never logged an outcome for */
  unlogged?: number;
}

export interface LatencySummary {
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface PhaseReport extends LatencySummary {
  name: string;
  startSeconds: number;
  endSeconds: number;
  requests: number;
  ok: number;
  failed: number;
  /** ok / requests, or null for a phase without requests */
  availability: number | null;
}

export interface FaultReport {
  name: string;
  kind: string;
  action: string;
  injectedAtSeconds: number;
  healedAtSeconds: number | null;
  healedBy: 'step' | 'duration' | 'recovered' | null;
  /** failed requests sent from injection until the next injection (or the end) */
  failures: number;
  firstFailureSeconds: number | null;
  lastFailureSeconds: number | null;
  recovered: boolean;
  /** from injection to the first sustained success after the last failure; 0 if nothing failed */
  timeToRecoverSeconds: number | null;
}

export interface ExperimentReport {
  kind: 'ExperimentReport';
  version: 1;
  name: string;
  description?: string;
  startTime: string;
  durationSeconds: number;
  sustainSeconds: number;
  interrupted: boolean;
  /** successful requests / all requests sent during the timeline, from 0 to 1 */
  availability: number;
  longestOutageSeconds: number;
  requests: { total: number; ok: number; failed: number; unlogged: number };
  outages: { startSeconds: number; endSeconds: number; durationSeconds: number; failures: number }[];
  latency: LatencySummary;
  phases: PhaseReport[];
  faults: FaultReport[];
  steps: { atSeconds: number; type: 'fault' | 'heal'; names: string[]; description: string; error?: string }[];
  events: (Omit<ObservedEvent, 'atMs'> & { atSeconds: number })[];
  samples: { total: number; ok: number; failed: number; byPod: Record<string, number>; errors: Record<string, number> };
}

function latencyOf(samples: readonly MeasuredSample[]): LatencySummary {
  const ms = samples.filter((s) => s.ok).map((s) => s.latencyMs);
  return { p50Ms: percentile(ms, 50) ?? null, p99Ms: percentile(ms, 99) ?? null, maxMs: ms.length ? ms.reduce((m, v) => Math.max(m, v)) : null };
}

function count(samples: readonly MeasuredSample[]): { total: number; ok: number; failed: number } {
  const ok = samples.filter((s) => s.ok).length;
  return { total: samples.length, ok, failed: samples.length - ok };
}

function tally(values: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) if (v !== undefined) out[v] = (out[v] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** Only requests sent during the timeline, [0, duration), are measured; warmup is not. */
export function measuredSamples<T extends MeasuredSample>(samples: readonly T[], durationMs: number): T[] {
  return inSendOrder(samples.filter((s) => s.t >= 0 && s.t < durationMs));
}

export function computeReport(input: ReportInput): ExperimentReport {
  const { durationMs, sustainMs } = input;
  const samples = measuredSamples(input.samples, durationMs);
  const totals = count(samples);
  const outages = outagesOf(samples, durationMs);
  const longest = outages.reduce((m, o) => Math.max(m, o.endMs - o.startMs), 0);

  const phases: PhaseReport[] = phasesOf(input.steps, durationMs).map((p) => {
    const inPhase = samples.filter((s) => s.t >= p.startMs && s.t < p.endMs);
    const c = count(inPhase);
    return {
      name: p.name,
      startSeconds: seconds(p.startMs),
      endSeconds: seconds(p.endMs),
      requests: c.total,
      ok: c.ok,
      failed: c.failed,
      availability: c.total > 0 ? c.ok / c.total : null,
      ...latencyOf(inPhase),
    };
  });

  const windows = faultWindows(input.steps);
  const faults: FaultReport[] = windows.map((w, i) => {
    const until = Math.min(windows[i + 1]?.injectedAtMs ?? durationMs, durationMs);
    const r = recoveryOf(samples, w.injectedAtMs, until, sustainMs, durationMs);
    return {
      name: w.name,
      kind: w.kind,
      action: w.action,
      injectedAtSeconds: seconds(w.injectedAtMs),
      healedAtSeconds: w.healedAtMs === undefined ? null : seconds(w.healedAtMs),
      healedBy: w.healedBy ?? null,
      failures: r.failures,
      firstFailureSeconds: r.firstFailureMs === undefined ? null : seconds(r.firstFailureMs),
      lastFailureSeconds: r.lastFailureMs === undefined ? null : seconds(r.lastFailureMs),
      recovered: r.recovered,
      timeToRecoverSeconds: r.recoveredAtMs === undefined ? null : seconds(r.recoveredAtMs - w.injectedAtMs),
    };
  });

  return {
    kind: 'ExperimentReport',
    version: 1,
    name: input.name,
    ...(input.description ? { description: input.description } : {}),
    startTime: new Date(input.startTime).toISOString(),
    durationSeconds: seconds(durationMs),
    sustainSeconds: seconds(sustainMs),
    interrupted: !!input.interrupted,
    availability: totals.total > 0 ? totals.ok / totals.total : 0,
    longestOutageSeconds: seconds(longest),
    requests: { ...totals, unlogged: input.unlogged ?? 0 },
    outages: outages.map((o) => ({
      startSeconds: seconds(o.startMs),
      endSeconds: seconds(o.endMs),
      durationSeconds: seconds(o.endMs - o.startMs),
      failures: o.failures,
    })),
    latency: latencyOf(samples),
    phases,
    faults,
    steps: input.steps.map((s) => ({
      atSeconds: seconds(s.atMs),
      type: s.type,
      names: [...s.names],
      description: s.description,
      ...(s.error ? { error: s.error } : {}),
    })),
    events: [...input.events].sort((a, b) => a.atMs - b.atMs).map(({ atMs, ...rest }) => ({ atSeconds: seconds(atMs), ...rest })),
    samples: { ...totals, byPod: tally(samples.map((s) => s.pod)), errors: tally(samples.map((s) => s.error)) },
  };
}
