// Preemption, as kube-scheduler's DefaultPreemption PostFilter: when no node fits a pod, find the
// nodes where deleting pods of lower priority would make room, keep on each only the victims the
// pod really needs gone (the most important are reprieved first), and pick the node whose victims
// matter least: the lowest highest priority, then the lowest sum, then the fewest. A pure
// decision over the scheduler cache; the scheduler deletes the victims and nominates the node.

import type { Pod } from '@kip/shared';
import { CycleState, type ClusterSnapshot, type Framework } from './framework.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';

/** kube-scheduler stops looking once it has this many candidate nodes (minCandidateNodesAbsolute). */
export const MAX_PREEMPTION_CANDIDATES = 100;
export const ERR_REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';

export interface PreemptionCandidate {
  node: NodeInfo;
  /** The pods to delete, most important first. */
  victims: PodInfo[];
}

export type PreemptionOutcome =
  /** The pod may not preempt now; message says why, in kube-scheduler's words. */
  | { kind: 'ineligible'; message: string }
  /**
   * No node would fit the pod even without its lower-priority pods; message is undefined when no
   * bound pod ranks lower, so nothing was looked at (kip then leaves the FailedScheduling text as is).
   */
  | { kind: 'none'; message: string | undefined }
  | { kind: 'preempt'; candidate: PreemptionCandidate };

export interface PreemptionInput {
  pod: Pod;
  nodes: readonly NodeInfo[];
  framework: Framework;
  snapshot: ClusterSnapshot;
  /** Runs fn with these pods taken off their nodes (SchedulerCache.withoutPods). */
  withoutPods<T>(uids: readonly string[], fn: () => T): T;
  /** The pod's node when it is nominated already. */
  getNode(name: string): NodeInfo | undefined;
  /** False when no bound pod has a lower priority: then there is nothing to look for on any node. */
  anyLowerPriority?: boolean;
}

function priorityOf(pod: Pod): number {
  return pod.spec.priority ?? 0;
}

/**
 * kube-scheduler's PodEligibleToPreemptOthers: not with preemptionPolicy Never, and not again while
 * lower-priority pods on the node it was nominated to are still terminating (its room is coming).
 */
export function preemptionIneligibility(pod: Pod, getNode: (name: string) => NodeInfo | undefined): string | undefined {
  if (pod.spec.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const nominated = pod.status?.nominatedNodeName;
  if (nominated) {
    const ni = getNode(nominated);
    if (ni)
      for (const p of ni.podInfos.values())
        if (p.terminating && p.priority < priorityOf(pod)) return 'not eligible due to a terminating pod on the nominated node.';
  }
  return undefined;
}

/** Whether the pod passes every filter on node with these pods gone. */
function fitsWithout(input: PreemptionInput, node: NodeInfo, uids: readonly string[]): boolean {
  return input.withoutPods(uids, () => {
    const state = new CycleState(input.snapshot);
    if (input.framework.runPreFilter(input.pod, state)) return false;
    return input.framework.runFilters(input.pod, node, state) === undefined;
  });
}

/** kube-scheduler's SelectVictimsOnNode; undefined when removing every lower-priority pod is not enough. */
export function selectVictimsOnNode(input: PreemptionInput, node: NodeInfo): PodInfo[] | undefined {
  const priority = priorityOf(input.pod);
  const potential: PodInfo[] = [];
  for (const p of node.podInfos.values()) if (p.priority < priority && !p.terminating) potential.push(p);
  if (potential.length === 0) return undefined;
  let removed = potential.map((p) => p.uid);
  if (!fitsWithout(input, node, removed)) return undefined;
  // Reprieve as many as possible, the most important first.
  potential.sort((a, b) => b.priority - a.priority);
  const victims: PodInfo[] = [];
  for (const p of potential) {
    const without = removed.filter((uid) => uid !== p.uid);
    if (fitsWithout(input, node, without)) removed = without;
    else victims.push(p);
  }
  return victims;
}

/** Orders candidates: the lowest highest victim priority, then the lowest sum of priorities, then the fewest victims. */
function better(a: PreemptionCandidate, b: PreemptionCandidate): boolean {
  const top = (c: PreemptionCandidate) => c.victims[0]?.priority ?? -Infinity;
  if (top(a) !== top(b)) return top(a) < top(b);
  // kube-scheduler offsets each priority by MaxInt32+1 so that more victims always sum higher.
  const sum = (c: PreemptionCandidate) => c.victims.reduce((s, v) => s + v.priority + 2 ** 31, 0);
  if (sum(a) !== sum(b)) return sum(a) < sum(b);
  return a.victims.length < b.victims.length;
}

export function findPreemption(input: PreemptionInput): PreemptionOutcome {
  const why = preemptionIneligibility(input.pod, input.getNode);
  if (why) return { kind: 'ineligible', message: why };
  let best: PreemptionCandidate | undefined;
  let found = 0;
  if (input.anyLowerPriority === false) return { kind: 'none', message: undefined };
  for (const node of input.nodes) {
    if (!node.node) continue;
    const victims = selectVictimsOnNode(input, node);
    if (!victims) continue;
    const c = { node, victims };
    if (!best || better(c, best)) best = c;
    if (++found >= MAX_PREEMPTION_CANDIDATES) break;
  }
  if (!best) return { kind: 'none', message: `0/${input.nodes.length} nodes are available: ${input.nodes.length} ${ERR_REASON_NO_VICTIMS}.` };
  return { kind: 'preempt', candidate: best };
}
