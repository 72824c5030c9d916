// Hand-made probe samples and timeline steps for the report tests: exact times, exact outcomes.

import type { ExecutedStep } from '@kip/scripts';
import type { MeasuredSample } from '@kip/scripts';

/** One request every `everyMs` from `fromMs` to before `toMs`, all ok with `latencyMs`, numbered from `seq`. */
export function steady(fromMs: number, toMs: number, everyMs: number, latencyMs = 10, seq = 1): MeasuredSample[] {
  const out: MeasuredSample[] = [];
  for (let t = fromMs, n = seq; t < toMs; t += everyMs, n++) out.push({ seq: n, t, latencyMs, ok: true, status: 200, pod: 'web-a' });
  return out;
}

/** The same samples with those sent at the given times failed (a timeout, unless `error` says otherwise). */
export function failAt(samples: MeasuredSample[], times: number[], error = 'timeout after 1s'): MeasuredSample[] {
  const set = new Set(times);
  return samples.map((s) => {
    if (!set.has(s.t)) return s;
    const { status: _status, pod: _pod, ...rest } = s;
    return { ...rest, ok: false, latencyMs: 1000, error };
  });
}

export function inject(name: string, atMs: number, opts: { action?: string; kind?: string; durationMs?: number; error?: string } = {}): ExecutedStep {
  return {
    type: 'fault',
    atMs,
    names: [name],
    description: `inject ${name}`,
    kind: opts.kind ?? 'NodeChaos',
    action: opts.action ?? 'kill',
    ...(opts.durationMs !== undefined ? { faultDurationMs: opts.durationMs } : {}),
    ...(opts.error ? { error: opts.error } : {}),
  };
}

export function heal(atMs: number, ...names: string[]): ExecutedStep {
  return { type: 'heal', atMs, names, description: `heal ${names.join(', ')}` };
}
