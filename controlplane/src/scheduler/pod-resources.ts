// What a pod costs a node, in the two views kube-scheduler keeps: the real requests (what Fit
// checks and BalancedAllocation weighs) and the "non-zero" requests, where a container that asks
// for nothing counts as 100m cpu / 200Mi memory, so that LeastAllocated still spreads best-effort
// pods instead of piling them all on one node.

import { controllerOf, parseBytes, parseCpuMillis, type Pod, type PodSpec } from '@kip/shared';

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

/**
 * Parsed quantities by their text. A cluster uses a handful of distinct values ("100m", "128Mi"),
 * and every pod is costed several times (its cycle, its assume, its store event), so each string
 * is parsed once rather than run through the quantity regex each time. Bounded, in case a client
 * invents a new value for every pod.
 */
class QuantityMemo {
  private readonly values = new Map<string, number>();
  constructor(private readonly parse: (q: string | number) => number) {}

  get(q: string | number | undefined): number {
    if (typeof q !== 'string') return q === undefined ? 0 : this.parse(q);
    let v = this.values.get(q);
    if (v === undefined) {
      v = this.parse(q);
      if (this.values.size >= MEMO_LIMIT) this.values.clear();
      this.values.set(q, v);
    }
    return v;
  }
}

const MEMO_LIMIT = 1024;
const cpuMillis = new QuantityMemo(parseCpuMillis);
const bytes = new QuantityMemo(parseBytes);

/** The pod's requests in both views, in one pass over its containers (as podRequests and GetNonzeroRequests). */
export function podResources(spec: PodSpec): PodResources {
  let cpu = 0;
  let memory = 0;
  let nonZeroCpu = 0;
  let nonZeroMemory = 0;
  for (const c of spec.containers) {
    const req = c.resources?.requests;
    const lim = c.resources?.limits;
    // A request defaulted from a limit is still a request; only a container that names neither
    // gets the scoring default, as in kube-scheduler's GetNonzeroRequests.
    const cpuQ = req?.cpu ?? lim?.cpu;
    const memQ = req?.memory ?? lim?.memory;
    const c1 = cpuMillis.get(cpuQ);
    const m1 = bytes.get(memQ);
    cpu += c1;
    memory += m1;
    nonZeroCpu += cpuQ === undefined ? DEFAULT_MILLI_CPU_REQUEST : c1;
    nonZeroMemory += memQ === undefined ? DEFAULT_MEMORY_REQUEST : m1;
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
  // A gated pod waits outside the queue, as kube-scheduler's SchedulingGates PreEnqueue plugin keeps it.
  if (pod.spec.schedulingGates?.length) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** "namespace/name", as kube-scheduler names a pod in messages. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}
