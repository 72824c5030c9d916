// The namespace controller: empties a namespace being deleted (every object in it, pods
// gracefully) and removes the Namespace once nothing is left, as Kubernetes' does.

import { RESOURCES, isoNow, realClock, type Clock, type Namespace } from '@kip/shared';
import { PERMANENT_NAMESPACES, type Registry } from '../api/registry.js';
import { StoreError, type Store, type Unsubscribe } from '../store/store.js';
import type { Controller, ControllerDeps, Enqueue, ReconcileResult } from './controller.js';

/** How soon to look again while a namespace still holds objects (pods stopping gracefully). */
const RECHECK_MS = 250;

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly clock: Clock;

  constructor(deps: ControllerDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.clock = deps.clock ?? realClock;
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    return [this.store.watch({ kind: 'Namespace' }, (ev) => enqueue(ev.object.metadata.name))];
  }

  resyncKeys(): string[] {
    return this.store.list('Namespace').items.map((n) => n.metadata.name);
  }

  /** Makes sure the namespaces every cluster has exist (at start). */
  ensurePermanent(): void {
    for (const name of PERMANENT_NAMESPACES) {
      if (this.store.get('Namespace', undefined, name)) continue;
      const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, creationTimestamp: isoNow(this.clock) }, status: { phase: 'Active' } };
      this.store.create(ns);
    }
  }

  reconcile(key: string): ReconcileResult {
    const ns = this.store.get<Namespace>('Namespace', undefined, key);
    if (!ns?.metadata.deletionTimestamp) return;
    let left = 0;
    for (const r of RESOURCES) {
      if (!r.namespaced) continue;
      for (const obj of this.store.list(r.kind, { namespace: key }).items) {
        left++;
        if (obj.metadata.deletionTimestamp) continue;
        try {
          this.registry.delete(r.kind, key, obj.metadata.name, { propagationPolicy: 'Background' });
        } catch {
          // gone already, or refused for now: the next pass sees it again
        }
      }
    }
    if (left > 0) return { requeueAfterMs: RECHECK_MS };
    try {
      this.store.delete('Namespace', undefined, key, { uid: ns.metadata.uid });
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
    }
  }
}
