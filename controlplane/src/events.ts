// The event recorder: every component records Events through it. Repeats of the same event
// (same object, reason and message) are folded into one Event with a count, as Kubernetes does,
// so a crash loop or a pod that fits nowhere does not flood the store.

import { isoNow, randomSuffix, realClock, type Clock, type Event, type KObject, type ObjectReference } from '@kip/shared';
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

export class StoreEventRecorder implements EventRecorder {
  private readonly clock: Clock;
  /** aggregation key -> event name, for folding repeats */
  private readonly recent = new Map<string, { namespace: string; name: string }>();
  private readonly order: { namespace: string; name: string; at: number }[] = [];

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
    const key = [ref.kind, namespace, ref.name, ref.uid, reason, message, src.component, src.host].join('\u0000');
    const seen = this.recent.get(key);
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
    }
    const name = `${ref.name}.${randomSuffix(8)}${this.clock.now().toString(16).slice(-6)}`;
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
    try {
      this.store.create(ev);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      return;
    }
    this.recent.set(key, { namespace, name });
    this.order.push({ namespace, name, at: this.clock.now() });
    this.prune();
  }

  private prune(): void {
    const ttl = this.opts.ttlMs ?? 3_600_000;
    const max = this.opts.maxEvents ?? 10_000;
    const cutoff = this.clock.now() - ttl;
    while (this.order.length > 0 && (this.order.length > max || this.order[0]!.at < cutoff)) {
      const old = this.order.shift()!;
      try {
        this.store.delete('Event', old.namespace, old.name);
      } catch {
        // already gone
      }
    }
    if (this.recent.size > max * 2) {
      // Forget aggregation keys of pruned events; a later repeat just starts a new Event.
      const live = new Set(this.order.map((o) => `${o.namespace}/${o.name}`));
      for (const [k, v] of this.recent) if (!live.has(`${v.namespace}/${v.name}`)) this.recent.delete(k);
    }
  }
}
