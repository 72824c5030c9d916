// What the node tells the control plane besides heartbeats: pod status, events and pod
// terminations. The kubelet and chaos hand them in whenever they happen; they wait here while the
// control plane is away, and go out batched (one frame of each kind per statusBatchMs) while a
// welcomed connection is up. Built before the kubelet and chaos, which report into it, and before
// the agent, which connects it.

import type { AgentMessage, Clock, EventRecord, PodRef, PodStatusUpdate, TimerHandle } from '@kip/shared';

/** Events kept while disconnected; older ones are dropped first. */
const MAX_PENDING_EVENTS = 1000;

/** Where reports go: the welcomed connection to the control plane. */
export interface ReportChannel {
  readonly isOpen: boolean;
  send(msg: AgentMessage): void;
}

export class Reports {
  private readonly pendingStatus = new Map<string, PodStatusUpdate>();
  private pendingEvents: EventRecord[] = [];
  private readonly pendingTerminated = new Map<string, PodRef>();
  private channel: ReportChannel | undefined;
  private batchMs = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: Clock) {}

  // ---- what the kubelet and chaos report ------------------------------------------------------

  status(update: PodStatusUpdate): void {
    this.pendingStatus.set(update.uid, update);
    this.schedule();
  }

  event(ev: EventRecord): void {
    this.pendingEvents.push(ev);
    if (this.pendingEvents.length > MAX_PENDING_EVENTS) this.pendingEvents.splice(0, this.pendingEvents.length - MAX_PENDING_EVENTS);
    this.schedule();
  }

  terminated(ref: PodRef): void {
    this.pendingStatus.delete(ref.uid);
    this.pendingTerminated.set(ref.uid, ref);
    this.schedule();
  }

  /** The pod is gone from the store: a status not yet sent about it would be refused. */
  forget(uid: string): void {
    this.pendingStatus.delete(uid);
  }

  // ---- the connection -------------------------------------------------------------------------

  /** The control plane welcomed this node on `channel`: reports go out on it, batched over batchMs. */
  connected(channel: ReportChannel, batchMs: number): void {
    this.channel = channel;
    this.batchMs = batchMs;
  }

  disconnected(): void {
    this.channel = undefined;
  }

  /** Sends everything pending now, if connected. */
  flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const ch = this.channel;
    if (!ch?.isOpen) return;
    if (this.pendingStatus.size > 0) {
      ch.send({ type: 'podStatus', updates: [...this.pendingStatus.values()] });
      this.pendingStatus.clear();
    }
    if (this.pendingEvents.length > 0) {
      ch.send({ type: 'events', events: this.pendingEvents });
      this.pendingEvents = [];
    }
    for (const ref of this.pendingTerminated.values()) ch.send({ type: 'podTerminated', ...ref });
    this.pendingTerminated.clear();
  }

  private schedule(): void {
    if (this.timer || !this.channel) return;
    this.timer = this.clock.setTimeout(() => this.flush(), this.batchMs);
  }
}
