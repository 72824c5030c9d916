// Preemption, as kube-scheduler's DefaultPreemption PostFilter: when no node fits a pod, find the
// nodes where deleting pods of lower priority would make room, keep on each only the victims the
// pod really needs gone (those whose eviction would break a PodDisruptionBudget are reprieved
// first, then the most important), and pick the node whose victims matter least: the fewest
// budget violations, the lowest highest priority, then the lowest sum, then the fewest. A pure
// decision over the scheduler cache; the scheduler deletes the victims and nominates the node.

import type { Pod, PodDisruptionBudget } from '@kip/shared';
import { fitErrorMessage } from './diagnosis.js';
import { CycleState, unschedulable, type ClusterSnapshot, type Framework, type Status } from './framework.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import { splitByBudgetViolation } from './preemption-budgets.js';

/** kube-scheduler stops looking once it has this many candidate nodes (minCandidateNodesAbsolute). */
export const MAX_PREEMPTION_CANDIDATES = 100;
export const ERR_REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const ERR_REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';

const NO_VICTIMS = unschedulable(ERR_REASON_NO_VICTIMS);

export interface PreemptionCandidate {
  node: NodeInfo;
  /** The pods to delete, most important first. */
  victims: PodInfo[];
  /** How many of them break a PodDisruptionBudget. */
  budgetViolations: number;
}

export type PreemptionOutcome =
  /** The pod may not preempt now; message says why, in kube-scheduler's words. */
  | { kind: 'ineligible'; message: string }
  /** No node would fit the pod even without its lower-priority pods; message says why, per node. */
  | { kind: 'none'; message: string }
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
  /** False when no bound pod has a lower priority: then no node has victims, and none is simulated. */
  anyLowerPriority?: boolean;
  /**
   * How many nodes the failed search rejected as unresolvable, when it looked at every node: with
   * no victims anywhere, the message follows from it without filtering the nodes again.
   */
  unresolvableNodes?: number;
  /** Every PodDisruptionBudget, so that victims that would break one are spared where possible. */
  budgets?: readonly PodDisruptionBudget[];
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

/** The first rejection of the pod on node with these pods gone; undefined when it fits. */
function rejectionWithout(input: PreemptionInput, node: NodeInfo, uids: readonly string[]): Status | undefined {
  return input.withoutPods(uids, () => {
    const state = new CycleState(input.snapshot);
    const pre = input.framework.runPreFilter(input.pod, state);
    if (pre) return pre.status;
    return input.framework.runFilters(input.pod, node, state)?.status;
  });
}

/**
 * kube-scheduler's SelectVictimsOnNode: the victims, or the status that says why there are none
 * (no lower-priority pod, or the pod does not fit even with all of them gone).
 */
export function selectVictimsOnNode(input: PreemptionInput, node: NodeInfo): { victims: PodInfo[]; budgetViolations: number } | Status {
  const priority = priorityOf(input.pod);
  const potential: PodInfo[] = [];
  for (const p of node.podInfos.values()) if (p.priority < priority && !p.terminating) potential.push(p);
  if (potential.length === 0) return NO_VICTIMS;
  let removed = potential.map((p) => p.uid);
  const without = rejectionWithout(input, node, removed);
  if (without) return without;
  // Reprieve as many as possible: those a budget protects first, then the most important.
  potential.sort((a, b) => b.priority - a.priority);
  const { violating, nonViolating } = splitByBudgetViolation(potential, input.budgets ?? []);
  const victims: PodInfo[] = [];
  let budgetViolations = 0;
  const reprieve = (p: PodInfo): boolean => {
    const rest = removed.filter((uid) => uid !== p.uid);
    if (rejectionWithout(input, node, rest)) return false;
    removed = rest;
    return true;
  };
  for (const p of violating) {
    if (reprieve(p)) continue;
    victims.push(p);
    budgetViolations++;
  }
  for (const p of nonViolating) if (!reprieve(p)) victims.push(p);
  victims.sort((a, b) => b.priority - a.priority);
  return { victims, budgetViolations };
}

/** Orders candidates: the fewest budget violations, the lowest highest victim priority, the lowest sum of priorities, the fewest victims. */
function better(a: PreemptionCandidate, b: PreemptionCandidate): boolean {
  if (a.budgetViolations !== b.budgetViolations) return a.budgetViolations < b.budgetViolations;
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
  const n = input.nodes.length;
  if (input.anyLowerPriority === false && input.unresolvableNodes !== undefined) {
    const counts = new Map<string, number>();
    if (input.unresolvableNodes > 0) counts.set(ERR_REASON_NOT_HELPFUL, input.unresolvableNodes);
    if (n - input.unresolvableNodes > 0) counts.set(ERR_REASON_NO_VICTIMS, n - input.unresolvableNodes);
    return { kind: 'none', message: fitErrorMessage(n, counts) };
  }
  // The verdicts as they stand, to skip the nodes no eviction can help (kube-scheduler's
  // nodesWherePreemptionMightHelp).
  const now = new CycleState(input.snapshot);
  const preRejected = input.framework.runPreFilter(input.pod, now) !== undefined;
  const reasons = new Map<string, number>();
  const count = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
  let best: PreemptionCandidate | undefined;
  let found = 0;
  for (const node of input.nodes) {
    if (!node.node) continue;
    if (!preRejected && input.framework.runFilters(input.pod, node, now)?.status.unresolvable) {
      count(ERR_REASON_NOT_HELPFUL);
      continue;
    }
    if (input.anyLowerPriority === false) {
      count(ERR_REASON_NO_VICTIMS);
      continue;
    }
    const selected = selectVictimsOnNode(input, node);
    if (!('victims' in selected)) {
      for (const r of selected.reasons) count(r);
      continue;
    }
    const c = { node, ...selected };
    if (!best || better(c, best)) best = c;
    if (++found >= MAX_PREEMPTION_CANDIDATES) break;
  }
  if (!best) return { kind: 'none', message: fitErrorMessage(n, reasons) };
  return { kind: 'preempt', candidate: best };
}
