// The thread that owns the etcd client for store/etcd.ts. The store's interface is synchronous and
// the etcd3 client is not, so the client lives here: the store posts a request and blocks on a
// shared counter (Atomics.wait) until this thread has posted the answer and bumped the counter.
// This thread also runs the store's watch on etcd and posts each change, in revision order, on the
// same port; and it compacts etcd's history now and then.
//
// Messages in: EtcdRequest. Messages out: EtcdReply (answers, by id) and EtcdWatchEvent.

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Etcd3, type IKeyValue, type ITxnResponse, type Watcher } from 'etcd3';

export interface EtcdWorkerData {
  hosts: string[];
  /** Every key of the store starts with this (e.g. "/registry/"). */
  prefix: string;
  port: MessagePort;
  /** An Int32Array's buffer: [0] is bumped after every message posted, to wake the store. */
  signal: SharedArrayBuffer;
  /** How often to compact etcd's history to the revision of the previous pass; 0: never. */
  compactIntervalMs: number;
  /** How long etcd has to answer a request. */
  timeoutMs: number;
}

export type EtcdRequest =
  | { id: number; op: 'load' }
  | { id: number; op: 'create'; key: string; value: string }
  | { id: number; op: 'update'; key: string; value: string; expect: number }
  | { id: number; op: 'delete'; key: string; expect: number }
  | { id: number; op: 'history'; from: number; to: number }
  | { id: number; op: 'compact'; revision: number };

export interface EtcdKV {
  key: string;
  value: string;
  rev: number;
}

export type EtcdReply = { t: 'reply'; id: number } & (
  | { ok: true; revision: number; kvs?: EtcdKV[]; events?: EtcdWatchEvent[] }
  /** A txn whose comparison failed: the key's mod revision now, or 0 when it does not exist. */
  | { ok: false; current: number }
  | { ok: false; error: string; gone?: boolean }
);

export interface EtcdWatchEvent {
  t: 'event';
  type: 'put' | 'delete';
  key: string;
  /** The value written (put), or the value before the delete when etcd still has it. */
  value?: string;
  rev: number;
  /** A put that created its key. */
  created?: boolean;
}

/** Bumped after every message, so that a store blocked in Atomics.wait wakes up to read it. */
type Post = (m: EtcdReply | EtcdWatchEvent | { t: 'fatal'; error: string }) => void;

function toEvent(type: 'Put' | 'Delete', kv: IKeyValue, prev: IKeyValue | undefined): EtcdWatchEvent {
  const value = type === 'Put' ? kv.value.toString() : prev?.value.toString();
  const created = type === 'Put' && kv.create_revision === kv.mod_revision;
  return {
    t: 'event',
    type: type === 'Put' ? 'put' : 'delete',
    key: kv.key.toString(),
    ...(value !== undefined ? { value } : {}),
    rev: Number(kv.mod_revision),
    ...(created ? { created } : {}),
  };
}

const COMPACTED = /compacted/;

class EtcdWorker {
  private readonly client: Etcd3;
  private live: Watcher | undefined;
  private compactedTo = 0;

  constructor(
    private readonly d: EtcdWorkerData,
    private readonly post: Post,
  ) {
    this.client = new Etcd3({ hosts: d.hosts, dialTimeout: d.timeoutMs });
  }

  async handle(req: EtcdRequest): Promise<void> {
    try {
      this.post(await this.answer(req));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.post({ t: 'reply', id: req.id, ok: false, error, ...(COMPACTED.test(error) ? { gone: true } : {}) });
    }
  }

  private async answer(req: EtcdRequest): Promise<EtcdReply> {
    const kv = this.client.kv;
    const key = 'key' in req ? Buffer.from(req.key) : Buffer.alloc(0);
    const txn = async (compare: number, target: 'Create' | 'Mod', put: string | undefined): Promise<EtcdReply> => {
      const res: ITxnResponse = await kv.txn({
        compare: [{ key, target, result: 'Equal', ...(target === 'Create' ? { create_revision: String(compare) } : { mod_revision: String(compare) }) }],
        success: [put !== undefined ? { request_put: { key, value: Buffer.from(put) } } : { request_delete_range: { key } }],
        failure: [{ request_range: { key } }],
      });
      if (res.succeeded) return { t: 'reply', id: req.id, ok: true, revision: Number(res.header.revision) };
      const found = res.responses[0]?.response_range.kvs[0];
      return { t: 'reply', id: req.id, ok: false, current: found ? Number(found.mod_revision) : 0 };
    };
    switch (req.op) {
      case 'load':
        return this.load(req.id);
      case 'create':
        return txn(0, 'Create', req.value);
      case 'update':
        return txn(req.expect, 'Mod', req.value);
      case 'delete':
        return txn(req.expect, 'Mod', undefined);
      case 'history':
        return { t: 'reply', id: req.id, ok: true, revision: req.to, events: await this.history(req.from, req.to) };
      case 'compact':
        await this.compact(req.revision);
        return { t: 'reply', id: req.id, ok: true, revision: req.revision };
    }
  }

