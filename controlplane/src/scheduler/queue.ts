// The scheduling queue, as kube-scheduler's: pods ready to try wait in activeQ (highest priority
// first, then oldest); a pod that just failed waits out a per-pod exponential backoff; a pod no
// node could take is parked until a cluster change that one of its rejecting plugins registered
// for arrives, so a full cluster is not re-searched on every heartbeat. A periodic flush moves pods
// parked too long, in case an event was missed.

import { isDeepStrictEqual } from 'node:util';
import { backoffDelay, realClock, type Clock, type Pod, type TimerHandle } from '@kip/shared';
import type { ClusterEvent } from './framework.js';
import { Heap } from './heap.js';

export type QueueName = 'active' | 'backoff' | 'unschedulable' | 'inflight';

export interface QueuedPod {
  /** The latest version of the pod the store has shown us. */
  pod: Pod;
  readonly uid: string;
  priority: number;
  createdMs: number;
  /** Arrival order, the last tie-breaker. */
  readonly seq: number;
  /** Scheduling attempts so far; drives the backoff. */
  attempts: number;
  /** When the pod first entered the queue (scheduling latency starts here). */
  readonly firstSeenMs: number;
  /** When the pod was last popped: its backoff runs from here. */
  lastAttemptMs: number;
  /** When the pod was parked as unschedulable. */
  parkedMs: number;
  /** Plugins that rejected it in its last attempt; empty means any event may help. */
  unschedulablePlugins: ReadonlySet<string>;
  where: QueueName;
  heapIndex: number;
}

export interface SchedulingQueueOptions {
  /** Plugin name -> the cluster events it registered. */
  pluginEvents: ReadonlyMap<string, ReadonlySet<ClusterEvent>>;
  clock?: Clock;
  /** kube-scheduler's podInitialBackoffSeconds (1 s). */
  initialBackoffMs?: number;
  /** kube-scheduler's podMaxBackoffSeconds (10 s). */
  maxBackoffMs?: number;
  /** How often parked pods are checked for overstaying (kube-scheduler: 30 s). */
  flushIntervalMs?: number;
  /** A pod parked this long is retried even without an event (kube-scheduler: 5 min). */
  maxUnschedulableMs?: number;
  /** Called whenever a pod becomes ready to pop, so the scheduling loop can wake up. */
  onReady?: () => void;
}

const EMPTY: ReadonlySet<string> = new Set();

