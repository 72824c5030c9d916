// The store in etcd, for more than one control plane (`--store etcd://HOST:PORT[,HOST:PORT...][/PREFIX]`),
// laid out as the Kubernetes API server lays it out: one key per object, `<prefix>/<Kind>/<namespace>/<name>`
// (the namespace empty for cluster-scoped kinds), the object as JSON without its resourceVersion,
// which is the key's mod revision. Creates are txn(create_revision == 0), updates and deletes
// txn(mod_revision == the version the writer read), so two control planes never overwrite each
// other's writes.
//
// Why this design. The Store interface is synchronous (store.ts): the API server, scheduler and
// controllers read it in the middle of their work. So reads and watches are served from an
// in-memory cache (a MemoryStore, loaded from etcd when the store opens) and only writes go to
// etcd, through a worker thread that owns the etcd3 client (store/etcd-worker.ts) while this
// thread blocks on Atomics.wait until the answer is posted, with a deadline: a write etcd does not
// answer in time is a Timeout (504), never a hang.
//
// The cache changes only from etcd's watch, in revision order, never from a write's own answer: a
// write waits until the watch has brought its own revision back, so every change before it, from
// this control plane or another on the same etcd, has been applied and delivered to watchers
// first. Watchers of every control plane thus see the same changes in the same order, and a
// write's caller reads its write back at once. The price is one watch round trip per write, which
// measured small beside etcd's own commit: on this 2-core machine under a load of 27, a txn on a
// local etcd 3.4 took 17 ms (its fsync) and its watch event came 0.4 ms after the answer;
// `npm run bench -- --only store` gave 41 writes/s, p50 11 ms, p99 146 ms for the whole store
// (worker hop, txn, watch), against 95 bare puts/s from the etcd3 client alone. Writes are one at
// a time because the interface is synchronous: etcd's pace, not the process's, bounds them.
//
// A watch from a resourceVersion older than the cache's history (one from before this process
// loaded, after a restart) is replayed from etcd's history, or is Gone once etcd compacted it. The
// worker compacts etcd's history every compactIntervalMs to the revision of the pass before, as
// the API server does every 5 minutes.

import { newUid } from './uid.js';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { isoNow, realClock, type Clock, type KObject } from '@kip/shared';
import type { JournalChange } from './journal.js';
import { MemoryStore } from './memory.js';
import type { EtcdReply, EtcdRequest, EtcdWatchEvent, EtcdWorkerData } from './etcd-worker.js';
import { StoreError, type ListOptions, type ListResult, type Store, type StoreEvent, type Unsubscribe, type WatchOptions } from './store.js';

export interface EtcdStoreOptions {
  /** etcd client URLs, e.g. http://127.0.0.1:2379. */
  hosts: string[];
  /** The key prefix, so that clusters can share an etcd (default /registry). */
  prefix?: string;
  /** How long a request may take, opening included (default 10 s). */
  timeoutMs?: number;
  /** How often history is compacted (default 5 minutes; 0: never). */
  compactIntervalMs?: number;
  /** How many changes the in-memory cache keeps for watches to resume from. */
  historySize?: number;
  clock?: Clock;
  onHandlerError?: (err: unknown) => void;
  /**
   * Called when the store can no longer follow etcd (its watch failed for good); every write then
   * fails. A control plane exits, and the launcher starts it again, loading afresh.
   */
  onBroken?: (err: Error) => void;
}

/** Parses `etcd://HOST:PORT[,HOST:PORT...][/PREFIX]`; throws a message naming what is wrong. */
export function parseEtcdUrl(url: string): { hosts: string[]; prefix: string } {
  const m = /^etcd:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (!m) throw new Error(`"${url}" is not etcd://HOST:PORT[,HOST:PORT...][/PREFIX]`);
  const hosts = m[1]!.split(',').map((h) => {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(h) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(h)) throw new Error(`"${h}" in "${url}" is not HOST:PORT`);
    return `http://${h}`;
  });
  const prefix = (m[2] ?? '/registry').replace(/\/+$/, '');
  if (prefix === '') throw new Error(`the prefix in "${url}" is empty: give one such as /registry`);
  return { hosts, prefix };
}

/** A request before the store numbers it. */
type Unsent = { [Op in EtcdRequest['op']]: Omit<Extract<EtcdRequest, { op: Op }>, 'id'> }[EtcdRequest['op']];

