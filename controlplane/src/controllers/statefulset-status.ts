// A StatefulSet's status, from the pods it controls, as Kubernetes computes it: replicas counts
// the pods that exist, ready and available those Running and Ready (available: for
// minReadySeconds), current and updated those at the current and update revision. A rolling
// update is complete when every pod is updated and ready: the update revision becomes current.

import { isPodTerminal, LABEL_CONTROLLER_REVISION_HASH, type Pod, type StatefulSet, type StatefulSetStatus } from '@kip/shared';
import { isDeepStrictEqual } from 'node:util';
import { readySince } from './replicaset-status.js';
import { isRunningAndReady } from './statefulset-plan.js';

export interface SetStatusResult {
  status: StatefulSetStatus;
  /** When a ready pod becomes available: look again then. */
  recheckInMs?: number;
}

export function calculateStatefulSetStatus(
  set: StatefulSet,
  pods: readonly Pod[],
  revisions: { current: string; update: string; collisionCount: number },
  now: number,
): SetStatusResult {
  const minReady = set.spec.minReadySeconds ?? 0;
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation ?? 1,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: revisions.current,
    updateRevision: revisions.update,
    collisionCount: revisions.collisionCount,
  };
  let recheckInMs: number | undefined;
  for (const pod of pods) {
    if (isPodTerminal(pod)) continue;
    status.replicas++;
    if (isRunningAndReady(pod) && !pod.metadata.deletionTimestamp) {
      status.readyReplicas!++;
      const since = readySince(pod)!;
      const wait = since + minReady * 1000 - now;
      if (minReady <= 0 || wait <= 0) status.availableReplicas!++;
      else recheckInMs = Math.min(recheckInMs ?? wait, wait);
    }
    if (pod.metadata.deletionTimestamp) continue;
    const rev = pod.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH];
    if (rev === revisions.current) status.currentReplicas!++;
    if (rev === revisions.update) status.updatedReplicas!++;
  }
  const replicas = set.spec.replicas ?? 1;
  if (
    (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
    status.updatedReplicas === replicas &&
    status.readyReplicas === replicas &&
    status.replicas === replicas
  ) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  return recheckInMs === undefined ? { status } : { status, recheckInMs };
}

export function statefulSetStatusEqual(a: StatefulSetStatus | undefined, b: StatefulSetStatus): boolean {
  return !!a && isDeepStrictEqual({ ...a, conditions: undefined }, { ...b, conditions: undefined });
}
