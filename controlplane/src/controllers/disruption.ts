// The disruption controller: keeps each PodDisruptionBudget's status (disruption-budget.ts) up to
// date as its pods come, go, turn Ready or not, and as their controllers scale. The eviction API
// reads that status to allow or refuse an eviction, and records the evictions it allows in
// status.disruptedPods, which this controller forgets once the pod is gone or the wait expires.

import {
  isoTime,
  keyOf,
  setCondition,
  splitKey,
  type DaemonSet,
  type Deployment,
  type KObject,
  type Pod,
  type PodDisruptionBudget,
  type ReplicaSet,
} from '@kip/shared';
import type { StoreEvent, Unsubscribe } from '../store/store.js';
import { COALESCE_MS, type ControllerDeps, type Enqueue, type ReconcileResult } from './controller.js';
import { ControllerBase } from './owner-controller.js';
import { budgetStatusEqual, calculateBudgetStatus, DISRUPTED_POD_TIMEOUT_MS, type ScaleOf } from './disruption-budget.js';

export class DisruptionController extends ControllerBase {
  readonly coalesceMs = COALESCE_MS;

  constructor(deps: ControllerDeps) {
    super('disruption', deps);
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    // Any change of a pod or a controller may change the budgets of its namespace; there are few budgets.
    const budgetsOfNamespace = (ev: StoreEvent) => {
      for (const pdb of this.store.list('PodDisruptionBudget', { namespace: ev.object.metadata.namespace }).items) enqueue(keyOf(pdb));
    };
    return [
      this.store.watch({ kind: 'PodDisruptionBudget' }, (ev) => enqueue(keyOf(ev.object))),
      this.store.watch({ kind: 'Pod' }, budgetsOfNamespace),
      this.store.watch({ kind: 'ReplicaSet' }, budgetsOfNamespace),
      this.store.watch({ kind: 'Deployment' }, budgetsOfNamespace),
      this.store.watch({ kind: 'DaemonSet' }, budgetsOfNamespace),
    ];
  }

  resyncKeys(): string[] {
    return this.store.list('PodDisruptionBudget').items.map(keyOf);
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const pdb = this.store.get<PodDisruptionBudget>('PodDisruptionBudget', namespace, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const now = this.clock.now();
    const pods = this.store.list<Pod>('Pod', { namespace }).items;
    const status = calculateBudgetStatus(pdb, pods, this.scaleOf, now);
    status.conditions = (status.conditions ?? []).reduce((list, c) => setCondition(list, c, isoTime(now)), pdb.status?.conditions ?? []);
    if (!budgetStatusEqual(pdb.status, status)) {
      const next = structuredClone(pdb);
      next.status = status;
      this.registry.updateStatus(next);
      this.log.debug('budget status', { pdb: key, allowed: status.disruptionsAllowed, healthy: status.currentHealthy, desired: status.desiredHealthy });
    }
    // An eviction that is never carried out stops counting when its wait runs out: look again then.
    const waits = Object.values(status.disruptedPods ?? {}).map((at) => Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS - now);
    return waits.length > 0 ? { requeueAfterMs: Math.max(1, Math.min(...waits)) } : undefined;
  }

  /**
   * A controller's desired pods (Kubernetes' finders): a ReplicaSet's replicas, or its
   * Deployment's when a Deployment controls it; a DaemonSet's desiredNumberScheduled.
   */
  private readonly scaleOf: ScaleOf = (ref) => {
    const get = <T extends KObject>(kind: string, n: string) => this.store.get<T>(kind, ref.namespace, n);
    switch (ref.kind) {
      case 'ReplicaSet': {
        const rs = get<ReplicaSet>('ReplicaSet', ref.name);
        if (!rs || rs.metadata.uid !== ref.uid) return undefined;
        const owner = rs.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'Deployment');
        const d = owner ? get<Deployment>('Deployment', owner.name) : undefined;
        if (d && d.metadata.uid === owner?.uid) return d.spec.replicas ?? 1;
        return rs.spec.replicas ?? 1;
      }
      case 'Deployment': {
        const d = get<Deployment>('Deployment', ref.name);
        return d && d.metadata.uid === ref.uid ? (d.spec.replicas ?? 1) : undefined;
      }
      case 'DaemonSet': {
        const ds = get<DaemonSet>('DaemonSet', ref.name);
        return ds && ds.metadata.uid === ref.uid ? (ds.status?.desiredNumberScheduled ?? 0) : undefined;
      }
      default:
        return undefined;
    }
  };
}
