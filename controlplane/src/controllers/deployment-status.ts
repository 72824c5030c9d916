// A Deployment's status and conditions, computed as Kubernetes' deployment controller does:
// counts summed over its ReplicaSets, `Available` when replicas - maxUnavailable pods are
// available, and `Progressing` telling a rollout that moves (ReplicaSetUpdated), one that is
// done (NewReplicaSetAvailable), and one that has not moved for progressDeadlineSeconds
// (ProgressDeadlineExceeded).

import { isoTime, type Deployment, type DeploymentCondition, type DeploymentStatus, type ReplicaSet } from '@kip/shared';
import { canonicalJson } from './pod-template-hash.js';
import { desiredReplicas, maxUnavailable, replicaCount } from './rollout-plan.js';

export const REASON_MINIMUM_REPLICAS_AVAILABLE = 'MinimumReplicasAvailable';
export const REASON_MINIMUM_REPLICAS_UNAVAILABLE = 'MinimumReplicasUnavailable';
export const REASON_REPLICASET_UPDATED = 'ReplicaSetUpdated';
export const REASON_NEW_RS_CREATED = 'NewReplicaSetCreated';
export const REASON_NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const REASON_TIMED_OUT = 'ProgressDeadlineExceeded';
export const REASON_PAUSED = 'DeploymentPaused';
export const REASON_RESUMED = 'DeploymentResumed';

/** Kubernetes' default progressDeadlineSeconds. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** spec.progressDeadlineSeconds: not a declared kip field, but kept from manifests and honoured. */
export function progressDeadlineSeconds(d: Deployment): number {
  const v = (d.spec as { progressDeadlineSeconds?: unknown }).progressDeadlineSeconds;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : DEFAULT_PROGRESS_DEADLINE_SECONDS;
}

export function getCondition(status: DeploymentStatus | undefined, type: DeploymentCondition['type']): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(
  type: DeploymentCondition['type'],
  status: DeploymentCondition['status'],
  reason: string,
  message: string,
  now: string,
): DeploymentCondition {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

/**
 * Sets a condition in place. The same status and reason change nothing (so lastUpdateTime keeps
 * saying when it was last different); the same status keeps lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const list = status.conditions ?? [];
  const i = list.findIndex((c) => c.type === cond.type);
  const cur = i >= 0 ? list[i] : undefined;
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = cur && cur.status === cond.status ? { ...cond, lastTransitionTime: cur.lastTransitionTime } : cond;
  if (i >= 0) list[i] = next;
  else list.push(next);
  status.conditions = list;
}

/** Counts and the Available condition; the Progressing condition is carried over as it was. */
export function calculateStatus(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, nowMs: number): DeploymentStatus {
  const sum = (f: (rs: ReplicaSet) => number | undefined) => allRSs.reduce((n, rs) => n + (f(rs) ?? 0), 0);
  const available = sum((rs) => rs.status?.availableReplicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sum((rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicaCount(allRSs) - available),
    conditions: structuredClone(d.status?.conditions ?? []),
  };
  const now = isoTime(nowMs);
  if (available >= desiredReplicas(d) - maxUnavailable(d))
    setCondition(status, newCondition('Available', 'True', REASON_MINIMUM_REPLICAS_AVAILABLE, 'Deployment has minimum availability.', now));
  else setCondition(status, newCondition('Available', 'False', REASON_MINIMUM_REPLICAS_UNAVAILABLE, 'Deployment does not have minimum availability.', now));
  return status;
}

/** Every replica updated and available, and the status is of the current generation. */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const want = desiredReplicas(d);
  return (
    status.updatedReplicas === want &&
    status.replicas === want &&
    status.availableReplicas === want &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 1)
  );
}

