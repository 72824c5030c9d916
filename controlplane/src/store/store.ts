// The Store: where the control plane keeps every object. One monotonically increasing
// resourceVersion across all kinds orders every write, and watches replay from any recent version.
// Backends implement this interface; the API server, scheduler and controllers see nothing else.
//
// The interface is synchronous on purpose: the memory and SQLite backends answer at once, etcd's
// (store/etcd.ts) serves reads from memory and blocks on its writes, and synchronous reads keep
// reconcile loops free of interleaving.

import type { KObject, WatchEventType } from '@kip/shared';
import type { Selector } from '@kip/shared';

/** Timeout: a backend that answers over the network (etcd) did not answer in time; the write may or may not have happened. */
export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Invalid' | 'Timeout';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: Selector;
  /** Extra predicate, e.g. a field selector. */
  filter?: (obj: KObject) => boolean;
}

export interface ListResult<T extends KObject = KObject> {
  items: T[];
  resourceVersion: string;
}

export interface StoreEvent<T extends KObject = KObject> {
  type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>;
  object: T;
  /** The object before this change (MODIFIED and DELETED only), for in-process watchers. */
  oldObject?: T;
}

export interface WatchOptions {
  kind?: string;
  namespace?: string;
  /** Replay every change after this version first; "0" or undefined means only new changes. */
  resourceVersion?: string;
}

export type Unsubscribe = () => void;

export interface Store {
  /** The resourceVersion of the latest write. */
  resourceVersion(): string;
  get<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string): T | undefined;
  list<T extends KObject = KObject>(kind: string, opts?: ListOptions): ListResult<T>;
  /** Stores a new object; assigns uid, resourceVersion, creationTimestamp. Throws AlreadyExists. */
  create<T extends KObject>(obj: T): T;
  /**
   * Replaces an object. If obj.metadata.resourceVersion is set and stale, throws Conflict.
   * Throws NotFound if it does not exist. uid and creationTimestamp cannot change.
   */
  update<T extends KObject>(obj: T): T;
  /** Removes an object; with `uid`/`resourceVersion` preconditions when given. Throws NotFound. */
  delete<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string, pre?: { uid?: string; resourceVersion?: string }): T;
  /**
   * Calls handler for every change, synchronously after the write. Handlers must not write to the
   * store from within the call: they queue work instead (the controller pattern).
   * Throws Gone if resourceVersion is older than the kept history.
   */
  watch(opts: WatchOptions, handler: (ev: StoreEvent) => void): Unsubscribe;
  close(): void;
}

/** Objects handed out by a store are frozen: copy before changing (structuredClone). */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

/**
 * A frozen deep copy of API data (plain objects, arrays and primitives, as JSON gives them), made
 * in one walk: what a store keeps and hands out. A part that is frozen already is shared, not
 * copied: it came from the store (a writer copies the object it read and changes a field), and
 * frozen data never changes, so an update costs a copy of the path that changed. Measured on the
 * scheduler's bind path, structuredClone then deepFreeze of every version was the largest cost of
 * a write, and the garbage it made the next.
 */
export function frozenCopy<T>(o: T): T {
  if (o === null || typeof o !== 'object' || Object.isFrozen(o)) return o;
  if (Array.isArray(o)) {
    const a = new Array(o.length);
    for (let i = 0; i < o.length; i++) a[i] = frozenCopy(o[i]);
    return Object.freeze(a) as T;
  }
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) return Object.freeze(structuredClone(o)) as T; // not plain data: a Buffer, a Date
  const out: Record<string, unknown> = {};
  for (const k in o) out[k] = frozenCopy((o as Record<string, unknown>)[k]);
  return Object.freeze(out) as T;
}

/**
 * frozenCopy of an API object with some metadata fields set (uid, resourceVersion, ...), in the
 * same one walk: what a store keeps of what it is asked to write. Building the changed metadata
 * with object spreads first (`{ ...obj, metadata: { ...obj.metadata, resourceVersion } }`) cost
 * V8 four times the memory of the copy itself, for objects thrown away at once: measured on the
 * scheduler's bench, most of what a pod's creation allocated.
 */
export function frozenCopyWithMetadata<T extends KObject>(o: T, set: Readonly<Record<string, unknown>>): T {
  const meta: Record<string, unknown> = {};
  const from = o.metadata as unknown as Record<string, unknown>;
  for (const k in from) meta[k] = frozenCopy(from[k]);
  for (const k in set) meta[k] = set[k];
  Object.freeze(meta);
  const out: Record<string, unknown> = {};
  for (const k in o) out[k] = k === 'metadata' ? meta : frozenCopy((o as Record<string, unknown>)[k]);
  out.metadata = meta; // in its place when the object had one; at the end when it had none
  return Object.freeze(out) as T;
}

/** A mutable deep copy of a stored object. */
export function mutable<T>(o: T): T {
  return structuredClone(o);
}
