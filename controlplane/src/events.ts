// The event recorder: every component records Events through it. Repeats of the same event
// (same object, reason and message) are folded into one Event with a count, as Kubernetes does,
// so a crash loop or a pod that fits nowhere does not flood the store.

import { isoNow, realClock, type Clock, type Event, type KObject, type ObjectReference } from '@kip/shared';
import { StoreError, type Store } from './store/store.js';

export interface EventRecorder {
  record(obj: KObject | ObjectReference, type: Event['type'], reason: string, message: string, source?: { component: string; host?: string }): void;
}

/** Frozen, so that the store keeps it as it is rather than copying it (see frozenCopy). */
function refOf(obj: KObject | ObjectReference): ObjectReference {
  if ('metadata' in obj) {
    const o = obj as KObject;
    return Object.freeze({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
    });
  }
  return obj as ObjectReference;
}

export interface StoreEventRecorderOptions {
  component: string;
  clock?: Clock;
  /** Events older than this are pruned (Kubernetes' default event TTL is one hour). */
  ttlMs?: number;
  /** At most this many Events are kept; the oldest go first. */
  maxEvents?: number;
}

/** An Event this recorder made and may fold repeats into. */
interface Recorded {
  /** recent's key: the involved object. */
  objectKey: string;
  reason: string;
  message: string;
  component: string;
  host: string | undefined;
  namespace: string;
  name: string;
  at: number;
}

export class StoreEventRecorder implements EventRecorder {
  private readonly clock: Clock;
  /**
   * The Events kept, by involved object (its uid, or kind, namespace and name without one), to
   * fold a repeat into. Keyed by the object rather than by one string of every field: the uid's
   * hash is already cached in the string, where a long joined key had to be built and hashed
   * for every Event, and an object has few Events to compare.
   */
  private readonly recent = new Map<string, Recorded[]>();
  /** The same Events, oldest first, for pruning. */
  private readonly order: Recorded[] = [];
  /** The time in the last Event name made, in nanoseconds (see eventName). */
  private lastNanos = 0n;

  constructor(
    private readonly store: Store,
    private readonly opts: StoreEventRecorderOptions,
  ) {
    this.clock = opts.clock ?? realClock;
  }

  record(obj: KObject | ObjectReference, type: Event['type'], reason: string, message: string, source?: { component: string; host?: string }): void {
    const ref = refOf(obj);
    const namespace = ref.namespace ?? 'default';
    const now = isoNow(this.clock);
    const src = Object.freeze(source ?? { component: this.opts.component });
    const objectKey = ref.uid ?? `${ref.kind}\u0000${namespace}\u0000${ref.name}`;
    const seen = this.find(objectKey, reason, message, src.component, src.host);
    if (seen) {
      const ev = this.store.get<Event>('Event', seen.namespace, seen.name);
      if (ev) {
        const next = structuredClone(ev);
        next.count = (ev.count ?? 1) + 1;
        next.lastTimestamp = now;
        try {
          this.store.update(next);
          return;
        } catch (err) {
          if (!(err instanceof StoreError)) throw err;
        }
      }
      // Gone from the store (deleted by someone else): a new Event takes its place.
      this.forget(seen);
    }
    let name = this.eventName(ref.name);
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: src,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: src.component,
      reportingInstance: src.host,
    };
    // Another control plane of the cluster may have named an Event of the same object in the same
    // millisecond: the next name over is free.
    for (let attempt = 1; ; attempt++) {
      try {
        this.store.create(ev);
        break;
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        if (err.code !== 'AlreadyExists' || attempt === 3) return;
        name = this.eventName(ref.name);
        ev.metadata.name = name;
      }
    }
    const r: Recorded = { objectKey, reason, message, component: src.component, host: src.host, namespace, name, at: this.clock.now() };
    const list = this.recent.get(objectKey);
    if (list) list.push(r);
    else this.recent.set(objectKey, [r]);
    this.order.push(r);
    this.prune();
  }

  /**
   * client-go's Event name: the object's name and the time in nanoseconds, in hex. Names then sort
   * by time, so a list reads in the order things happened, and so does `kubectl describe`, which
   * keeps the list's order among Events of the same second (Pulled, Created, Started). The clock
   * has milliseconds; a count below them keeps two Events of one millisecond in order and apart.
   */
  private eventName(objectName: string): string {
    let nanos = BigInt(this.clock.now()) * 1_000_000n;
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    return `${objectName}.${nanos.toString(16)}`;
  }

  private find(objectKey: string, reason: string, message: string, component: string, host: string | undefined): Recorded | undefined {
    const list = this.recent.get(objectKey);
    if (!list) return undefined;
    for (const r of list) if (r.reason === reason && r.message === message && r.component === component && r.host === host) return r;
    return undefined;
  }

  /** Stops folding into r; a later repeat starts a new Event. */
  private forget(r: Recorded): void {
    const list = this.recent.get(r.objectKey);
    const i = list ? list.indexOf(r) : -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (list!.length === 0) this.recent.delete(r.objectKey);
  }

  private prune(): void {
    const ttl = this.opts.ttlMs ?? 3_600_000;
    const max = this.opts.maxEvents ?? 10_000;
    const cutoff = this.clock.now() - ttl;
    while (this.order.length > 0 && (this.order.length > max || this.order[0]!.at < cutoff)) {
      const old = this.order.shift()!;
      this.forget(old);
      try {
        this.store.delete('Event', old.namespace, old.name);
      } catch {
        // already gone
      }
    }
  }
}