  /** Every object under the prefix, then the watch from the revision after them. */
  private async load(id: number): Promise<EtcdReply> {
    const res = await this.client.getAll().prefix(this.d.prefix).exec();
    const revision = Number(res.header.revision);
    const kvs = res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), rev: Number(kv.mod_revision) }));
    // The answer goes first: the store applies what it loaded before any change after it.
    this.post({ t: 'reply', id, ok: true, revision, kvs });
    this.live = await this.client
      .watch()
      .prefix(this.d.prefix)
      .startRevision(String(revision + 1))
      .create();
    this.live.on('data', (res) => {
      for (const ev of res.events) this.post(toEvent(ev.type, ev.kv, ev.prev_kv));
    });
    // The client reconnects a broken stream by itself, from the revision after the last it saw;
    // an error here means the watch cannot go on (its revision was compacted while it was away).
    this.live.on('error', (err) => this.post({ t: 'fatal', error: `the etcd watch failed: ${err.message}` }));
    if (this.d.compactIntervalMs > 0) this.compactNowAndThen();
    // The load answer was posted already; this one, with an id nobody waits for, is dropped.
    return { t: 'reply', id: -1, ok: true, revision };
  }

  /**
   * The changes under the prefix in (from, to], to let a watch resume from before this store
   * loaded. It watches every key, not just the prefix: every revision is some key's change, so the
   * change at `to` arrives even when it was another prefix's, and says the replay is whole.
   */
  private history(from: number, to: number): Promise<EtcdWatchEvent[]> {
    if (to <= from) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const events: EtcdWatchEvent[] = [];
      let done = false;
      const finish = (w: Watcher, err?: Error) => {
        if (done) return;
        done = true;
        w.cancel().catch(() => undefined);
        if (err) reject(err);
        else resolve(events);
      };
      this.client
        .watch()
        .prefix('')
        .withPreviousKV()
        .startRevision(String(from + 1))
        .create()
        .then((w) => {
          // etcd 3.4 cancels a watch from a compacted revision without a reason: ask it with a read at that revision.
          w.on('error', (err) => {
            this.client.kv.range({ key: Buffer.from(this.d.prefix), revision: String(from + 1), limit: '1', keys_only: true }).then(
              () => finish(w, err),
              (rangeErr: Error) => finish(w, COMPACTED.test(rangeErr.message) ? rangeErr : err),
            );
          });
          w.on('data', (res) => {
            for (const ev of res.events) {
              const rev = Number(ev.kv.mod_revision);
              if (rev > to) return finish(w);
              if (ev.kv.key.toString().startsWith(this.d.prefix)) events.push(toEvent(ev.type, ev.kv, ev.prev_kv));
              if (rev === to) return finish(w);
            }
          });
        }, reject);
    });
  }

  private async compact(revision: number): Promise<void> {
    if (revision <= this.compactedTo) return;
    try {
      await this.client.kv.compact({ revision: String(revision), physical: false });
    } catch (err) {
      // Another control plane on the same etcd compacted past it already: nothing to do.
      if (!COMPACTED.test((err as Error).message)) throw err;
    }
    this.compactedTo = revision;
  }

  /**
   * As the Kubernetes API server does: every interval, compact to the revision etcd had at the
   * previous pass, so watches can always resume from up to one interval back.
   */
  private compactNowAndThen(): void {
    let previous = 0;
    const pass = async () => {
      try {
        const res = await this.client.kv.range({ key: Buffer.from(this.d.prefix), limit: '1', keys_only: true });
        if (previous > 0) await this.compact(previous);
        previous = Number(res.header.revision);
      } catch {
        // etcd unreachable for now: the next pass tries again.
      }
    };
    setInterval(pass, this.d.compactIntervalMs).unref();
    void pass();
  }
}

if (parentPort) {
  const d = workerData as EtcdWorkerData;
  const signal = new Int32Array(d.signal);
  const post: Post = (m) => {
    if ('id' in m && m.id === -1) return;
    d.port.postMessage(m);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  const worker = new EtcdWorker(d, post);
  d.port.on('message', (req: EtcdRequest) => void worker.handle(req));
  // Ready: the etcd client is loaded (the store's deadlines for etcd start now).
  post({ t: 'reply', id: 0, ok: true, revision: 0 });
}
