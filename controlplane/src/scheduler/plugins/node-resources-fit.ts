// NodeResourcesFit: the pod's cpu and memory requests must fit in what the node's allocatable
// leaves after the pods already bound there, and one more pod must fit under its pod count
// (filter). Its score is kube-scheduler's LeastAllocated strategy: the emptier a node would be
// after placing the pod, the higher, averaged over cpu and memory with equal weights.

import type { Pod } from '@kip/shared';
import {
  ClusterEvents,
  MAX_NODE_SCORE,
  stateKey,
  SUCCESS,
  unschedulable,
  type CycleState,
  type FilterPlugin,
  type Scores,
  type ScorePlugin,
  type Status,
  type Verdicts,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { podResources, type PodResources } from '../pod-resources.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const ERR_REASON_TOO_MANY_PODS = 'Too many pods';
export const ERR_REASON_INSUFFICIENT_CPU = 'Insufficient cpu';
export const ERR_REASON_INSUFFICIENT_MEMORY = 'Insufficient memory';

const STATE_KEY = stateKey<PodResources>(`PreFilter${NODE_RESOURCES_FIT}`);

/** The pod's requests, computed once per cycle (shared with BalancedAllocation). */
export function podResourcesFromState(pod: Pod, state: CycleState): PodResources {
  let r = state.read(STATE_KEY);
  if (!r) {
    r = podResources(pod.spec);
    state.write(STATE_KEY, r);
  }
  return r;
}

/** Every reason the pod does not fit, in kube-scheduler's order (pods, cpu, memory). */
export function insufficientResources(r: PodResources, nodeInfo: NodeInfo): string[] {
  const out: string[] = [];
  if (nodeInfo.podCount + 1 > nodeInfo.allocatablePods) out.push(ERR_REASON_TOO_MANY_PODS);
  if (r.cpu === 0 && r.memory === 0) return out;
  if (r.cpu > 0 && r.cpu > nodeInfo.allocatableCpu - nodeInfo.requestedCpu) out.push(ERR_REASON_INSUFFICIENT_CPU);
  if (r.memory > 0 && r.memory > nodeInfo.allocatableMemory - nodeInfo.requestedMemory) out.push(ERR_REASON_INSUFFICIENT_MEMORY);
  return out;
}

/**
 * One status per combination of reasons, made on first use: a full cluster rejects every node on
 * every attempt, and the same few statuses serve them all without allocating.
 */
const statusByReasons = new Map<string, Status>();

function insufficientStatus(reasons: string[]): Status {
  const key = reasons.join('\u0000');
  let s = statusByReasons.get(key);
  if (!s) {
    s = unschedulable(...reasons);
    statusByReasons.set(key, s);
  }
  return s;
}

/** The filter's verdict for requests r on a node. */
function fitStatus(r: PodResources, nodeInfo: NodeInfo): Status {
  // The common case, checked without allocating.
  if (
    nodeInfo.podCount + 1 <= nodeInfo.allocatablePods &&
    (r.cpu === 0 || r.cpu <= nodeInfo.allocatableCpu - nodeInfo.requestedCpu) &&
    (r.memory === 0 || r.memory <= nodeInfo.allocatableMemory - nodeInfo.requestedMemory)
  )
    return SUCCESS;
  const reasons = insufficientResources(r, nodeInfo);
  return reasons.length === 0 ? SUCCESS : insufficientStatus(reasons);
}

/** kube-scheduler's leastRequestedScore: the free fraction after placing, times 100, in integers. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated over cpu and memory (weight 1 each), with non-zero requests as kube-scheduler scores. */
function leastAllocatedScore(r: PodResources, nodeInfo: NodeInfo): number {
  let sum = 0;
  let weights = 0;
  if (nodeInfo.allocatableCpu > 0) {
    sum += leastRequestedScore(nodeInfo.nonZeroRequestedCpu + r.nonZeroCpu, nodeInfo.allocatableCpu);
    weights++;
  }
  if (nodeInfo.allocatableMemory > 0) {
    sum += leastRequestedScore(nodeInfo.nonZeroRequestedMemory + r.nonZeroMemory, nodeInfo.allocatableMemory);
    weights++;
  }
  return weights === 0 ? 0 : Math.trunc(sum / weights);
}

export const NodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: NODE_RESOURCES_FIT,
  weight: 1,
  events: [ClusterEvents.NodeAdd, ClusterEvents.NodeAllocatableChange, ClusterEvents.PodDelete],

  preFilter(pod: Pod, state: CycleState): Status {
    podResourcesFromState(pod, state);
    return SUCCESS;
  },

  filter(pod: Pod, nodeInfo: NodeInfo, state: CycleState): Status {
    return fitStatus(podResourcesFromState(pod, state), nodeInfo);
  },

  /** filter for a batch, so the engine can inline it (see FilterPlugin.filterNodes). */
  filterNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, verdicts: Verdicts): number {
    const r = podResourcesFromState(pod, state);
    let rejected = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (verdicts[i] !== undefined) continue;
      const s = fitStatus(r, nodes[i]!);
      if (s !== SUCCESS) {
        verdicts[i] = s;
        rejected++;
      }
    }
    return rejected;
  },

  score(pod: Pod, nodeInfo: NodeInfo, state: CycleState): number {
    return leastAllocatedScore(podResourcesFromState(pod, state), nodeInfo);
  },

  /** score for every node in one call, the pod's requests read once (see ScorePlugin.scoreNodes). */
  scoreNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, out: Scores): void {
    const r = podResourcesFromState(pod, state);
    for (let i = 0; i < nodes.length; i++) out[i] = leastAllocatedScore(r, nodes[i]!);
  },
};
