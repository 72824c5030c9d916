// What a pod costs a node, in the two views kube-scheduler keeps: the real requests (what Fit
// checks and BalancedAllocation weighs) and the "non-zero" requests, where a container that asks
// for nothing counts as 100m cpu / 200Mi memory, so that LeastAllocated still spreads best-effort
// pods instead of piling them all on one node.

import { controllerOf, parseBytes, parseCpuMillis, podRequests, type Pod, type PodSpec } from '@kip/shared';

/** kube-scheduler's DefaultMilliCPURequest. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** kube-scheduler's DefaultMemoryRequest (200 MB in binary units). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface PodResources {
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
  /** millicores, with the default for containers that request none */
  nonZeroCpu: number;
  /** bytes, with the default for containers that request none */
  nonZeroMemory: number;
}

export function podResources(spec: PodSpec): PodResources {
  const { cpu, memory } = podRequests(spec);
  let nonZeroCpu = 0;
  let nonZeroMemory = 0;
  for (const c of spec.containers) {
    const req = c.resources?.requests;
    const lim = c.resources?.limits;
    // A request defaulted from a limit is still a request; only a container that names neither
    // gets the scoring default, as in kube-scheduler's GetNonzeroRequests.
    const cpuQ = req?.cpu ?? lim?.cpu;
    const memQ = req?.memory ?? lim?.memory;
    nonZeroCpu += cpuQ === undefined ? DEFAULT_MILLI_CPU_REQUEST : parseCpuMillis(cpuQ);
    nonZeroMemory += memQ === undefined ? DEFAULT_MEMORY_REQUEST : parseBytes(memQ);
  }
  return { cpu, memory, nonZeroCpu, nonZeroMemory };
}

/** The uid of the pod's controller (ownerReferences with controller=true), the unit of spreading. */
export function controllerUid(pod: Pod): string | undefined {
  return controllerOf(pod)?.uid;
}

/** Whether the default scheduler should place this pod now. */
export function needsScheduling(pod: Pod): boolean {
  if (pod.spec.nodeName) return false;
  if (pod.metadata.deletionTimestamp) return false;
  if ((pod.spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** "namespace/name", as kube-scheduler names a pod in messages. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}
