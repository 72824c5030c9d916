// The in-memory Store backend: maps per kind, one global resourceVersion counter, and a bounded
// history of changes so that watches can resume from a recent resourceVersion. Given a journal
// (store/sqlite.ts), every change is made durable before it is applied and acknowledged.

import { newUid } from './uid.js';
import { matches, isoNow, realClock, type Clock, type KObject } from '@kip/shared';
import type { JournalChange, JournalState, StoreJournal } from './journal.js';
import {
  deepFreeze,
  frozenCopyWithMetadata,
  StoreError,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type Unsubscribe,
  type WatchOptions,
} from './store.js';

interface Watcher {
  opts: WatchOptions;
  handler: (ev: StoreEvent) => void;
}

interface HistoryEntry {
  rv: number;
  ev: StoreEvent;
}

export interface MemoryStoreOptions {
  /** How many changes are kept for watch resumption. */
  historySize?: number;
  clock?: Clock;
  /** Called when a watch handler throws; such a throw is a bug in the watcher, not the writer's. */
  onHandlerError?: (err: unknown) => void;
  /** Where every change is made durable before it is applied (none: state lives as long as the process). */
  journal?: StoreJournal;
  /** The state a journal kept, to start from. */
  restore?: JournalState;
}

const keyFor = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class MemoryStore implements Store {
  private rv = 0;
  private readonly kinds = new Map<string, Map<string, KObject>>();
  private readonly watchers = new Set<Watcher>();
  /** The watchers as an array, rebuilt when one is added or removed, not on every event. */
  private watcherList: Watcher[] = [];
  private readonly history: HistoryEntry[] = [];
  private historyStart = 0;
  /**
   * The history holds every change after this version: a watch from an older one is Gone. Kept
   * apart from the oldest entry's version because versions need not be consecutive: with etcd
   * (store/etcd.ts) the revision counts the writes of every prefix, not just this store's.
   */
  private historyFloor = 0;
  private readonly historySize: number;
  private readonly clock: Clock;
  private readonly onHandlerError: (err: unknown) => void;
  private readonly journal: StoreJournal | undefined;

  constructor(opts: MemoryStoreOptions = {}) {
    this.historySize = opts.historySize ?? 20_000;
    this.clock = opts.clock ?? realClock;
    this.onHandlerError = opts.onHandlerError ?? ((err) => console.error('store watcher failed:', err));
    this.journal = opts.journal;
    if (opts.restore) {
      for (const o of opts.restore.objects) this.table(o.kind).set(keyFor(o.metadata.namespace, o.metadata.name), deepFreeze(o));
      for (const h of opts.restore.history.slice(-this.historySize))
        this.history.push({ rv: h.rv, ev: { type: h.change.type, object: deepFreeze(h.change.object) } });
      this.rv = opts.restore.rv;
      this.historyFloor = this.history.length > 0 ? this.history[0]!.rv - 1 : this.rv;
    }
  }

  private table(kind: string): Map<string, KObject> {
    let t = this.kinds.get(kind);
    if (!t) {
      t = new Map();
      this.kinds.set(kind, t);
    }
    return t;
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  get<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    return this.kinds.get(kind)?.get(keyFor(namespace, name)) as T | undefined;
  }

  list<T extends KObject = KObject>(kind: string, opts: ListOptions = {}): ListResult<T> {
    const items: T[] = [];
    for (const o of this.kinds.get(kind)?.values() ?? []) {
      if (opts.namespace !== undefined && o.metadata.namespace !== opts.namespace) continue;
      if (opts.labelSelector && !matches(opts.labelSelector, o.metadata.labels)) continue;
      if (opts.filter && !opts.filter(o)) continue;
      items.push(o as T);
    }
    return { items, resourceVersion: String(this.rv) };
  }

  create<T extends KObject>(obj: T): T {
    const t = this.table(obj.kind);
    const k = keyFor(obj.metadata.namespace, obj.metadata.name);
    if (t.has(k)) throw new StoreError('AlreadyExists', `${obj.kind.toLowerCase()}s "${obj.metadata.name}" already exists`);
    const stored = frozenCopyWithMetadata(obj, {
      uid: obj.metadata.uid || newUid(),
      creationTimestamp: obj.metadata.creationTimestamp || isoNow(this.clock),
      resourceVersion: String(this.rv + 1),
    });
    this.commit({ type: 'ADDED', object: stored });
    t.set(k, stored);
    this.emit({ type: 'ADDED', object: stored });
    return stored;
  }

  update<T extends KObject>(obj: T): T {
    const t = this.table(obj.kind);
    const k = keyFor(obj.metadata.namespace, obj.metadata.name);
    const old = t.get(k);
    if (!old) throw new StoreError('NotFound', `${obj.kind.toLowerCase()}s "${obj.metadata.name}" not found`);
    const given = obj.metadata.resourceVersion;
    if (given && given !== old.metadata.resourceVersion)
      throw new StoreError(
        'Conflict',
        `Operation cannot be fulfilled on ${obj.kind.toLowerCase()}s "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    if (obj.metadata.uid && obj.metadata.uid !== old.metadata.uid)
      throw new StoreError(
        'Conflict',
        `${obj.kind.toLowerCase()}s "${obj.metadata.name}": uid ${obj.metadata.uid} does not match the stored object (${old.metadata.uid})`,
      );
    const stored = frozenCopyWithMetadata(obj, {
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
      resourceVersion: String(this.rv + 1),
    });
    this.commit({ type: 'MODIFIED', object: stored });
    t.set(k, stored);
    this.emit({ type: 'MODIFIED', object: stored, oldObject: old });
    return stored as T;
  }

  delete<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string, pre: { uid?: string; resourceVersion?: string } = {}): T {
    const t = this.table(kind);
    const k = keyFor(namespace, name);
    const old = t.get(k);
    if (!old) throw new StoreError('NotFound', `${kind.toLowerCase()}s "${name}" not found`);
    if (pre.uid && pre.uid !== old.metadata.uid)
      throw new StoreError('Conflict', `${kind.toLowerCase()}s "${name}": precondition failed: uid ${pre.uid} does not match ${old.metadata.uid}`);
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)
      throw new StoreError('Conflict', `${kind.toLowerCase()}s "${name}": precondition failed: resourceVersion ${pre.resourceVersion} is stale`);
    // The DELETED event carries the object at the version of its deletion, as in Kubernetes.
    const gone = Object.freeze({ ...old, metadata: Object.freeze({ ...old.metadata, resourceVersion: String(this.rv + 1) }) });
    this.commit({ type: 'DELETED', object: gone });
    t.delete(k);
    this.emit({ type: 'DELETED', object: gone, oldObject: old });
    return gone as T;
  }

  watch(opts: WatchOptions, handler: (ev: StoreEvent) => void): Unsubscribe {
    const from = opts.resourceVersion ? Number(opts.resourceVersion) : 0;
    if (opts.resourceVersion !== undefined && !Number.isInteger(from))
      throw new StoreError('Invalid', `resourceVersion "${opts.resourceVersion}" is not a number`);
    if (from > 0) {
      if (from < this.historyFloor) throw new StoreError('Gone', `too old resource version: ${from} (${this.historyFloor})`);
      for (let i = this.historyStart; i < this.history.length; i++) {
        const h = this.history[i]!;
        if (h.rv > from && this.wants(opts, h.ev)) handler(h.ev);
      }
    }
    const w: Watcher = { opts, handler };
    this.watchers.add(w);
    this.watcherList = [...this.watchers];
    return () => {
      this.watchers.delete(w);
      this.watcherList = [...this.watchers];
    };
  }

  private wants(opts: WatchOptions, ev: StoreEvent): boolean {
    if (opts.kind && ev.object.kind !== opts.kind) return false;
    if (opts.namespace !== undefined && ev.object.metadata.namespace !== opts.namespace) return false;
    return true;
  }

  /** The oldest version a watch can resume from: the history holds every change after it. */
  oldestResumable(): number {
    return this.historyFloor;
  }

  /**
   * Applies a change that was made elsewhere, at a resourceVersion assigned elsewhere (etcd's
   * revision, store/etcd.ts), without the checks a write makes: the change happened already.
   * Versions must not go back. ADDED or MODIFIED follow from what the store holds; a DELETED of
   * something it does not hold only advances the version. Returns the event it emitted, if any.
   */
  applyChange(change: JournalChange, rv: number): StoreEvent | undefined {
    if (rv < this.rv) throw new Error(`store: change at version ${rv} after version ${this.rv}`);
    const o = change.object;
    const t = this.table(o.kind);
    const k = keyFor(o.metadata.namespace, o.metadata.name);
    const old = t.get(k);
    this.rv = rv;
    let ev: StoreEvent;
    if (change.type === 'DELETED') {
      if (!old) return undefined;
      t.delete(k);
      ev = { type: 'DELETED', object: Object.freeze({ ...old, metadata: Object.freeze({ ...old.metadata, resourceVersion: String(rv) }) }), oldObject: old };
    } else {
      const stored = frozenCopyWithMetadata(o, { resourceVersion: String(rv) });
      t.set(k, stored);
      ev = old ? { type: 'MODIFIED', object: stored, oldObject: old } : { type: 'ADDED', object: stored };
    }
    this.emit(ev);
    return ev;
  }

  /** Takes the next resourceVersion for a change, once the journal (if any) has made it durable. */
  private commit(change: JournalChange): void {
    this.journal?.append(change, this.rv + 1);
    this.rv++;
  }

  private emit(ev: StoreEvent): void {
    this.history.push({ rv: this.rv, ev });
    if (this.history.length - this.historyStart > this.historySize) {
      this.historyFloor = this.history[this.historyStart]!.rv;
      this.historyStart++;
      // Compact now and then, so the array does not grow without end.
      if (this.historyStart > this.historySize) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    for (const w of this.watcherList) {
      if (!this.watchers.has(w) || !this.wants(w.opts, ev)) continue;
      try {
        w.handler(ev);
      } catch (err) {
        this.onHandlerError(err);
      }
    }
  }

  close(): void {
    this.watchers.clear();
    this.watcherList = [];
    this.journal?.close();
  }
}
