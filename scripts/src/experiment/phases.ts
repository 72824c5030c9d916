// Cutting a run into phases by what was broken when. Every timeline step, and every fault that
// ended by itself (its own `duration` over, or its controller reporting it recovered), is a boundary; a phase is named by the
// faults active in it: "before" the first, "during X" (or "during X + Y"), "after X" once healed.

/** A timeline step as it was carried out, in ms from the start of the timeline. */
export interface ExecutedStep {
  type: 'fault' | 'heal';
  atMs: number;
  /** the fault injected, or the faults healed */
  names: string[];
  description: string;
  /** for a fault: its kind and action, and its own duration (it heals itself after it) */
  kind?: string;
  action?: string;
  faultDurationMs?: number;
  /** when its controller reported it over (a restarted node Ready again), if it did during the run */
  recoveredAtMs?: number;
  /** the API refused the step; a failed injection injects nothing */
  error?: string;
}

export interface FaultWindow {
  name: string;
  kind: string;
  action: string;
  injectedAtMs: number;
  /** when it was healed (a heal step, or its own duration ending); undefined: active to the end */
  healedAtMs?: number;
  healedBy?: 'step' | 'duration' | 'recovered';
}

/** The faults that were injected, each with the span it was active. */
export function faultWindows(steps: readonly ExecutedStep[]): FaultWindow[] {
  const out: FaultWindow[] = [];
  for (const s of steps) {
    if (s.error) continue;
    if (s.type === 'fault') {
      const name = s.names[0]!;
      const w: FaultWindow = { name, kind: s.kind ?? '', action: s.action ?? '', injectedAtMs: s.atMs };
      if (s.faultDurationMs !== undefined) {
        w.healedAtMs = s.atMs + s.faultDurationMs;
        w.healedBy = 'duration';
      }
      if (s.recoveredAtMs !== undefined && (w.healedAtMs === undefined || s.recoveredAtMs < w.healedAtMs)) {
        w.healedAtMs = s.recoveredAtMs;
        w.healedBy = 'recovered';
      }
      out.push(w);
      continue;
    }
    for (const name of s.names) {
      const w = out.find((f) => f.name === name);
      if (w && (w.healedAtMs === undefined || s.atMs < w.healedAtMs)) {
        w.healedAtMs = s.atMs;
        w.healedBy = 'step';
      }
    }
  }
  return out;
}

export interface PhaseSpan {
  name: string;
  startMs: number;
  endMs: number;
  /** the faults active during it */
  active: string[];
}

/** The phases of a run of `durationMs`, in order, covering [0, durationMs) without gaps. */
export function phasesOf(steps: readonly ExecutedStep[], durationMs: number): PhaseSpan[] {
  const windows = faultWindows(steps);
  const cuts = new Set<number>([0, durationMs]);
  for (const s of steps) if (s.atMs > 0 && s.atMs < durationMs) cuts.add(s.atMs);
  for (const w of windows) if (w.healedAtMs !== undefined && w.healedAtMs > 0 && w.healedAtMs < durationMs) cuts.add(w.healedAtMs);
  const times = [...cuts].sort((a, b) => a - b);
  const spans: PhaseSpan[] = [];
  for (let i = 0; i + 1 < times.length; i++) {
    const start = times[i]!;
    const end = times[i + 1]!;
    const active = windows.filter((w) => w.injectedAtMs <= start && (w.healedAtMs === undefined || w.healedAtMs > start)).map((w) => w.name);
    const ended = windows.filter((w) => w.healedAtMs !== undefined && w.healedAtMs <= start).sort((a, b) => a.healedAtMs! - b.healedAtMs!);
    const name = active.length > 0 ? `during ${active.join(' + ')}` : ended.length > 0 ? `after ${ended[ended.length - 1]!.name}` : 'before';
    const prev = spans[spans.length - 1];
    if (prev && prev.name === name) prev.endMs = end;
    else spans.push({ name, startMs: start, endMs: end, active });
  }
  return spans;
}