function createdMsOf(pod: Pod): number {
  const t = pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** Whether a change to a parked pod may change the outcome (kube-scheduler's isPodUpdated). */
function schedulingInputsChanged(a: Pod, b: Pod): boolean {
  return !isDeepStrictEqual(a.spec, b.spec) || !isDeepStrictEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {});
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly pods = new Map<string, QueuedPod>();
  private readonly activeQ = new Heap<QueuedPod>(
    (a, b) => a.priority > b.priority || (a.priority === b.priority && (a.createdMs < b.createdMs || (a.createdMs === b.createdMs && a.seq < b.seq))),
  );
  private readonly backoffQ = new Heap<QueuedPod>((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  private readonly parked = new Map<string, QueuedPod>();
  private seq = 0;
  private backoffTimer: TimerHandle | undefined;
  private backoffTimerDue = Infinity;
  private flushTimer: TimerHandle | undefined;
  private closed = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly flushIntervalMs: number;
  private readonly maxUnschedulableMs: number;

  constructor(private readonly opts: SchedulingQueueOptions) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 30_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 300_000;
  }

  /** Starts the periodic flush of parked pods. */
  run(): void {
    this.closed = false;
    if (this.flushTimer) return;
    const tick = () => {
      this.flushTimer = undefined;
      if (this.closed) return;
      this.flushUnschedulableLeftover();
      this.flushTimer = this.clock.setTimeout(tick, this.flushIntervalMs);
    };
    this.flushTimer = this.clock.setTimeout(tick, this.flushIntervalMs);
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.flushTimer);
    this.clock.clearTimeout(this.backoffTimer);
    this.flushTimer = undefined;
    this.backoffTimer = undefined;
    this.backoffTimerDue = Infinity;
  }

  /** A pending pod appeared (or reappeared); a pod already queued is updated instead. */
  add(pod: Pod): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    if (this.pods.has(uid)) {
      this.update(pod);
      return;
    }
    const now = this.clock.now();
    const qp: QueuedPod = {
      pod,
      uid,
      priority: pod.spec.priority ?? 0,
      createdMs: createdMsOf(pod),
      seq: this.seq++,
      attempts: 0,
      firstSeenMs: now,
      lastAttemptMs: now,
      parkedMs: 0,
      unschedulablePlugins: EMPTY,
      where: 'active',
      heapIndex: -1,
    };
    this.pods.set(uid, qp);
    this.toActive(qp);
  }

  /** The store changed a pod that still needs scheduling. */
  update(pod: Pod): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    const qp = this.pods.get(uid);
    if (!qp) {
      this.add(pod);
      return;
    }
    const prev = qp.pod;
    qp.pod = pod;
    switch (qp.where) {
      case 'active': {
        const priority = pod.spec.priority ?? 0;
        if (priority !== qp.priority) {
          qp.priority = priority;
          this.activeQ.fix(qp);
        }
        break;
      }
      case 'unschedulable':
        if (schedulingInputsChanged(prev, pod)) {
          qp.priority = pod.spec.priority ?? 0;
          this.moveOut(qp);
        }
        break;
      case 'backoff':
      case 'inflight':
        qp.priority = pod.spec.priority ?? 0;
        break;
    }
  }

  /** The pod is gone, bound elsewhere, or no longer ours; idempotent. */
  delete(uid: string): void {
    const qp = this.pods.get(uid);
    if (!qp) return;
    this.detach(qp);
    this.pods.delete(uid);
  }

  /** The next pod to try, or undefined; the pod stays tracked ("in flight") until done or requeued. */
  pop(): QueuedPod | undefined {
    this.flushBackoffCompleted();
    const qp = this.activeQ.pop();
    if (!qp) return undefined;
    qp.where = 'inflight';
    qp.attempts++;
    qp.lastAttemptMs = this.clock.now();
    return qp;
  }

  /** The pod was bound: stop tracking it. */
  done(uid: string): void {
    const qp = this.pods.get(uid);
    if (qp?.where === 'inflight') this.pods.delete(uid);
  }

  /** No node fits: park the pod until an event one of these plugins registered for. */
  addUnschedulable(qp: QueuedPod, plugins: ReadonlySet<string>): void {
    if (this.pods.get(qp.uid) !== qp || qp.where !== 'inflight') return; // deleted meanwhile
    qp.unschedulablePlugins = plugins;
    qp.parkedMs = this.clock.now();
    qp.where = 'unschedulable';
    this.parked.set(qp.uid, qp);
  }

  /** The attempt failed for another reason (an error, a write conflict): retry after backoff. */
  addBackoff(qp: QueuedPod): void {
    if (this.pods.get(qp.uid) !== qp || qp.where !== 'inflight') return;
    this.moveOut(qp);
  }

  /** A cluster change: retry the parked pods it may help. */
  moveOnEvent(event: ClusterEvent): number {
    let moved = 0;
    for (const qp of this.parked.values()) {
      if (!this.mayHelp(qp, event)) continue;
      this.moveOut(qp);
      moved++;
    }
    return moved;
  }

  /** Moves pods whose backoff has expired into activeQ. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (let top = this.backoffQ.peek(); top && this.backoffExpiry(top) <= now; top = this.backoffQ.peek()) {
      this.backoffQ.pop();
      this.toActive(top);
    }
    this.armBackoffTimer();
  }

  /** The safety net: pods parked longer than maxUnschedulableMs are retried. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const qp of this.parked.values()) if (now - qp.parkedMs >= this.maxUnschedulableMs) this.moveOut(qp);
  }

  /** When the pod's current backoff ends. */
  backoffExpiry(qp: QueuedPod): number {
    if (qp.attempts === 0) return qp.lastAttemptMs;
    return qp.lastAttemptMs + backoffDelay({ initialMs: this.initialBackoffMs, maxMs: this.maxBackoffMs }, qp.attempts - 1);
  }

  get(uid: string): QueuedPod | undefined {
    return this.pods.get(uid);
  }

  where(uid: string): QueueName | undefined {
    return this.pods.get(uid)?.where;
  }

  stats(): { active: number; backoff: number; unschedulable: number; inflight: number } {
    const inflight = this.pods.size - this.activeQ.size - this.backoffQ.size - this.parked.size;
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.parked.size, inflight };
  }

  private mayHelp(qp: QueuedPod, event: ClusterEvent): boolean {
    if (qp.unschedulablePlugins.size === 0) return true;
    for (const p of qp.unschedulablePlugins) if (this.opts.pluginEvents.get(p)?.has(event)) return true;
    return false;
  }

  /** Out of the parked set (or in flight) into backoffQ or activeQ, depending on the backoff. */
  private moveOut(qp: QueuedPod): void {
    this.detach(qp);
    if (this.backoffExpiry(qp) > this.clock.now()) {
      qp.where = 'backoff';
      this.backoffQ.push(qp);
      this.armBackoffTimer();
    } else {
      this.toActive(qp);
    }
  }

  private toActive(qp: QueuedPod): void {
    qp.where = 'active';
    this.activeQ.push(qp);
    this.opts.onReady?.();
  }

  private detach(qp: QueuedPod): void {
    switch (qp.where) {
      case 'active':
        this.activeQ.remove(qp);
        break;
      case 'backoff':
        this.backoffQ.remove(qp);
        break;
      case 'unschedulable':
        this.parked.delete(qp.uid);
        break;
      case 'inflight':
        break;
    }
  }

  /** One timer, due at the earliest backoff expiry, so waiting pods wake the loop on time. */
  private armBackoffTimer(): void {
    if (this.closed) return;
    const top = this.backoffQ.peek();
    const due = top ? this.backoffExpiry(top) : Infinity;
    if (due === this.backoffTimerDue) return;
    this.clock.clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    this.backoffTimerDue = due;
    if (due === Infinity) return;
    this.backoffTimer = this.clock.setTimeout(
      () => {
        this.backoffTimer = undefined;
        this.backoffTimerDue = Infinity;
        this.flushBackoffCompleted();
      },
      Math.max(0, due - this.clock.now()),
    );
  }
}
