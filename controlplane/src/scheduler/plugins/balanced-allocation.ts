// NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would be used in similar
// fractions after placing the pod, so neither runs out while the other sits idle. Score is
// (1 - standard deviation of the fractions) * 100, kube-scheduler's formula; with two resources
// the deviation is half their difference. Best-effort pods are not scored (kube-scheduler skips
// them too, or they would all pile onto one node).

import type { Pod } from '@kip/shared';
import { MAX_NODE_SCORE, type CycleState, type Scores, type ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { podResourcesFromState } from './node-resources-fit.js';
import type { PodResources } from '../pod-resources.js';

export const BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

/** kube-scheduler's balancedResourceScorer over (requested, allocatable) pairs. */
export function balancedResourceScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(1, requested[i]! / allocatable[i]!);
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  } else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** balancedResourceScore for cpu and memory, without allocating: it runs for every scored node. */
export function balancedCpuMemoryScore(cpu: number, allocatableCpu: number, memory: number, allocatableMemory: number): number {
  if (allocatableCpu === 0 || allocatableMemory === 0) {
    // One resource or none: a single fraction has no deviation.
    return MAX_NODE_SCORE;
  }
  const fc = Math.min(1, cpu / allocatableCpu);
  const fm = Math.min(1, memory / allocatableMemory);
  return Math.trunc((1 - Math.abs((fc - fm) / 2)) * MAX_NODE_SCORE);
}

function balancedAllocationScore(r: PodResources, nodeInfo: NodeInfo): number {
  if (r.cpu === 0 && r.memory === 0) return 0;
  return balancedCpuMemoryScore(nodeInfo.requestedCpu + r.cpu, nodeInfo.allocatableCpu, nodeInfo.requestedMemory + r.memory, nodeInfo.allocatableMemory);
}

export const BalancedAllocation: ScorePlugin = {
  name: BALANCED_ALLOCATION,
  weight: 1,
  events: [],

  score(pod: Pod, nodeInfo: NodeInfo, state: CycleState): number {
    return balancedAllocationScore(podResourcesFromState(pod, state), nodeInfo);
  },

  /** score for every node in one call, the pod's requests read once (see ScorePlugin.scoreNodes). */
  scoreNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, out: Scores): void {
    const r = podResourcesFromState(pod, state);
    for (let i = 0; i < nodes.length; i++) out[i] = balancedAllocationScore(r, nodes[i]!);
  },
};
