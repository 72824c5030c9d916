// The arithmetic of a report, on samples placed by their send time in milliseconds from the
// start of the timeline: percentiles by nearest rank, and outages as runs of failed requests.

import type { Sample } from './client-log.js';

/** A probe request as the figures use it: `t`, when it was sent, in ms from the start of the timeline. */
export type MeasuredSample = Pick<Sample, 't' | 'latencyMs' | 'ok' | 'status' | 'error' | 'pod'> & { seq?: number };

export { percentile } from '@kip/shared';

/** Samples in send order; equal send times keep the client's request order. */
export function inSendOrder<T extends MeasuredSample>(samples: readonly T[]): T[] {
  return [...samples].sort((a, b) => a.t - b.t || (a.seq ?? 0) - (b.seq ?? 0));
}

export interface Outage {
  /** send time of the first failed request of the run */
  startMs: number;
  /** send time of the first successful request after it, or the end of the measurement */
  endMs: number;
  failures: number;
}

/**
 * Every run of consecutive failed requests (in send order), each lasting from the first failure
 * to the next success, or to `endMs` when no success came before the end. A lone failure
 * between two successes is an outage as long as the gap to the next success.
 */
export function outagesOf(ordered: readonly MeasuredSample[], endMs: number): Outage[] {
  const out: Outage[] = [];
  let current: { startMs: number; failures: number } | undefined;
  for (const s of ordered) {
    if (!s.ok) {
      if (current) current.failures++;
      else current = { startMs: s.t, failures: 1 };
      continue;
    }
    if (current) {
      out.push({ startMs: current.startMs, endMs: s.t, failures: current.failures });
      current = undefined;
    }
  }
  if (current) out.push({ startMs: current.startMs, endMs: Math.max(endMs, current.startMs), failures: current.failures });
  return out;
}

export interface Recovery {
  failures: number;
  firstFailureMs?: number;
  lastFailureMs?: number;
  /** send time of the first success after the last failure, if successes then held for `sustainMs` */
  recoveredAtMs?: number;
  recovered: boolean;
}

/**
 * Recovery from a fault injected at `fromMs`, judged on the requests sent in [fromMs, untilMs)
 * (until the next injection, or the end). With no failure there, it never went down: recovered
 * at injection. Otherwise it recovered at the first success after the last failure of that window,
 * if the requests sent in the `sustainMs` after it all succeeded and the measurement lasted that
 * long; else it did not recover within the run.
 */
export function recoveryOf(ordered: readonly MeasuredSample[], fromMs: number, untilMs: number, sustainMs: number, endMs: number): Recovery {
  let last = -1;
  let failures = 0;
  let firstFailureMs: number | undefined;
  ordered.forEach((s, i) => {
    if (s.ok || s.t < fromMs || s.t >= untilMs) return;
    failures++;
    firstFailureMs ??= s.t;
    last = i;
  });
  if (failures === 0) return { failures: 0, recoveredAtMs: fromMs, recovered: true };
  const lastFailureMs = ordered[last]!.t;
  const base = { failures, firstFailureMs: firstFailureMs!, lastFailureMs };
  const next = ordered.findIndex((s, i) => i > last && s.ok);
  if (next < 0) return { ...base, recovered: false };
  const at = ordered[next]!.t;
  if (at + sustainMs > endMs) return { ...base, recovered: false };
  for (let i = next + 1; i < ordered.length && ordered[i]!.t < at + sustainMs; i++) if (!ordered[i]!.ok) return { ...base, recovered: false };
  return { ...base, recoveredAtMs: at, recovered: true };
}

/** Seconds with millisecond precision, as every time in the report is given. */
export function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}
