// The rate-limited queue of nodes waiting to be tainted for eviction, one per zone (Kubernetes'
// RateLimitedTimedQueue with a token bucket of burst 1): a node that stays unhealthy is tainted
// when its turn comes and a token is there; a node that recovers meanwhile leaves the queue. So a
// fault that takes many nodes at once evicts their pods gradually, not all in one pass.

import type { Clock } from '@kip/shared';

/** A token bucket of one token, refilled at `rate` per second; a rate of 0 never gives one. */
export class TokenBucket {
  private tokens = 1;
  private last: number;

  constructor(
    readonly rate: number,
    now: number,
  ) {
    this.last = now;
    if (rate <= 0) this.tokens = 0;
  }

  tryTake(now: number): boolean {
    if (this.rate <= 0) return false;
    this.tokens = Math.min(1, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Spends the token it holds, if any (a new bucket replacing a drained one starts drained). */
  drain(now: number): void {
    this.tryTake(now);
  }
}

export class EvictionQueue {
  /** node names, in the order they became unhealthy */
  private readonly waiting = new Set<string>();
  private bucket: TokenBucket;

  constructor(
    rate: number,
    private readonly clock: Clock,
  ) {
    this.bucket = new TokenBucket(rate, clock.now());
  }

  add(node: string): void {
    this.waiting.add(node);
  }

  remove(node: string): void {
    this.waiting.delete(node);
  }

  has(node: string): boolean {
    return this.waiting.has(node);
  }

  get size(): number {
    return this.waiting.size;
  }

  get rate(): number {
    return this.bucket.rate;
  }

  /** A new rate; if the old bucket had no token to give, the new one starts without one too. */
  setRate(rate: number): void {
    if (rate === this.bucket.rate) return;
    const now = this.clock.now();
    const wasWaiting = !this.bucket.tryTake(now);
    this.bucket = new TokenBucket(rate, now);
    if (wasWaiting) this.bucket.drain(now);
  }

  /** Hands nodes to `fn`, in order, while tokens last. */
  process(fn: (node: string) => void): void {
    const now = this.clock.now();
    for (const node of [...this.waiting]) {
      if (!this.bucket.tryTake(now)) return;
      this.waiting.delete(node);
      fn(node);
    }
  }
}
