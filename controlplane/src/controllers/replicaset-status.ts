// A ReplicaSet's status, computed from the pods it controls. "Available" is Kubernetes' meaning:
// Ready, and Ready for at least minReadySeconds, so a rollout does not count a pod that might
// still crash right after its first successful probe.

import { isPodReady, podCondition, type Pod, type ReplicaSet, type ReplicaSetStatus } from '@kip/shared';

/** When the pod became Ready, or undefined when it is not Ready. */
export function readySince(pod: Pod): number | undefined {
  if (!isPodReady(pod)) return undefined;
  const t = podCondition(pod, 'Ready')?.lastTransitionTime;
  const ms = t ? Date.parse(t) : Number.NaN;
  // A Ready pod without a transition time has been ready for as long as anyone can tell.
  return Number.isNaN(ms) ? -Infinity : ms;
}

/** Ready for at least minReadySeconds at `now`. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  // Without minReadySeconds, Ready is enough: no transition time to parse.
  if (minReadySeconds <= 0) return isPodReady(pod);
  const since = readySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

export interface ReplicaSetStatusResult {
  status: ReplicaSetStatus;
  /** When a Ready pod will become available: the reconcile looks again then. */
  recheckInMs?: number;
}

function hasAllLabels(pod: Pod, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(labels ?? {})) if (pod.metadata.labels?.[k] !== v) return false;
  return true;
}

/** `pods` are the ReplicaSet's active pods. */
export function calculateReplicaSetStatus(rs: ReplicaSet, pods: readonly Pod[], now: number): ReplicaSetStatusResult {
  const minReady = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let recheckInMs: number | undefined;
  // Every pod event of a burst brings the ReplicaSet back here, over all its pods: the transition
  // time of each Ready pod is parsed only when minReadySeconds needs it (at most once).
  for (const p of pods) {
    if (hasAllLabels(p, rs.spec.template.metadata?.labels)) fullyLabeled++;
    if (!isPodReady(p)) continue;
    ready++;
    if (minReady <= 0) {
      available++;
      continue;
    }
    const since = readySince(p)!;
    const wait = since + minReady * 1000 - now;
    if (wait <= 0) available++;
    else recheckInMs = recheckInMs === undefined ? wait : Math.min(recheckInMs, wait);
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation ?? 1,
  };
  return recheckInMs === undefined ? { status } : { status, recheckInMs };
}

export function replicaSetStatusEqual(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  if (!a) return false;
  return (
    a.replicas === b.replicas &&
    (a.fullyLabeledReplicas ?? 0) === b.fullyLabeledReplicas &&
    (a.readyReplicas ?? 0) === b.readyReplicas &&
    (a.availableReplicas ?? 0) === b.availableReplicas &&
    a.observedGeneration === b.observedGeneration
  );
}
