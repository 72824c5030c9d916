// netem's delay: latency plus jitter drawn uniformly from [-jitter, +jitter], each draw pulled
// toward the one before by the correlation (netem's get_crandom), so that with correlation the
// delay drifts instead of jumping. A delay is never negative.

import type { Random } from '@kip/shared';

export class CorrelatedDelay {
  private last: number;

  constructor(private readonly random: Random) {
    this.last = random();
  }

  /** One delay in ms. */
  next(latencyMs: number, jitterMs: number, correlation: number): number {
    if (jitterMs <= 0) return Math.max(0, latencyMs);
    const r = this.random() * (1 - correlation) + this.last * correlation;
    this.last = r;
    return Math.max(0, latencyMs - jitterMs + 2 * jitterMs * r);
  }
}
