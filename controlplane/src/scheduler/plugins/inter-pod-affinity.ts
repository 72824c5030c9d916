// InterPodAffinity, as kube-scheduler's: a pod's required podAffinity terms need a matching pod
// in the node's topology domain, its required podAntiAffinity terms need none there, and no pod
// already placed may have required anti-affinity that the incoming pod matches in that domain
// (filter). Preferred terms, and existing pods' terms about the incoming pod, add or subtract
// their weights per domain (score). PreFilter and PreScore count matching pods per topology pair
// (key, value) once per cycle, so each node costs a few map lookups.

import type { Pod } from '@kip/shared';
import {
  ClusterEvents,
  MAX_NODE_SCORE,
  SKIP,
  stateKey,
  SUCCESS,
  unresolvable,
  unschedulable,
  type CycleState,
  type FilterPlugin,
  type Scores,
  type ScorePlugin,
  type Status,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { podAffinityTerms, termMatches, type AffinityTerm, type NamespaceLabels, type PodAffinityTerms, type PodInfo } from '../pod-info.js';
import { TopologyCounts } from '../topology-counts.js';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
/** kube-scheduler's hardPodAffinityWeight default: what an existing pod's required affinity for the incoming pod adds. */
export const HARD_POD_AFFINITY_WEIGHT = 1;

const EXISTING_ANTI = unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
const AFFINITY = unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
const ANTI = unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);

interface PreFilterState {
  terms: PodAffinityTerms | undefined;
  /** Pairs where an existing pod's required anti-affinity matches the incoming pod. */
  existingAntiAffinity: TopologyCounts;
  /** Pairs with pods matching all of the incoming pod's required affinity terms (per term's key). */
  affinity: TopologyCounts;
  /** Pairs with pods matching one of the incoming pod's required anti-affinity terms. */
  antiAffinity: TopologyCounts;
  /** No pod anywhere matches the affinity terms, and the pod matches them itself: it may go first. */
  firstOfGroup: boolean;
}

const PRE_FILTER_KEY = stateKey<PreFilterState>(`PreFilter${INTER_POD_AFFINITY}`);
const PRE_SCORE_KEY = stateKey<TopologyCounts>(`PreScore${INTER_POD_AFFINITY}`);

function namespaceOf(pod: Pod): string {
  return pod.metadata.namespace ?? 'default';
}

function matchesPod(term: AffinityTerm, ownerNamespace: string, p: PodInfo, ns: NamespaceLabels): boolean {
  return termMatches(term, ownerNamespace, p.namespace, p.labels, ns);
}

function matchesAll(
  terms: readonly AffinityTerm[],
  ownerNamespace: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  ns: NamespaceLabels,
): boolean {
  for (const t of terms) if (!termMatches(t, ownerNamespace, namespace, labels, ns)) return false;
  return true;
}

function preFilter(pod: Pod, state: CycleState): Status {
  const snapshot = state.snapshot;
  const terms = podAffinityTerms(pod);
  const required = !!terms && (terms.requiredAffinity.length > 0 || terms.requiredAntiAffinity.length > 0);
  const withAnti = snapshot?.nodesWithRequiredAntiAffinityPods();
  if (!required && (!withAnti || withAnti.size === 0)) return SKIP;
  const ns: NamespaceLabels = (n) => snapshot?.namespaceLabels(n);
  const podNs = namespaceOf(pod);
  const labels = pod.metadata.labels ?? {};
  const s: PreFilterState = {
    terms,
    existingAntiAffinity: new TopologyCounts(),
    affinity: new TopologyCounts(),
    antiAffinity: new TopologyCounts(),
    firstOfGroup: false,
  };
  for (const ni of withAnti ?? []) {
    if (!ni.node) continue;
    for (const p of ni.podInfos.values()) {
      const anti = p.affinity?.requiredAntiAffinity;
      if (!anti) continue;
      for (const t of anti) if (termMatches(t, p.namespace, podNs, labels, ns)) s.existingAntiAffinity.add(t.topologyKey, ni.labels, 1);
    }
  }
  if (required && terms) {
    for (const ni of snapshot?.nodeList() ?? []) {
      for (const p of ni.podInfos.values()) {
        if (terms.requiredAffinity.length > 0 && matchesAll(terms.requiredAffinity, podNs, p.namespace, p.labels, ns))
          for (const t of terms.requiredAffinity) s.affinity.add(t.topologyKey, ni.labels, 1);
        for (const t of terms.requiredAntiAffinity) if (matchesPod(t, podNs, p, ns)) s.antiAffinity.add(t.topologyKey, ni.labels, 1);
      }
    }
    s.firstOfGroup = s.affinity.isEmpty() && matchesAll(terms.requiredAffinity, podNs, podNs, labels, ns);
  }
  state.write(PRE_FILTER_KEY, s);
  return SUCCESS;
}

