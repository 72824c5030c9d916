// NodeAffinity: spec.nodeSelector and required node affinity must hold on the node's labels
// (filter); each preferred term that holds adds its weight (score, scaled to 0..100). Terms are
// ORed, expressions inside a term ANDed; matchFields supports metadata.name, as in Kubernetes.

import { nodeSelectorTermMatches, type NodeSelectorTerm, type Pod } from '@kip/shared';
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

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector";

const MISMATCH = unresolvable(ERR_REASON_AFFINITY_MISMATCH);

export interface RequiredAffinity {
  selector: [string, string][];
  /** Undefined when the pod has no required node affinity (any node matches). */
  terms: readonly NodeSelectorTerm[] | undefined;
}

const PRE_FILTER_KEY = stateKey<RequiredAffinity>(`PreFilter${NODE_AFFINITY}`);

/** The pod's nodeSelector and required node affinity, for matching against nodes. */
export function requiredNodeAffinityOf(pod: Pod): RequiredAffinity {
  return {
    selector: Object.entries(pod.spec.nodeSelector ?? {}),
    terms: pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
  };
}

function fieldsOf(nodeInfo: NodeInfo): Record<string, string> {
  return { 'metadata.name': nodeInfo.name };
}

/** Whether the node satisfies the pod's nodeSelector and required node affinity. */
export function requiredAffinityMatches(req: RequiredAffinity, nodeInfo: NodeInfo): boolean {
  const labels = nodeInfo.labels;
  for (const [k, v] of req.selector) if (labels[k] !== v) return false;
  if (req.terms === undefined) return true;
  const fields = fieldsOf(nodeInfo);
  for (const term of req.terms) if (nodeSelectorTermMatches(term, labels, fields)) return true;
  return false;
}

/** The sum of the weights of the preferred terms that hold on the node. */
function preferredAffinityScore(pod: Pod, nodeInfo: NodeInfo, _state: CycleState): number {
  const preferred = pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (!preferred || preferred.length === 0) return 0;
  const labels = nodeInfo.labels;
  const fields = fieldsOf(nodeInfo);
  let sum = 0;
  for (const p of preferred) if (p.weight !== 0 && nodeSelectorTermMatches(p.preference, labels, fields)) sum += p.weight;
  return sum;
}

export const NodeAffinity: FilterPlugin & ScorePlugin = {
  name: NODE_AFFINITY,
  weight: 2,
  events: [ClusterEvents.NodeAdd, ClusterEvents.NodeLabelChange],

  /** As kube-scheduler: a pod with neither nodeSelector nor required affinity skips the filter. */
  preFilter(pod: Pod, state: CycleState): Status {
    const req = requiredNodeAffinityOf(pod);
    if (req.selector.length === 0 && req.terms === undefined) return SKIP;
    state.write(PRE_FILTER_KEY, req);
    return SUCCESS;
  },

  filter(pod: Pod, nodeInfo: NodeInfo, state: CycleState): Status {
    const req = state.read(PRE_FILTER_KEY) ?? requiredNodeAffinityOf(pod);
    return requiredAffinityMatches(req, nodeInfo) ? SUCCESS : MISMATCH;
  },

  /** filter for a batch, so the engine can inline it (see FilterPlugin.filterNodes). */
  filterNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, verdicts: Verdicts): number {
    const req = state.read(PRE_FILTER_KEY) ?? requiredNodeAffinityOf(pod);
    let rejected = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (verdicts[i] !== undefined || requiredAffinityMatches(req, nodes[i]!)) continue;
      verdicts[i] = MISMATCH;
      rejected++;
    }
    return rejected;
  },

  /** As kube-scheduler: without preferred terms every node would score 0, so the plugin sits the cycle out. */
  preScore(pod: Pod): Status {
    const preferred = pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    return preferred && preferred.length > 0 ? SUCCESS : SKIP;
  },

  score: preferredAffinityScore,

  /** score for every node in one call, so the engine can inline it (see ScorePlugin.scoreNodes). */
  scoreNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, out: Scores): void {
    for (let i = 0; i < nodes.length; i++) out[i] = preferredAffinityScore(pod, nodes[i]!, state);
  },

  normalize(scores: Scores): void {
    defaultNormalizeScore(scores, false);
  },
};
