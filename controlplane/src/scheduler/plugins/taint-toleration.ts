// TaintToleration: a node's NoSchedule and NoExecute taints keep off every pod that does not
// tolerate them (filter); PreferNoSchedule taints only make a node less attractive (score: fewer
// untolerated PreferNoSchedule taints is better). Matching follows Kubernetes' ToleratesTaint.

import type { Pod, Taint, Toleration } from '@kip/shared';
import {
  ClusterEvents,
  defaultNormalizeScore,
  SKIP,
  stateKey,
  SUCCESS,
  unresolvable,
  type CycleState,
  type FilterPlugin,
  type Scores,
  type ScorePlugin,
  type Status,
  type Verdicts,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export const TAINT_TOLERATION = 'TaintToleration';
/** The reason starts with this and names the first untolerated taint: `{key: value}`. */
export const ERR_REASON_UNTOLERATED_TAINT_PREFIX = 'node(s) had untolerated taint';

/** kube-scheduler's wording, value printed even when empty: `node(s) had untolerated taint {key: }`. */
export function untoleratedTaintReason(taint: Taint): string {
  return `${ERR_REASON_UNTOLERATED_TAINT_PREFIX} {${taint.key}: ${taint.value ?? ''}}`;
}

/** Kubernetes' Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first NoSchedule/NoExecute taint the tolerations do not cover. */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined): Taint | undefined {
  if (!taints) return undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

const PRE_SCORE_KEY = stateKey<Toleration[]>(`PreScore${TAINT_TOLERATION}`);

/**
 * The rejection for each taint, kept while the node object holding the taint lives: a tainted
 * node turns pods away on every attempt, and its status need not be rebuilt each time.
 */
const statusByTaint = new WeakMap<Taint, Status>();

function untoleratedStatus(taint: Taint): Status {
  let s = statusByTaint.get(taint);
  if (!s) {
    s = unresolvable(untoleratedTaintReason(taint));
    statusByTaint.set(taint, s);
  }
  return s;
}

/** Tolerations that can cover a PreferNoSchedule taint: that effect, or no effect (all effects). */
function preferNoScheduleTolerations(pod: Pod): Toleration[] {
  return (pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

/** The number of PreferNoSchedule taints the pod does not tolerate; reversed by normalize. */
function untoleratedPreferNoScheduleCount(pod: Pod, nodeInfo: NodeInfo, state: CycleState): number {
  const taints = nodeInfo.taints;
  if (taints.length === 0) return 0;
  const tolerations = state.read(PRE_SCORE_KEY) ?? preferNoScheduleTolerations(pod);
  let n = 0;
  for (const taint of taints) if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) n++;
  return n;
}

function taintFilter(pod: Pod, nodeInfo: NodeInfo, _state: CycleState): Status {
  if (nodeInfo.taints.length === 0) return SUCCESS;
  const taint = findUntoleratedTaint(nodeInfo.taints, pod.spec.tolerations);
  return taint ? untoleratedStatus(taint) : SUCCESS;
}

export const TaintToleration: FilterPlugin & ScorePlugin = {
  name: TAINT_TOLERATION,
  weight: 3,
  events: [ClusterEvents.NodeAdd, ClusterEvents.NodeTaintChange],

  filter: taintFilter,

  /** With no NoSchedule or NoExecute taint on any node there is nothing to turn away. */
  preFilter(_pod: Pod, state: CycleState): Status {
    return state.snapshot?.census().withHardTaints === 0 ? SKIP : SUCCESS;
  },

  /** filter for a batch, so the engine can inline it (see FilterPlugin.filterNodes). */
  filterNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, verdicts: Verdicts): number {
    let rejected = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (verdicts[i] !== undefined) continue;
      const s = nodes[i]!.taints.length === 0 ? SUCCESS : taintFilter(pod, nodes[i]!, state);
      if (s !== SUCCESS) {
        verdicts[i] = s;
        rejected++;
      }
    }
    return rejected;
  },

  preScore(pod: Pod, _nodes: readonly NodeInfo[], state: CycleState): void {
    state.write(PRE_SCORE_KEY, preferNoScheduleTolerations(pod));
  },

  score: untoleratedPreferNoScheduleCount,

  /** score for every node in one call, so the engine can inline it (see ScorePlugin.scoreNodes). */
  scoreNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, out: Scores): void {
    // No PreferNoSchedule taint anywhere: every node counts 0, and normalize makes that 100 each.
    // (Not Skip, which would add nothing: the totals, and what describe shows, stay kube-scheduler's.)
    if (state.snapshot?.census().withPreferNoScheduleTaints === 0) {
      out.fill(0);
      return;
    }
    for (let i = 0; i < nodes.length; i++) out[i] = untoleratedPreferNoScheduleCount(pod, nodes[i]!, state);
  },

  normalize(scores: Scores): void {
    defaultNormalizeScore(scores, true);
  },
};
