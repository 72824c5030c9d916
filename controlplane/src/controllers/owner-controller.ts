// What every controller is given (ControllerBase), and the shape every workload controller
// shares (OwnerController), as controller-runtime's builder says it: For(kind).Owns(dependent). It reconciles the objects of its kind, is woken by changes to the
// dependents it controls (and to orphans it may adopt), and resyncs every object of its kind.
// ReplicaSet, StatefulSet and DaemonSet own pods; Deployment owns ReplicaSets. A subclass adds
// what else it watches by extending register().

import { keyOf, realClock, type Clock, type KObject, type Logger } from '@kip/shared';
import type { Registry } from '../api/registry.js';
import type { EventRecorder } from '../events.js';
import type { Store, Unsubscribe } from '../store/store.js';
import { enqueueOwners } from './claim.js';
import { COALESCE_MS, type Controller, type ControllerDeps, type Enqueue, type ReconcileResult } from './controller.js';

export type OwnerKind = Parameters<typeof enqueueOwners>[2];

export interface Owns {
  kind: 'Pod' | 'ReplicaSet';
  /** Which orphans of that kind it may adopt (all, by default). */
  adoptable?: (o: KObject) => boolean;
}

/** What every controller is given: the store it watches, the registry it writes through, events, log, clock. */
export abstract class ControllerBase implements Controller {
  protected readonly store: Store;
  protected readonly registry: Registry;
  protected readonly recorder: EventRecorder;
  protected readonly log: Logger;
  protected readonly clock: Clock;

  constructor(
    readonly name: string,
    deps: ControllerDeps,
  ) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.recorder = deps.recorder;
    this.log = deps.log.child(name);
    this.clock = deps.clock ?? realClock;
  }

  abstract register(enqueue: Enqueue): Unsubscribe[];
  abstract resyncKeys(): string[];
  abstract reconcile(key: string): ReconcileResult;
}

export abstract class OwnerController extends ControllerBase {
  readonly coalesceMs = COALESCE_MS;

  constructor(
    name: string,
    protected readonly kind: OwnerKind,
    private readonly owns: Owns,
    deps: ControllerDeps,
  ) {
    super(name, deps);
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    return [
      this.store.watch({ kind: this.kind }, (ev) => enqueue(keyOf(ev.object))),
      this.store.watch({ kind: this.owns.kind }, (ev) => enqueueOwners(this.store, ev, this.kind, enqueue, this.owns.adoptable)),
    ];
  }

  resyncKeys(): string[] {
    return this.store.list(this.kind).items.map(keyOf);
  }
}
