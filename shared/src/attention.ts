// How long an observer has really been looking. A process that was stopped or starved (SIGSTOP, a
// saturated CPU) finds, when it runs again, that every peer has been silent for as long as it was
// away, and would judge them all dead for its own absence: load makes the cluster think nodes
// died, and its reaction makes more load. So a periodic observer notes when its own ticks come
// late, and silence is counted only from when it resumed: it vouches only for time it was looking.

import { type Clock, untilNextTick } from './clock.js';

export class Attention {
  private resumedAt = -Infinity;

  /** @param slackMs how late a tick may come before the time it missed counts as an absence */
  constructor(private readonly slackMs: number) {}

  /** A tick due at `dueMs` runs at `nowMs`: if it is late by more than the slack, the observer was away. */
  tick(dueMs: number, nowMs: number): boolean {
    if (nowMs - dueMs <= this.slackMs) return false;
    this.resumedAt = nowMs;
    return true;
  }

  /** Counts every silence from now, as after an absence. */
  resume(nowMs: number): void {
    this.resumedAt = nowMs;
  }

  /** How long a peer last heard at `heardAtMs` has been silent, counting only time spent looking. */
  silence(heardAtMs: number, nowMs: number): number {
    return nowMs - Math.max(heardAtMs, this.resumedAt);
  }

  /** When the observer last came back from an absence (-Infinity if never). */
  get resumed(): number {
    return this.resumedAt;
  }
}

/**
 * Runs `fn` every `periodMs` on the clock, after the I/O already waiting has been handled (a tick
 * due while messages sat unread judges with them read), and tells `attention` how late each tick
 * came. With `phaseMs`, ticks fall on the process's tick phase (untilNextTick), where its other
 * periodic work falls too. Returns a function that stops it.
 */
export function everyWithAttention(clock: Clock, periodMs: number, attention: Attention, fn: () => void, phaseMs?: number): () => void {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let stopped = false;
  const schedule = () => {
    const delay = phaseMs === undefined ? periodMs : untilNextTick(clock.now(), periodMs, phaseMs);
    const due = clock.now() + delay;
    timer = clock.setTimeout(() => {
      clock.afterIO(() => {
        if (stopped) return;
        attention.tick(due, clock.now());
        try {
          fn();
        } finally {
          if (!stopped) schedule();
        }
      });
    }, delay);
  };
  schedule();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
