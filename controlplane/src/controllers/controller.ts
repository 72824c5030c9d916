// What a controller is, and the runner that drives one. A controller maps store events to keys
// (its watch handlers only enqueue) and reconciles one key at a time by reading the current state
// and acting on the difference (controller-runtime's level-triggered model). The runner owns the
// work queue: it drains it from a setImmediate pump in short slices, so the API server's sockets
// are served between slices, retries failures with per-key backoff, and enqueues every object on
// a periodic resync so that nothing missed stays missed.

import { performance } from 'node:perf_hooks';
import { realClock, type Clock, type Logger, type TimerHandle, type Timing } from '@kip/shared';
import type { Registry } from '../api/registry.js';
import type { EventRecorder } from '../events.js';
import type { Store, Unsubscribe } from '../store/store.js';
import { WorkQueue } from './workqueue.js';

/** What every controller is built from: it reads the store, and writes only through the registry. */
export interface ControllerDeps {
  store: Store;
  registry: Registry;
  recorder: EventRecorder;
  log: Logger;
  clock?: Clock;
  /** The cluster's timing profile, for controllers whose delays follow it (the Job's backoff). */
  timing?: Timing;
}

/** A reconcile either finishes, or asks to look at the key again after a while. */
export type ReconcileResult = void | { requeueAfterMs: number };

/** Handed to watch handlers: queue a key now, or after a delay. */
export type Enqueue = (key: string, afterMs?: number) => void;

export interface Controller {
  /** Names the controller in logs, e.g. "replicaset". */
  readonly name: string;
  /** Subscribes to the store; handlers call enqueue and nothing else. Returns the unsubscribers. */
  register(enqueue: Enqueue): Unsubscribe[];
  /** Every key worth a look on a full resync (and at start). */
  resyncKeys(): string[];
  /** Reads the state for the key and acts on the difference. Throws to be retried with backoff. */
  reconcile(key: string): ReconcileResult;
  /**
   * For controllers whose keys change with many dependents (a ReplicaSet with a thousand pods
   * starting): how long after a reconcile of a key it waits before the next, changes in between
   * coalesced. Each reconcile reads every dependent, so one per change would cost the square of
   * the burst.
   */
  readonly coalesceMs?: number;
}

export interface ControllerRunnerOptions {
  clock?: Clock;
  log: Logger;
  /** How often every object is enqueued again; 30 s by default. */
  resyncMs?: number;
  /** How long one pump turn may run before yielding to the event loop. */
  sliceMs?: number;
}

export const DEFAULT_RESYNC_MS = 30_000;
/** The workload and endpoints controllers' coalescing window (see Controller.coalesceMs). */
export const COALESCE_MS = 100;
export const DEFAULT_SLICE_MS = 8;

export class ControllerRunner {
  private q: WorkQueue;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly resyncMs: number;
  private readonly sliceMs: number;
  private unsubscribers: Unsubscribe[] = [];
  private resyncTimer: TimerHandle | undefined;
  private pumpScheduled: NodeJS.Immediate | undefined;
  private running = false;

  constructor(
    readonly controller: Controller,
    opts: ControllerRunnerOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log.child(controller.name);
    this.resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;
    this.sliceMs = opts.sliceMs ?? DEFAULT_SLICE_MS;
    this.q = this.newQueue();
  }

  private newQueue(): WorkQueue {
    return new WorkQueue({ clock: this.clock, onReady: () => this.schedulePump(), minIntervalMs: this.controller.coalesceMs });
  }

  /** The current work queue; a stopped runner starts again with a fresh one. */
  get queue(): WorkQueue {
    return this.q;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.q.closed) this.q = this.newQueue();
    this.unsubscribers = this.controller.register((key, afterMs) => this.enqueue(key, afterMs));
    this.resync();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
    this.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    if (this.pumpScheduled) clearImmediate(this.pumpScheduled);
    this.pumpScheduled = undefined;
    this.queue.close();
  }

  get isRunning(): boolean {
    return this.running;
  }

  enqueue(key: string, afterMs?: number): void {
    if (afterMs !== undefined && afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  /**
   * Processes ready keys until none is left or the budget runs out; returns how many it did.
   * The pump calls it with a time budget; tests may call it directly to drain the queue.
   */
  processReady(budgetMs = Infinity): number {
    const start = performance.now();
    let n = 0;
    for (;;) {
      const key = this.queue.get();
      if (key === undefined) break;
      this.processOne(key);
      n++;
      if (performance.now() - start >= budgetMs) break;
    }
    return n;
  }

  private processOne(key: string): void {
    try {
      const result = this.controller.reconcile(key);
      this.queue.forget(key);
      if (result && result.requeueAfterMs >= 0) this.queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const delay = this.queue.addRateLimited(key);
      this.log.warn('reconcile failed; will retry', {
        key,
        retryInMs: delay,
        attempt: this.queue.numRequeues(key),
        error: err instanceof Error ? err.message : String(err),
      });
    } finally {
      this.queue.done(key);
    }
  }

  private schedulePump(): void {
    if (!this.running || this.pumpScheduled) return;
    this.pumpScheduled = setImmediate(() => {
      this.pumpScheduled = undefined;
      if (!this.running) return;
      this.processReady(this.sliceMs);
      if (this.queue.length > 0) this.schedulePump();
    });
  }

  private resync(): void {
    if (!this.running) return;
    try {
      for (const key of this.controller.resyncKeys()) this.queue.add(key);
    } catch (err) {
      this.log.error('resync failed', { error: err instanceof Error ? err.message : String(err) });
    }
    this.resyncTimer = this.clock.setTimeout(() => this.resync(), this.resyncMs);
  }
}
