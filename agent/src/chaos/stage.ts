// A fault stage: the Duplex a link puts in one direction of one connection while a network fault
// is set. Bytes come in on the writable side and leave on the readable side in order, each chunk
// after its delay (latency and jitter), at the link's rate (token bucket), and not at all while
// the direction is held (partition, timeout) — nothing is dropped and nothing is closed: this is a
// TCP-level fault, like Toxiproxy's, and what a real network does to TCP after a partition heals
// (deliver what was sent) is what happens here when the hold lifts.
//
// Buffering is bounded: once `maxBufferedBytes` wait inside, the stage stops acknowledging writes,
// the pipe into it pauses, the socket stops reading, and the sender's TCP window closes; a slow or
// held link pushes back on the sender as a real one does.
//
// The stage reads its shape live from its link's shaper: a fault set, changed or healed after the
// connection opened acts on it at once.

import { Duplex } from 'node:stream';
import type { LinkDirection } from '../proxy/link.js';
import type { CorrelatedDelay } from './jitter.js';
import type { TokenBucket } from './token-bucket.js';

/** How one direction of a link is shaped right now. */
export interface DirectionShape {
  /** partition or timeout: nothing moves */
  held: boolean;
  latencyMs: number;
  jitterMs: number;
  correlation: number;
  /** the link's shared bucket, when its bandwidth is limited */
  bucket?: TokenBucket;
}

/** What a stage asks its link about. */
export interface ShapeSource {
  shape(direction: LinkDirection): DirectionShape;
  /** true while a partition or timeout is on the link in either direction: connections opened now are held both ways */
  holdsNew(): boolean;
  /** the delay generator of a direction (seeded per link, so a run can be replayed) */
  delays(direction: LinkDirection): CorrelatedDelay;
  /** calls back on every change of shape; returns the unsubscriber */
  subscribe(onChange: () => void): () => void;
}

export interface StageOptions {
  /** bytes held inside before the stage pushes back (default 1 MiB) */
  maxBufferedBytes?: number;
  /** a stage put into a connection that was open before the fault: it is not held as a new one is */
  existing?: boolean;
  /** for tests */
  now?: () => number;
}

export const DEFAULT_STAGE_BUFFER = 1024 * 1024;

interface Queued {
  chunk: Buffer;
  due: number;
}

export class FaultStage extends Duplex {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private lastDue = 0;
  /** the write callback held back while the buffer is full */
  private blocked?: (err?: Error | null) => void;
  private downstreamReady = true;
  private ending = false;
  private timer?: NodeJS.Timeout;
  private timerDue = 0;
  /** opened during a partition: held both ways until the link holds nothing */
  private bornHeld: boolean;
  private readonly unsubscribe: () => void;
  private readonly max: number;
  private readonly now: () => number;

  constructor(
    private readonly source: ShapeSource,
    readonly direction: LinkDirection,
    opts: StageOptions = {},
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    this.max = opts.maxBufferedBytes ?? DEFAULT_STAGE_BUFFER;
    this.now = opts.now ?? Date.now;
    this.bornHeld = !opts.existing && source.holdsNew();
    this.unsubscribe = source.subscribe(() => this.pump());
  }

  /** Bytes waiting inside the stage. */
  get buffered(): number {
    return this.queuedBytes;
  }

  /** Whether bytes are held right now (partition, timeout, or opened during one). */
  get held(): boolean {
    if (this.bornHeld && !this.source.holdsNew()) this.bornHeld = false;
    return this.bornHeld || this.source.shape(this.direction).held;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const shape = this.source.shape(this.direction);
    const now = this.now();
    const delay = shape.latencyMs > 0 || shape.jitterMs > 0 ? this.source.delays(this.direction).next(shape.latencyMs, shape.jitterMs, shape.correlation) : 0;
    // Order is kept: a chunk never overtakes the one before, whatever its own delay.
    const due = Math.max(now + delay, this.lastDue);
    this.lastDue = due;
    this.queue.push({ chunk, due });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes >= this.max) this.blocked = cb;
    else cb();
    this.pump();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ending = true;
    cb();
    this.pump();
  }

  override _read(): void {
    this.downstreamReady = true;
    this.pump();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.unsubscribe();
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.queuedBytes = 0;
    const blocked = this.blocked;
    this.blocked = undefined;
    blocked?.(err ?? undefined);
    cb(err);
  }

  private wake(atMs: number): void {
    if (this.timer && this.timerDue <= atMs) return;
    clearTimeout(this.timer);
    this.timerDue = atMs;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, atMs - this.now()),
    );
  }

  /** Moves whatever may move now; sets a timer for what may move later. */
  private pump(): void {
    if (this.destroyed) return;
    while (this.queue.length > 0) {
      if (!this.downstreamReady || this.held) return;
      const head = this.queue[0]!;
      const now = this.now();
      if (head.due > now) return this.wake(head.due);
      const shape = this.source.shape(this.direction);
      let out = head.chunk;
      if (shape.bucket) {
        const { granted, waitMs } = shape.bucket.take(head.chunk.length, now);
        if (granted === 0) return this.wake(now + waitMs);
        out = head.chunk.subarray(0, granted);
      }
      if (out.length === head.chunk.length) this.queue.shift();
      else head.chunk = head.chunk.subarray(out.length);
      this.queuedBytes -= out.length;
      this.downstreamReady = this.push(out);
      if (this.blocked && this.queuedBytes < this.max) {
        const cb = this.blocked;
        this.blocked = undefined;
        cb();
      }
    }
    if (this.ending && !this.held) {
      this.ending = false;
      this.push(null);
    }
  }
}
