// The garbage collector: background cascading deletion by ownerReferences, as Kubernetes' GC.
// An object whose owners are all gone (no object of that kind and name with that uid) is deleted
// through the registry, so pods terminate gracefully and their own dependents follow in turn:
// deleting a Deployment removes its ReplicaSets, which removes their pods. An object that still
// has a live owner only loses its references to the dead ones. A dependency index (owner uid ->
// dependents, Kubernetes' GraphBuilder) turns an owner's deletion into keys; the periodic resync
// re-checks every dependent, catching whatever was missed while the process was busy.

import { isDeepStrictEqual } from 'node:util';
import { RESOURCES, resourceByKind, type KObject, type Logger, type OwnerReference } from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { Store, StoreEvent, Unsubscribe } from '../store/store.js';
import type { Controller, ControllerDeps, Enqueue, ReconcileResult } from './controller.js';

/** Kinds that never carry ownerReferences and are too many to scan. */
const NOT_DEPENDENTS = new Set(['Event']);

/** "Kind/namespace/name" (namespace empty for cluster-scoped objects). */
export function dependentKey(obj: KObject): string {
  return `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

function parseDependentKey(key: string): { kind: string; namespace?: string; name: string } | undefined {
  const parts = key.split('/');
  if (parts.length !== 3 || !parts[0] || !parts[2]) return undefined;
  return { kind: parts[0], namespace: parts[1] || undefined, name: parts[2] };
}

type OwnerState = 'present' | 'absent' | 'unknown';

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly log: Logger;
  /** owner uid -> keys of the objects that name it as an owner */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(deps: ControllerDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.log = deps.log.child('garbage-collector');
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    this.dependents.clear();
    for (const kind of this.dependentKinds()) for (const o of this.store.list(kind).items) this.index(o, true);
    return [this.store.watch({}, (ev) => this.onEvent(ev, enqueue))];
  }

  private dependentKinds(): string[] {
    return RESOURCES.map((r) => r.kind).filter((k) => !NOT_DEPENDENTS.has(k));
  }

  private onEvent(ev: StoreEvent, enqueue: Enqueue): void {
    const obj = ev.object;
    if (NOT_DEPENDENTS.has(obj.kind)) return;
    if (ev.oldObject) this.index(ev.oldObject, false);
    if (ev.type === 'DELETED') {
      const uid = obj.metadata.uid;
      for (const key of (uid && this.dependents.get(uid)) || []) enqueue(key);
      return;
    }
    this.index(obj, true);
    const refsChanged = ev.type === 'ADDED' || !isDeepStrictEqual(ev.oldObject?.metadata.ownerReferences, obj.metadata.ownerReferences);
    if (refsChanged && obj.metadata.ownerReferences?.length) enqueue(dependentKey(obj));
  }

  private index(obj: KObject, add: boolean): void {
    const key = dependentKey(obj);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (add) {
        if (!set) this.dependents.set(ref.uid, (set = new Set()));
        set.add(key);
      } else if (set) {
        set.delete(key);
        if (set.size === 0) this.dependents.delete(ref.uid);
      }
    }
  }

  resyncKeys(): string[] {
    const keys: string[] = [];
    for (const kind of this.dependentKinds())
      for (const o of this.store.list(kind, { filter: (x) => !!x.metadata.ownerReferences?.length }).items) keys.push(dependentKey(o));
    return keys;
  }

  /** Whether the owner a reference names still exists; dependents share their owner's namespace. */
  private ownerState(ref: OwnerReference, namespace: string | undefined): OwnerState {
    const r = resourceByKind(ref.kind);
    if (!r) return 'unknown'; // a kind kip does not serve: never delete on a guess
    const owner = this.store.get(ref.kind, r.namespaced ? namespace : undefined, ref.name);
    return owner && owner.metadata.uid === ref.uid ? 'present' : 'absent';
  }

  reconcile(key: string): ReconcileResult {
    const k = parseDependentKey(key);
    if (!k) {
      this.log.warn('ignoring malformed key', { key });
      return;
    }
    const obj = this.store.get(k.kind, k.namespace, k.name);
    if (!obj || obj.metadata.deletionTimestamp) return;
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const states = refs.map((ref) => this.ownerState(ref, obj.metadata.namespace));
    if (!states.includes('absent')) return;
    try {
      if (states.every((s) => s === 'absent')) {
        this.log.info('deleting object whose owners are gone', {
          object: `${obj.kind}/${obj.metadata.name}`,
          namespace: obj.metadata.namespace,
          owners: refs.map((r) => `${r.kind}/${r.name}`).join(','),
        });
        this.registry.delete(obj.kind, obj.metadata.namespace, obj.metadata.name, { preconditions: { uid: obj.metadata.uid } });
        return;
      }
      const next = structuredClone(obj);
      next.metadata.ownerReferences = refs.filter((_, i) => states[i] !== 'absent');
      this.log.debug('removing dangling owner references', { object: `${obj.kind}/${obj.metadata.name}`, namespace: obj.metadata.namespace });
      this.registry.update(next);
    } catch (err) {
      // Gone already, or changed under us (the change brings its own event): nothing left to do now.
      if (err instanceof ApiError && err.reason === 'NotFound') return;
      throw err;
    }
  }
}