/** Something moved since the last status: more updated, fewer old, more ready or available. */
export function deploymentProgressing(d: Deployment, next: DeploymentStatus): boolean {
  const prev = d.status ?? {};
  const oldReplicas = (s: DeploymentStatus) => (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (prev.updatedReplicas ?? 0) ||
    oldReplicas(next) < oldReplicas(prev) ||
    (next.readyReplicas ?? 0) > (prev.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (prev.availableReplicas ?? 0)
  );
}

function timedOut(d: Deployment, status: DeploymentStatus, nowMs: number): boolean {
  const cond = getCondition(status, 'Progressing');
  if (!cond || cond.reason === REASON_NEW_RS_AVAILABLE) return false;
  if (cond.reason === REASON_TIMED_OUT) return true;
  const from = cond.lastUpdateTime ? Date.parse(cond.lastUpdateTime) : Number.NaN;
  return !Number.isNaN(from) && from + progressDeadlineSeconds(d) * 1000 < nowMs;
}

const rsOrDeployment = (d: Deployment, newRS: ReplicaSet | undefined) => (newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`);

/**
 * The status after a rollout step (Kubernetes' syncRolloutStatus): counts, Available, and
 * Progressing. `createdNewRS` is set when this step created the new ReplicaSet. Returns when to
 * look again for the progress deadline, if the rollout is still under way.
 */
export function rolloutStatus(
  d: Deployment,
  allRSs: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  nowMs: number,
  createdNewRS: boolean,
): { status: DeploymentStatus; recheckInMs?: number } {
  const status = calculateStatus(d, allRSs, newRS, nowMs);
  const now = isoTime(nowMs);
  const current = getCondition(d.status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === REASON_NEW_RS_AVAILABLE;
  if (createdNewRS && newRS) {
    setCondition(status, newCondition('Progressing', 'True', REASON_NEW_RS_CREATED, `Created new replica set "${newRS.metadata.name}"`, now));
  } else if (!complete) {
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition('Progressing', 'True', REASON_NEW_RS_AVAILABLE, `${rsOrDeployment(d, newRS)} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even when the reason stays the same: that is what the deadline is measured from.
      const cond = newCondition('Progressing', 'True', REASON_REPLICASET_UPDATED, `${rsOrDeployment(d, newRS)} is progressing.`, now);
      if (current?.status === 'True' && current.lastTransitionTime) cond.lastTransitionTime = current.lastTransitionTime;
      status.conditions = (status.conditions ?? []).filter((c) => c.type !== 'Progressing');
      status.conditions.push(cond);
    } else if (timedOut(d, status, nowMs)) {
      setCondition(status, newCondition('Progressing', 'False', REASON_TIMED_OUT, `${rsOrDeployment(d, newRS)} has timed out progressing.`, now));
    }
  }
  const cond = getCondition(status, 'Progressing');
  if (!cond || deploymentComplete(d, status) || cond.reason === REASON_TIMED_OUT || cond.reason === REASON_NEW_RS_AVAILABLE) return { status };
  const from = cond.lastUpdateTime ? Date.parse(cond.lastUpdateTime) : nowMs;
  return { status, recheckInMs: Math.max(1000, from + progressDeadlineSeconds(d) * 1000 - nowMs + 1) };
}

/** While paused, Progressing says so (Unknown/DeploymentPaused), and says when it resumes. */
export function pausedConditionChange(d: Deployment, nowMs: number): DeploymentCondition | undefined {
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === REASON_TIMED_OUT) return undefined; // a reported lack of progress stays visible
  const pausedShown = cond?.reason === REASON_PAUSED;
  const now = isoTime(nowMs);
  if (d.spec.paused && !pausedShown) return newCondition('Progressing', 'Unknown', REASON_PAUSED, 'Deployment is paused', now);
  if (!d.spec.paused && pausedShown) return newCondition('Progressing', 'Unknown', REASON_RESUMED, 'Deployment is resumed', now);
  return undefined;
}

export function deploymentStatusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return a !== undefined && canonicalJson(a) === canonicalJson(b);
}