/** How long the worker may take to load the etcd client, on a machine as busy as it gets. */
const WORKER_START_TIMEOUT_MS = 60_000;

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class EtcdStore implements Store {
  private readonly cache: MemoryStore;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private nextId = 1;
  /** The last event applied from the watch: what a write returns once its revision is back. */
  /**
   * The changes applied while a write of this store is in flight, by revision. Its own change is
   * among them, but need not be the last: the watch may deliver it, then another control plane's
   * change, before the worker's answer to the txn is read.
   */
  private inFlight: Map<number, StoreEvent> | undefined;
  private broken: Error | undefined;
  private closed = false;

  constructor(private readonly opts: EtcdStoreOptions) {
    this.prefix = `${(opts.prefix ?? '/registry').replace(/\/+$/, '')}/`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.clock = opts.clock ?? realClock;
    const channel = new MessageChannel();
    this.port = channel.port1;
    const signal = new SharedArrayBuffer(4);
    this.signal = new Int32Array(signal);
    const data: EtcdWorkerData = {
      hosts: opts.hosts,
      prefix: this.prefix,
      port: channel.port2,
      signal,
      compactIntervalMs: opts.compactIntervalMs ?? 5 * 60_000,
      timeoutMs: this.timeoutMs,
    };
    // Beside this file both in tsc's output and in the control plane's bundle (build-bundles.mjs).
    this.worker = new Worker(new URL('./etcd-worker.js', import.meta.url), { workerData: data, transferList: [channel.port2] });
    this.worker.unref();
    this.worker.on('error', (err) => this.break(err));
    this.worker.on('exit', (code) => this.break(new Error(`the etcd client's thread exited (code ${code})`)));
    let loaded: Extract<EtcdReply, { ok: true }>;
    try {
      // The worker's first message (id 0) says it has loaded the etcd client, which takes a
      // second of cpu (gRPC and its protobuf definitions): not part of etcd's deadline.
      this.wait('the etcd client to load', (r) => (r?.id === 0 ? r : undefined), WORKER_START_TIMEOUT_MS);
      loaded = this.request({ op: 'load' }, (r) => {
        if (!r.ok) throw new Error('error' in r ? r.error : 'no answer');
        return r;
      });
    } catch (err) {
      this.closed = true;
      void this.worker.terminate();
      this.port.close();
      throw new StoreError('Invalid', `cannot load the store from etcd at ${opts.hosts.join(',')}: ${errMessage(err)}`);
    }
    const objects: KObject[] = [];
    for (const kv of loaded.kvs ?? []) {
      try {
        objects.push(this.decode(kv.value, kv.rev));
      } catch (err) {
        (opts.onHandlerError ?? console.error)(new Error(`etcd store: cannot read ${kv.key}: ${errMessage(err)}`));
      }
    }
    this.cache = new MemoryStore({
      historySize: opts.historySize,
      clock: this.clock,
      onHandlerError: opts.onHandlerError,
      restore: { objects, history: [], rv: loaded.revision },
    });
    this.port.on('message', (m: EtcdReply | EtcdWatchEvent | { t: 'fatal'; error: string }) => this.receive(m));
    this.port.unref();
  }

  private key(kind: string, namespace: string | undefined, name: string): string {
    return `${this.prefix}${kind}/${namespace ?? ''}/${name}`;
  }

  private decode(value: string, rev: number): KObject {
    const o = JSON.parse(value) as KObject;
    return { ...o, metadata: { ...o.metadata, resourceVersion: String(rev) } };
  }

  private encode(o: KObject): string {
    const { resourceVersion: _, ...metadata } = o.metadata;
    return JSON.stringify({ ...o, metadata });
  }

  private break(err: Error): void {
    if (this.broken || this.closed) return;
    this.broken = err;
    this.opts.onBroken?.(err);
  }

  /** Handles one message from the worker; returns it if it is an answer. */
  private receive(m: EtcdReply | EtcdWatchEvent | { t: 'fatal'; error: string }): EtcdReply | undefined {
    if (m.t === 'reply') return m;
    if (m.t === 'fatal') {
      this.break(new Error(m.error));
      return undefined;
    }
    // Never older than what is applied (the client resumes a broken stream from the revision after
    // the last it delivered); equal when one txn, of another writer, changed several keys.
    if (m.rev < Number(this.cache.resourceVersion())) return undefined;
    let change: JournalChange | undefined;
    try {
      change = this.toChange(m);
    } catch (err) {
      // Not an object kip wrote (a value that is not JSON under the prefix): skipped, and said.
      (this.opts.onHandlerError ?? console.error)(new Error(`etcd store: cannot read ${m.key} at revision ${m.rev}: ${errMessage(err)}`));
    }
    if (change) {
      const ev = this.cache.applyChange(change, m.rev);
      if (ev) this.inFlight?.set(m.rev, ev);
    }
    return undefined;
  }

  private toChange(m: EtcdWatchEvent): JournalChange | undefined {
    if (m.type === 'put') return { type: 'MODIFIED', object: this.decode(m.value!, m.rev) };
    const parts = m.key.slice(this.prefix.length).split('/');
    if (parts.length !== 3) return undefined;
    const [kind, namespace, name] = parts as [string, string, string];
    const held = this.cache.get(kind, namespace || undefined, name);
    if (held) return { type: 'DELETED', object: held };
    // Not in the cache (a replay from etcd's history): the value before the delete, if etcd kept it.
    if (m.value !== undefined) return { type: 'DELETED', object: this.decode(m.value, m.rev) };
    return { type: 'DELETED', object: { apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) } } as KObject };
  }

  /**
   * Posts a request and blocks until its answer, applying the watch's changes that arrive
   * meanwhile. `until` is asked after every message whether the wait is over.
   */
  private wait<T>(what: string, until: (reply: EtcdReply | undefined) => T | undefined, timeoutMs = this.timeoutMs): T {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
        const done = until(this.receive(m.message));
        if (done !== undefined) return done;
      }
      const done = until(undefined);
      if (done !== undefined) return done;
      if (this.broken) throw this.broken;
      const left = deadline - Date.now();
      if (left <= 0) {
        const maybe = /^(create|update|delete)$/.test(what) ? '; the change may or may not have been made' : '';
        throw new StoreError('Timeout', `etcd did not answer in ${timeoutMs} ms (${what})${maybe}`);
      }
      Atomics.wait(this.signal, 0, seen, left);
    }
  }

  private request<T>(req: Unsent, onReply: (r: EtcdReply) => T): T {
    if (this.closed) throw new StoreError('Invalid', 'the store is closed');
    if (this.broken) throw this.broken;
    const id = this.nextId++;
    this.port.postMessage({ ...req, id });
    return this.wait(req.op, (r) => (r?.id === id ? onReply(r) : undefined));
  }

  /** Waits until the watch has applied revision `rev`. */
  private catchUp(rev: number): void {
    this.wait(`watch to revision ${rev}`, () => (Number(this.cache.resourceVersion()) >= rev ? true : undefined));
  }

  /** Runs one txn; answers the new revision, or the key's current mod revision (0: none) when the comparison failed. */
  private txn(req: Unsent): { ok: true; revision: number } | { ok: false; current: number } {
    // Collected only until written() takes the write's own change, so that it never grows.
    this.inFlight = new Map();
    try {
      const r = this.request(req, (r) => {
        if (r.ok) return { ok: true as const, revision: r.revision };
        if ('current' in r) return { ok: false as const, current: r.current };
        throw new Error(`etcd: ${r.error}`);
      });
      if (!r.ok) this.inFlight = undefined;
      return r;
    } catch (err) {
      this.inFlight = undefined;
      throw err;
    }
  }

  /** What the watch applied at `revision`, the write's own change. */
  private written(revision: number): StoreEvent {
    try {
      this.catchUp(revision);
      const ev = this.inFlight?.get(revision);
      if (!ev) throw new Error(`store: the watch did not bring back revision ${revision}`);
      return ev;
    } finally {
      this.inFlight = undefined;
    }
  }

  resourceVersion(): string {
    return this.cache.resourceVersion();
  }

  get<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    return this.cache.get<T>(kind, namespace, name);
  }

  list<T extends KObject = KObject>(kind: string, opts?: ListOptions): ListResult<T> {
    return this.cache.list<T>(kind, opts);
  }

  create<T extends KObject>(obj: T): T {
    const { kind, metadata } = obj;
    const exists = () => new StoreError('AlreadyExists', `${kind.toLowerCase()}s "${metadata.name}" already exists`);
    if (this.cache.get(kind, metadata.namespace, metadata.name)) throw exists();
    const stored: KObject = {
      ...obj,
      metadata: { ...metadata, uid: metadata.uid || newUid(), creationTimestamp: metadata.creationTimestamp || isoNow(this.clock) },
    };
    const r = this.txn({ op: 'create', key: this.key(kind, metadata.namespace, metadata.name), value: this.encode(stored) });
    if (!r.ok) throw exists();
    return this.written(r.revision).object as T;
  }

  update<T extends KObject>(obj: T): T {
    const { kind, metadata } = obj;
    const conflict = () =>
      new StoreError(
        'Conflict',
        `Operation cannot be fulfilled on ${kind.toLowerCase()}s "${metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    // An update without a resourceVersion applies to whatever is current: when another control
    // plane changed the object first, catch up with its change and try again.
    for (;;) {
      const old = this.cache.get(kind, metadata.namespace, metadata.name);
      if (!old) throw new StoreError('NotFound', `${kind.toLowerCase()}s "${metadata.name}" not found`);
      const given = metadata.resourceVersion;
      // A version newer than the cache's may be etcd's current one, read through another control plane: etcd decides.
      if (given && Number(given) < Number(old.metadata.resourceVersion)) throw conflict();
      if (given && !/^\d+$/.test(given)) throw conflict();
      if (metadata.uid && metadata.uid !== old.metadata.uid)
        throw new StoreError(
          'Conflict',
          `${kind.toLowerCase()}s "${metadata.name}": uid ${metadata.uid} does not match the stored object (${old.metadata.uid})`,
        );
      const stored: KObject = { ...obj, metadata: { ...metadata, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp } };
      const expect = Number(given || old.metadata.resourceVersion);
      const r = this.txn({ op: 'update', key: this.key(kind, metadata.namespace, metadata.name), value: this.encode(stored), expect });
      if (r.ok) return this.written(r.revision).object as T;
      if (r.current === 0) throw new StoreError('NotFound', `${kind.toLowerCase()}s "${metadata.name}" not found`);
      if (given) throw conflict();
      this.catchUp(r.current);
    }
  }

  delete<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string, pre: { uid?: string; resourceVersion?: string } = {}): T {
    for (;;) {
      const old = this.cache.get(kind, namespace, name);
      if (!old) throw new StoreError('NotFound', `${kind.toLowerCase()}s "${name}" not found`);
      if (pre.uid && pre.uid !== old.metadata.uid)
        throw new StoreError('Conflict', `${kind.toLowerCase()}s "${name}": precondition failed: uid ${pre.uid} does not match ${old.metadata.uid}`);
      const stale = () => new StoreError('Conflict', `${kind.toLowerCase()}s "${name}": precondition failed: resourceVersion ${pre.resourceVersion} is stale`);
      if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) throw stale();
      const r = this.txn({ op: 'delete', key: this.key(kind, namespace, name), expect: Number(old.metadata.resourceVersion) });
      if (r.ok) return this.written(r.revision).object as T;
      if (r.current === 0) throw new StoreError('NotFound', `${kind.toLowerCase()}s "${name}" not found`);
      if (pre.resourceVersion) throw stale();
      // Changed elsewhere meanwhile: catch up and judge the preconditions again.
      this.catchUp(r.current);
    }
  }

  watch(opts: WatchOptions, handler: (ev: StoreEvent) => void): Unsubscribe {
    const from = opts.resourceVersion ? Number(opts.resourceVersion) : 0;
    const floor = this.cache.oldestResumable();
    if (from > 0 && Number.isInteger(from) && from < floor) {
      // Before what the cache holds: replay etcd's history up to where the cache's begins.
      const events = this.request({ op: 'history', from, to: floor }, (r) => {
        if (r.ok) return r.events ?? [];
        if ('gone' in r && r.gone) throw new StoreError('Gone', `too old resource version: ${from} (etcd compacted its history)`);
        throw new Error(`etcd: ${'error' in r ? r.error : 'no answer'}`);
      });
      for (const m of events) {
        const change = this.toChange(m);
        if (!change) continue;
        const ev: StoreEvent =
          change.type === 'DELETED'
            ? { type: 'DELETED', object: { ...change.object, metadata: { ...change.object.metadata, resourceVersion: String(m.rev) } } }
            : { type: m.created ? 'ADDED' : 'MODIFIED', object: change.object };
        if (opts.kind && ev.object.kind !== opts.kind) continue;
        if (opts.namespace !== undefined && ev.object.metadata.namespace !== opts.namespace) continue;
        handler(ev);
      }
      return this.cache.watch({ ...opts, resourceVersion: String(floor) }, handler);
    }
    return this.cache.watch(opts, handler);
  }

  /** Compacts etcd's history up to `revision` now (the worker also does every compactIntervalMs). */
  compact(revision: number): void {
    this.request({ op: 'compact', revision }, (r) => {
      if (!r.ok) throw new Error(`etcd: ${'error' in r ? r.error : 'compaction failed'}`);
      return r;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cache.close();
    this.port.close();
    void this.worker.terminate();
  }
}
