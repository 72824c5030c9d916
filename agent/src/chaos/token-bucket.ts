// A token bucket: the bandwidth fault. Tokens (bytes) refill at the rate up to a small burst; a
// chunk goes out when there are tokens for it. One bucket per link and direction, shared by every
// connection on it, as a real link's capacity is shared.

/** The largest slice a bucket lets out at once: about 20 ms of the rate, at least 1 KiB (or the whole rate if less), at most 256 KiB. */
export function burstOf(bytesPerSecond: number): number {
  return Math.max(1, Math.round(Math.min(256 * 1024, Math.max(Math.min(bytesPerSecond, 1024), bytesPerSecond * 0.02))));
}

export class TokenBucket {
  readonly burst: number;
  private tokens: number;
  private last: number;

  constructor(
    readonly bytesPerSecond: number,
    now: number,
  ) {
    this.burst = burstOf(bytesPerSecond);
    this.tokens = this.burst;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.bytesPerSecond) / 1000);
      this.last = now;
    }
  }

  /**
   * Takes up to `want` bytes (never more than a burst): answers how many were granted now, or,
   * when none can be, 0 and how long to wait before asking again.
   */
  take(want: number, now: number): { granted: number; waitMs: number } {
    this.refill(now);
    const slice = Math.min(want, this.burst);
    if (this.tokens >= slice) {
      this.tokens -= slice;
      return { granted: slice, waitMs: 0 };
    }
    return { granted: 0, waitMs: Math.max(1, Math.ceil(((slice - this.tokens) * 1000) / this.bytesPerSecond)) };
  }
}
