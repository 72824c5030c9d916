// One probe of one container instance, run on its period with Kubernetes' thresholds: the result
// flips to success after successThreshold successes in a row, to failure after failureThreshold
// failures in a row. The container worker decides what a flip means (restart, readiness).

import type { Clock, Probe, TimerHandle } from '@kip/shared';
import type { ProbeResult } from './probe-handlers.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export const PROBE_TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export interface ProbeCallbacks {
  /** Every failed attempt, for the Unhealthy event. */
  attemptFailed(kind: ProbeKind, message: string): void;
  /** The thresholded result changed (true: healthy / ready / started). */
  changed(kind: ProbeKind, ok: boolean, message: string): void;
}

/** The thresholded state of a probe: a pure reducer over attempt results, tested without timers. */
export class ProbeState {
  private successes = 0;
  private failures = 0;

  constructor(
    private readonly successThreshold: number,
    private readonly failureThreshold: number,
    public result: boolean | undefined,
  ) {}

  /** Records an attempt; returns the new result when it flipped, else undefined. */
  record(ok: boolean): boolean | undefined {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (this.successes >= this.successThreshold && this.result !== true) return (this.result = true);
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures >= this.failureThreshold && this.result !== false) return (this.result = false);
    }
    return undefined;
  }

  /** After a failure has been acted on (the container restarted), counting starts over. */
  resetCounts(): void {
    this.successes = 0;
    this.failures = 0;
  }
}

export class ProbeWorker {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private running = false;
  readonly state: ProbeState;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly attempt: () => Promise<ProbeResult>,
    private readonly clock: Clock,
    private readonly callbacks: ProbeCallbacks,
  ) {
    // Readiness starts not ready and startup not started; liveness starts healthy.
    this.state = new ProbeState(
      kind === 'liveness' || kind === 'startup' ? 1 : (probe.successThreshold ?? 1),
      probe.failureThreshold ?? 3,
      kind === 'liveness' ? true : undefined,
    );
  }

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    const started = this.clock.now();
    let r: ProbeResult;
    try {
      r = await this.attempt();
    } catch (err) {
      r = { ok: false, message: (err as Error).message };
    }
    this.running = false;
    if (this.stopped) return;
    if (!r.ok) this.callbacks.attemptFailed(this.kind, r.message);
    const flipped = this.state.record(r.ok);
    if (flipped !== undefined) this.callbacks.changed(this.kind, flipped, r.message);
    if (this.stopped) return;
    const periodMs = (this.probe.periodSeconds ?? 10) * 1000;
    this.schedule(Math.max(0, periodMs - (this.clock.now() - started)));
  }
}
