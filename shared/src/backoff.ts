// Exponential backoff: CrashLoopBackOff, agent reconnects, controller retries.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** Fraction of random spread added to each delay (0 for none), so retries do not march in step. */
  jitter?: number;
}

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call doubles it, up to the cap. */
  next(): number {
    const base = backoffDelay(this.opts, this.attempt);
    this.attempt++;
    const j = this.opts.jitter ?? 0;
    return Math.min(this.opts.maxMs, Math.round(base * (1 + j * this.random())));
  }
  /** The delay next() would return, without advancing (jitter aside). */
  peek(): number {
    return backoffDelay(this.opts, this.attempt);
  }
  reset(): void {
    this.attempt = 0;
  }
  get attempts(): number {
    return this.attempt;
  }
}

/** initial * factor^attempt, capped. */
export function backoffDelay(opts: BackoffOptions, attempt: number): number {
  const f = opts.factor ?? 2;
  return Math.min(opts.maxMs, opts.initialMs * f ** Math.max(0, attempt));
}
