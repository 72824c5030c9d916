// The DisruptionTarget condition: before the control plane deletes a pod for a reason of its own
// (an eviction, a preemption, a NoExecute taint), it marks the pod so, as Kubernetes does. A Job's
// pod failure policy reads it (`onPodConditions: [{type: DisruptionTarget}]`) to tell a pod that
// was disrupted from one that failed on its own.

import { isoTime, setCondition, type Pod, type PodCondition } from '@kip/shared';

export const DISRUPTION_TARGET = 'DisruptionTarget';

/** The conditions the kubelet (the agent) owns; the others in a pod's status are written by the control plane. */
export const KUBELET_CONDITIONS: ReadonlySet<string> = new Set(['Ready', 'ContainersReady', 'Initialized', 'PodReadyToStartContainers']);

/** Kubernetes' reasons and messages. */
export const DISRUPTED_BY = {
  eviction: { reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' },
  preemption: { reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' },
  taint: { reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' },
} as const;

/**
 * The pod with its DisruptionTarget condition set, to be written before it is deleted; undefined
 * when there is nothing to write (it has finished, or is marked so already).
 */
export function markedDisrupted(pod: Pod, why: { reason: string; message: string }, now: number): Pod | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  if (pod.status?.conditions?.some((c) => c.type === DISRUPTION_TARGET && c.status === 'True')) return undefined;
  const condition: PodCondition = { type: DISRUPTION_TARGET, status: 'True', reason: why.reason, message: why.message };
  return { ...pod, status: { ...pod.status, conditions: setCondition<PodCondition>(pod.status?.conditions, condition, isoTime(now)) } };
}
