// What a StatefulSet controller does next: a pure function of the set, its pods and its
// revisions, in the order Kubernetes' StatefulSet control (stateful_set_control.go) decides it.
//
// - Every ordinal in [start, start+replicas) has a slot; a missing pod is created (at the update
//   revision, or at the current one below the rollout partition), a finished one is deleted so it
//   is made again with the same name.
// - OrderedReady ("monotonic"): pod N is created only once pods start..N-1 are Running and
//   Available (Ready for minReadySeconds), and nothing else happens while any pod is on its way in
//   or out; scale down removes the highest ordinal first, one at a time. Parallel: all creations
//   and deletions at once.
// - Rolling update: only when every slot holds a Running and Available pod, the pod with the highest
//   ordinal at or above the partition that is not at the update revision is deleted (and then
//   made again, at the update revision, by the creation step).

import { isPodReady, LABEL_CONTROLLER_REVISION_HASH, type Pod, type StatefulSet } from '@kip/shared';
import { isPodAvailable } from './replicaset-status.js';

export type SetAction =
  | { type: 'create'; ordinal: number; revision: 'current' | 'update' }
  | { type: 'delete'; pod: Pod; why: 'failed' | 'scale-down' | 'update' };

export interface SetPlan {
  actions: SetAction[];
  /** Why nothing more happens now (OrderedReady waiting on a pod), for logs and tests. */
  waitingFor?: string;
}

/** `web-3` of set `web` has ordinal 3; a pod whose name does not have the set's form has none. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function podName(setName: string, ordinal: number): string {
  return `${setName}-${ordinal}`;
}

/** The claim a set's pod uses for one of the set's claim templates: `<template>-<set>-<ordinal>`. */
export function claimName(templateName: string, setName: string, ordinal: number): string {
  return `${templateName}-${setName}-${ordinal}`;
}

export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/** Running, and Ready for at least minReadySeconds at `now`. */
export function isRunningAndAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

const isTerminating = (pod: Pod) => !!pod.metadata.deletionTimestamp;
const isFinished = (pod: Pod) => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';

/** Whether a pod of this ordinal is made from the current revision rather than the update revision. */
function revisionFor(set: StatefulSet, ordinal: number): 'current' | 'update' {
  const strategy = set.spec.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return 'update';
  const start = set.spec.ordinals?.start ?? 0;
  return ordinal - start < (strategy?.rollingUpdate?.partition ?? 0) ? 'current' : 'update';
}

export interface PlanInput {
  set: StatefulSet;
  /** The pods the set controls, terminating and finished ones included. */
  pods: readonly Pod[];
  updateRevision: string;
  /** The clock, for minReadySeconds. */
  now: number;
}

export function planStatefulSet({ set, pods, updateRevision, now }: PlanInput): SetPlan {
  const minReady = set.spec.minReadySeconds ?? 0;
  const healthy = (p: Pod) => isRunningAndAvailable(p, minReady, now) && !isTerminating(p);
  const name = set.metadata.name;
  const start = set.spec.ordinals?.start ?? 0;
  const replicas = set.spec.replicas ?? 1;
  const monotonic = (set.spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
  const slots: (Pod | undefined)[] = new Array(replicas).fill(undefined);
  const condemned: Pod[] = [];
  for (const pod of pods) {
    const ord = ordinalOf(name, pod.metadata.name);
    if (ord === undefined) continue;
    if (ord >= start && ord < start + replicas) slots[ord - start] = pod;
    else condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(name, b.metadata.name)! - ordinalOf(name, a.metadata.name)!);
  const actions: SetAction[] = [];

  // The first unhealthy pod, from the lowest slot up then the condemned from the highest down:
  // under OrderedReady, only it may change.
  const unhealthy = [...slots, ...condemned].find((p) => !p || !healthy(p));

  for (let i = 0; i < replicas; i++) {
    const ordinal = start + i;
    const pod = slots[i];
    if (pod && isFinished(pod) && !isTerminating(pod)) {
      // A finished pod is deleted so that it is made again with the same identity.
      actions.push({ type: 'delete', pod, why: 'failed' });
      if (monotonic) return { actions, waitingFor: `${pod.metadata.name} to be replaced` };
      continue;
    }
    if (!pod) {
      actions.push({ type: 'create', ordinal, revision: revisionFor(set, ordinal) });
      if (monotonic) return { actions, waitingFor: `${podName(name, ordinal)} to be Running and Available` };
      continue;
    }
    if (isTerminating(pod)) {
      if (monotonic) return { actions, waitingFor: `${pod.metadata.name} to terminate` };
      continue;
    }
    if (!healthy(pod) && monotonic) return { actions, waitingFor: `${pod.metadata.name} to be Running and Available` };
  }

  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return { actions, waitingFor: `${pod.metadata.name} to terminate` };
      continue;
    }
    // An unhealthy pod is removed only when it is the first unhealthy one: the others wait for it.
    if (monotonic && !healthy(pod) && unhealthy !== pod) return { actions, waitingFor: `${unhealthy?.metadata.name} to be Running and Available` };
    actions.push({ type: 'delete', pod, why: 'scale-down' });
    if (monotonic) return { actions, waitingFor: `${pod.metadata.name} to terminate` };
  }
  if (actions.length > 0) return { actions };

  if ((set.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return { actions };
  // Rolling update, from the highest ordinal down to the partition, one pod at a time.
  const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let i = replicas - 1; i >= partition; i--) {
    const pod = slots[i]!;
    if (pod.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH] !== updateRevision && !isTerminating(pod)) {
      return { actions: [{ type: 'delete', pod, why: 'update' }], waitingFor: `${pod.metadata.name} to be updated` };
    }
    if (!healthy(pod)) return { actions, waitingFor: `${pod.metadata.name} to be Running and Available` };
  }
  return { actions };
}
