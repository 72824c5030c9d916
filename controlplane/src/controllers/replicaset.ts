// The ReplicaSet controller: keeps spec.replicas active pods of the template. It claims pods
// (adopting matching orphans, releasing those that stopped matching), creates what is missing,
// deletes the surplus in Kubernetes' ranking order, and writes status last. The store is
// synchronous, so a pod it created is visible at once and no "expectations" bookkeeping is needed.

import { controllerOf, fromLabelSelector, isPodActive, ownerReferenceTo, splitKey, type Pod, type ReplicaSet } from '@kip/shared';
import { ApiError } from '../api/errors.js';
import { claimObjects } from './claim.js';
import type { ControllerDeps, ReconcileResult } from './controller.js';
import { OwnerController } from './owner-controller.js';
import { podsToDelete } from './pod-deletion-rank.js';
import { calculateReplicaSetStatus, replicaSetStatusEqual } from './replicaset-status.js';

export const REPLICASET_COMPONENT = 'replicaset-controller';
/** At most this many pods are created or deleted in one reconcile (Kubernetes' burstReplicas). */
export const BURST_REPLICAS = 500;

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class ReplicaSetController extends OwnerController {
  constructor(deps: ControllerDeps) {
    super('replicaset', 'ReplicaSet', { kind: 'Pod', adoptable: (o) => isPodActive(o as Pod) }, deps);
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const rs = this.store.get<ReplicaSet>('ReplicaSet', namespace, name);
    if (!rs) return; // deleted: the garbage collector takes its pods
    const selector = fromLabelSelector(rs.spec.selector);
    const candidates = this.store.list<Pod>('Pod', { namespace }).items;
    const claim = claimObjects(this.registry, rs, selector, candidates, isPodActive);
    if (claim.adopted.length) this.log.debug('adopted pods', { replicaset: key, pods: claim.adopted.join(',') });
    if (claim.released.length) this.log.debug('released pods', { replicaset: key, pods: claim.released.join(',') });

    let manageError: unknown;
    if (!rs.metadata.deletionTimestamp) {
      try {
        this.manageReplicas(rs, claim.claimed);
      } catch (err) {
        manageError = err;
      }
    }
    // Status last, from what is stored now (our own creates and deletes included).
    const result = this.syncStatus(key);
    if (manageError !== undefined) throw manageError;
    return result;
  }

  private ownedActivePods(rs: ReplicaSet): Pod[] {
    const uid = rs.metadata.uid;
    return this.store.list<Pod>('Pod', { namespace: rs.metadata.namespace, filter: (o) => controllerOf(o)?.uid === uid && isPodActive(o as Pod) }).items;
  }

  private manageReplicas(rs: ReplicaSet, pods: Pod[]): void {
    const desired = rs.spec.replicas ?? 1;
    const diff = pods.length - desired;
    if (diff < 0) this.createPods(rs, Math.min(-diff, BURST_REPLICAS));
    else if (diff > 0) this.deletePods(rs, podsToDelete(pods, Math.min(diff, BURST_REPLICAS)));
  }

  /**
   * Creates in batches of 1, 2, 4 ... and stops at the first batch with a failure, as Kubernetes'
   * slowStartBatch does: a template the API refuses costs one attempt, not a hundred.
   */
  private createPods(rs: ReplicaSet, count: number): void {
    let remaining = count;
    let batch = 1;
    while (remaining > 0) {
      const size = Math.min(batch, remaining);
      let firstError: unknown;
      for (let i = 0; i < size; i++) {
        try {
          this.createPod(rs);
        } catch (err) {
          firstError ??= err;
        }
      }
      if (firstError !== undefined) throw firstError;
      remaining -= size;
      batch *= 2;
    }
  }

  private createPod(rs: ReplicaSet): void {
    const tpl = rs.spec.template;
    const meta: Pod['metadata'] = {
      name: '',
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      ownerReferences: [ownerReferenceTo(rs)],
    };
    if (tpl.metadata?.labels) meta.labels = { ...tpl.metadata.labels };
    if (tpl.metadata?.annotations) meta.annotations = { ...tpl.metadata.annotations };
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: structuredClone(tpl.spec) };
    let created: Pod;
    try {
      created = this.registry.create<Pod>(pod);
    } catch (err) {
      this.recorder.record(rs, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`, { component: REPLICASET_COMPONENT });
      throw err;
    }
    this.recorder.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, { component: REPLICASET_COMPONENT });
  }

  private deletePods(rs: ReplicaSet, victims: Pod[]): void {
    let firstError: unknown;
    for (const pod of victims) {
      try {
        this.registry.delete('Pod', pod.metadata.namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'NotFound') continue;
        this.recorder.record(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`, { component: REPLICASET_COMPONENT });
        firstError ??= err;
        continue;
      }
      this.recorder.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, { component: REPLICASET_COMPONENT });
    }
    if (firstError !== undefined) throw firstError;
  }

  private syncStatus(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const rs = this.store.get<ReplicaSet>('ReplicaSet', namespace, name);
    if (!rs) return;
    const { status, recheckInMs } = calculateReplicaSetStatus(rs, this.ownedActivePods(rs), this.clock.now());
    if (!replicaSetStatusEqual(rs.status, status)) {
      const next = structuredClone(rs);
      next.status = status;
      this.registry.updateStatus(next);
    }
    return recheckInMs === undefined ? undefined : { requeueAfterMs: Math.max(1, recheckInMs) };
  }
}
