// Container starts, one per turn of the event loop. Starting a process blocks the agent while the
// kernel forks it (the agent is a large process: several milliseconds each); a hundred pods
// arriving at once would block it for a second or more, and its heartbeats, status and proxy
// with it. Spread over turns, the I/O waiting between two starts is handled between them, so the
// agent keeps answering while it starts 100 pods.

import type { Clock } from '@kip/shared';

export class StartQueue {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  constructor(
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  push(start: () => void): void {
    this.queue.push(start);
    this.schedule();
  }

  get length(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    this.clock.afterIO(() => {
      this.scheduled = false;
      const next = this.queue.shift();
      try {
        next?.();
      } catch (err) {
        this.onError(err);
      }
      this.schedule();
    });
  }
}