function filter(pod: Pod, nodeInfo: NodeInfo, state: CycleState): Status {
  let s = state.read(PRE_FILTER_KEY);
  if (!s) {
    if (preFilter(pod, state) === SKIP) return SUCCESS;
    s = state.read(PRE_FILTER_KEY)!;
  }
  const labels = nodeInfo.labels;
  // kube-scheduler's order: the pod's affinity, its anti-affinity, then existing pods' anti-affinity.
  const terms = s.terms;
  if (terms && terms.requiredAffinity.length > 0) {
    let podsExist = true;
    for (const t of terms.requiredAffinity) {
      // Every term's topology key must exist on the node, even for the first pod of a group.
      if (labels[t.topologyKey] === undefined) return AFFINITY;
      if (s.affinity.on(t.topologyKey, labels) <= 0) podsExist = false;
    }
    if (!podsExist && !s.firstOfGroup) return AFFINITY;
  }
  if (terms) for (const t of terms.requiredAntiAffinity) if (s.antiAffinity.on(t.topologyKey, labels) > 0) return ANTI;
  if (s.existingAntiAffinity.anyOn(labels)) return EXISTING_ANTI;
  return SUCCESS;
}

/** Adds what one existing pod on node ni says about the incoming pod, and the pod about it, per topology pair. */
function scoreExistingPod(scores: TopologyCounts, terms: PodAffinityTerms | undefined, pod: Pod, ni: NodeInfo, p: PodInfo, ns: NamespaceLabels): void {
  const podNs = namespaceOf(pod);
  const labels = pod.metadata.labels ?? {};
  if (terms) {
    for (const w of terms.preferredAffinity) if (matchesPod(w.term, podNs, p, ns)) scores.add(w.term.topologyKey, ni.labels, w.weight);
    for (const w of terms.preferredAntiAffinity) if (matchesPod(w.term, podNs, p, ns)) scores.add(w.term.topologyKey, ni.labels, -w.weight);
  }
  const theirs = p.affinity;
  if (!theirs) return;
  for (const t of theirs.requiredAffinity) if (termMatches(t, p.namespace, podNs, labels, ns)) scores.add(t.topologyKey, ni.labels, HARD_POD_AFFINITY_WEIGHT);
  for (const w of theirs.preferredAffinity) if (termMatches(w.term, p.namespace, podNs, labels, ns)) scores.add(w.term.topologyKey, ni.labels, w.weight);
  for (const w of theirs.preferredAntiAffinity) if (termMatches(w.term, p.namespace, podNs, labels, ns)) scores.add(w.term.topologyKey, ni.labels, -w.weight);
}

function preScore(pod: Pod, _nodes: readonly NodeInfo[], state: CycleState): Status {
  const snapshot = state.snapshot;
  const terms = podAffinityTerms(pod);
  const preferred = !!terms && (terms.preferredAffinity.length > 0 || terms.preferredAntiAffinity.length > 0);
  // Without preferred terms of its own, only pods with affinity terms can move the score.
  const candidates: Iterable<NodeInfo> = preferred ? (snapshot?.nodeList() ?? []) : (snapshot?.nodesWithAffinityPods() ?? []);
  if (!preferred && (snapshot?.nodesWithAffinityPods().size ?? 0) === 0) return SKIP;
  const ns: NamespaceLabels = (n) => snapshot?.namespaceLabels(n);
  const scores = new TopologyCounts();
  for (const ni of candidates) {
    if (!ni.node) continue;
    for (const p of ni.podInfos.values()) if (preferred || p.affinity) scoreExistingPod(scores, terms, pod, ni, p, ns);
  }
  if (scores.isEmpty()) return SKIP;
  state.write(PRE_SCORE_KEY, scores);
  return SUCCESS;
}

function score(_pod: Pod, nodeInfo: NodeInfo, state: CycleState): number {
  return state.read(PRE_SCORE_KEY)?.sumOn(nodeInfo.labels) ?? 0;
}

export const InterPodAffinity: FilterPlugin & ScorePlugin = {
  name: INTER_POD_AFFINITY,
  weight: 2,
  events: [ClusterEvents.AssignedPodAdd, ClusterEvents.PodDelete, ClusterEvents.NodeAdd, ClusterEvents.NodeLabelChange],
  preFilter,
  filter,
  preScore,
  score,

  scoreNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, out: Scores): void {
    for (let i = 0; i < nodes.length; i++) out[i] = score(pod, nodes[i]!, state);
  },

  /** kube-scheduler's: scaled from the lowest to the highest sum; all equal is 0 everywhere. */
  normalize(scores: Scores): void {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < scores.length; i++) {
      if (scores[i]! < min) min = scores[i]!;
      if (scores[i]! > max) max = scores[i]!;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i]! - min) / diff)) : 0;
  },
};
