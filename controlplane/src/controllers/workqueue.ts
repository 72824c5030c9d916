// The work queue every controller drains, with client-go's workqueue semantics: a key waits in
// the queue at most once however often it is added; a key being processed is never handed out
// again until done() (an add in the meantime marks it dirty, and it comes back after); failures
// come back after a per-key exponential backoff, which success forgets. Time goes through a Clock
// so tests drive delays by hand.

import { backoffDelay, realClock, type BackoffOptions, type Clock, type TimerHandle } from '@kip/shared';

/** 5 ms doubling to 30 s, as client-go's default controller rate limiter. */
export const DEFAULT_RETRY_BACKOFF: BackoffOptions = { initialMs: 5, maxMs: 30_000, factor: 2 };

export interface WorkQueueOptions {
  clock?: Clock;
  backoff?: BackoffOptions;
  /** Called when a key becomes ready to be handed out, so a runner can wake its pump. */
  onReady?: () => void;
  /**
   * A key handed out less than this long ago waits until this has passed before it is handed out
   * again, however often it is added meanwhile: a burst of changes makes one reconcile per
   * interval, not one per change. 0 (the default) hands it out again at once.
   */
  minIntervalMs?: number;
}

interface Delayed {
  due: number;
  timer: TimerHandle;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly backoff: BackoffOptions;
  private readonly onReady: () => void;
  /** Keys ready to be handed out, in order. */
  private queue: string[] = [];
  private head = 0;
  /** Keys that need processing: queued, or added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** One pending timer per key, for the earliest requested time. */
  private readonly delayed = new Map<string, Delayed>();
  private readonly failures = new Map<string, number>();
  private readonly minIntervalMs: number;
  /** When each key was last handed out, while that is within minIntervalMs. */
  private readonly handedOutAt = new Map<string, number>();
  private shutDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.backoff = opts.backoff ?? DEFAULT_RETRY_BACKOFF;
    this.onReady = opts.onReady ?? (() => {});
    this.minIntervalMs = opts.minIntervalMs ?? 0;
  }

  /** Marks a key as needing work now (or, within its minimum interval, as soon as that has passed). */
  add(key: string): void {
    if (this.shutDown || this.dirty.has(key)) return;
    const last = this.handedOutAt.get(key);
    if (last !== undefined) {
      const wait = last + this.minIntervalMs - this.clock.now();
      if (wait > 0) {
        this.addAfter(key, wait);
        return;
      }
      this.handedOutAt.delete(key);
    }
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done() puts it back
    this.queue.push(key);
    this.onReady();
  }

  /** Adds the key after ms; of several pending requests for one key, the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.shutDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      const cur = this.delayed.get(key);
      if (cur?.timer === timer) this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { due, timer });
  }

  /** Adds the key again after its backoff: 5 ms, 10 ms, 20 ms ... up to the cap. Returns the delay. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = backoffDelay(this.backoff, n);
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its next failure starts the backoff from the beginning. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many failures in a row the key has had. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Hands out the next key and marks it processing, or undefined when none is ready. */
  get(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      // Drop the consumed prefix now and then instead of shifting on every get.
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    if (this.minIntervalMs > 0) this.noteHandedOut(key);
    return key;
  }

  private noteHandedOut(key: string): void {
    const now = this.clock.now();
    this.handedOutAt.set(key, now);
    if (this.handedOutAt.size > 10_000) for (const [k, at] of this.handedOutAt) if (now - at >= this.minIntervalMs) this.handedOutAt.delete(k);
  }

  /** Processing of the key finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shutDown) {
      this.queue.push(key);
      this.onReady();
    }
  }

  /** Keys ready to be handed out now. */
  get length(): number {
    return this.queue.length - this.head;
  }

  /** Keys waiting for a delay to pass. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  get closed(): boolean {
    return this.shutDown;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /** Stops accepting keys and cancels every delayed add. */
  close(): void {
    this.shutDown = true;
    for (const d of this.delayed.values()) this.clock.clearTimeout(d.timer);
    this.delayed.clear();
    this.queue = [];
    this.head = 0;
    this.dirty.clear();
    this.failures.clear();
    this.handedOutAt.clear();
  }
}
