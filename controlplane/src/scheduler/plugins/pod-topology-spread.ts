// PodTopologySpread, as kube-scheduler's: a pod's DoNotSchedule topologySpreadConstraints keep
// the count of matching pods in the node's domain within maxSkew of the emptiest domain (filter);
// ScheduleAnyway constraints rank nodes by how few matching pods their domains hold (score).
// A pod with no constraints of its own gets the system defaults (hostname maxSkew 3, zone maxSkew
// 5, ScheduleAnyway) over the pods of its controller: this is what spreads a ReplicaSet's
// replicas, as SelectorSpread did before it. PreFilter counts once per cycle, so a node costs a
// few map lookups; the defaults count through the scheduler's owner index, touching only the
// nodes that already hold a sibling.

import { matches, type Pod, type Selector, type TopologySpreadConstraint } from '@kip/shared';
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
import { HOSTNAME_LABEL, nodeLabel, ZONE_LABEL, type NodeInfo } from '../node-info.js';
import { selectorWithMatchLabelKeys } from '../pod-info.js';
import { controllerUid } from '../pod-resources.js';
import { TopologyCounts } from '../topology-counts.js';
import { requiredAffinityMatches, requiredNodeAffinityOf, type RequiredAffinity } from './node-affinity.js';
import { findUntoleratedTaint } from './taint-toleration.js';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

/** kube-scheduler's system default constraints, for pods that bring none. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly { topologyKey: string; maxSkew: number }[] = Object.freeze([
  { topologyKey: HOSTNAME_LABEL, maxSkew: 3 },
  { topologyKey: ZONE_LABEL, maxSkew: 5 },
]);

const NOT_MATCH = unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
const LABEL_NOT_MATCH = unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);

/** A constraint ready to count: which pods it counts (by selector, or a controller's for the defaults). */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly minDomains: number;
  /** Undefined (with owner undefined): a nil labelSelector, which counts no pod. */
  readonly selector: Selector | undefined;
  /** The system defaults count the pods of this controller. */
  readonly owner: string | undefined;
  readonly honorNodeAffinity: boolean;
  readonly honorTaints: boolean;
  /** 1 when the incoming pod matches its own constraint (it will count once placed). */
  readonly selfMatch: number;
}

function compile(c: TopologySpreadConstraint, pod: Pod): SpreadConstraint {
  const labels = pod.metadata.labels ?? {};
  const selector = selectorWithMatchLabelKeys(c.labelSelector, c.matchLabelKeys, labels);
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    minDomains: c.minDomains ?? 1,
    selector,
    owner: undefined,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorTaints: c.nodeTaintsPolicy === 'Honor',
    selfMatch: selector && matches(selector, labels) ? 1 : 0,
  };
}

/** The constraints a phase uses: the pod's own with that action, or, for scoring a pod with none, the defaults. */
export function spreadConstraints(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): readonly SpreadConstraint[] {
  const own = pod.spec.topologySpreadConstraints;
  if (own && own.length > 0) return own.filter((c) => c.whenUnsatisfiable === action).map((c) => compile(c, pod));
  if (action === 'DoNotSchedule') return [];
  const owner = controllerUid(pod);
  if (owner === undefined) return [];
  // A ReplicaSet's pods come one after another: the last owner's defaults are kept, not remade per cycle.
  if (lastDefaults?.owner === owner) return lastDefaults.constraints;
  const constraints = SYSTEM_DEFAULT_CONSTRAINTS.map((d) => ({
    maxSkew: d.maxSkew,
    topologyKey: d.topologyKey,
    minDomains: 1,
    selector: undefined,
    owner,
    honorNodeAffinity: true,
    honorTaints: false,
    selfMatch: 1,
  }));
  lastDefaults = { owner, constraints };
  return constraints;
}

let lastDefaults: { owner: string; constraints: SpreadConstraint[] } | undefined;

/** Matching pods on one node: not terminating, in the pod's namespace, selected (kube-scheduler's countPodsMatchSelector). */
function countOnNode(c: SpreadConstraint, ni: NodeInfo, namespace: string): number {
  if (c.owner !== undefined) return ni.ownerCounts.get(c.owner) ?? 0;
  if (!c.selector || ni.podCount === 0) return 0;
  let n = 0;
  for (const p of ni.podInfos.values()) if (!p.terminating && p.namespace === namespace && matches(c.selector, p.labels)) n++;
  return n;
}

/** Whether a node's pods count for the constraint (nodeAffinityPolicy, nodeTaintsPolicy); affinity undefined: the pod has none. */
function included(c: SpreadConstraint, ni: NodeInfo, pod: Pod, affinity: RequiredAffinity | undefined): boolean {
  if (affinity && c.honorNodeAffinity && !requiredAffinityMatches(affinity, ni)) return false;
  if (c.honorTaints && findUntoleratedTaint(ni.taints, pod.spec.tolerations)) return false;
  return true;
}

/** The pod's nodeSelector and required node affinity; undefined when it has neither, so every node matches. */
function nodeAffinityOf(pod: Pod): RequiredAffinity | undefined {
  if (!pod.spec.nodeSelector && !pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return undefined;
  const req = requiredNodeAffinityOf(pod);
  return req.selector.length === 0 && req.terms === undefined ? undefined : req;
}

function hasAllKeys(labels: Readonly<Record<string, string>>, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (labels[c.topologyKey] === undefined) return false;
  return true;
}

interface PreFilterState {
  constraints: readonly SpreadConstraint[];
  /** Matching pods per domain, every eligible domain present (0 when empty). */
  counts: TopologyCounts;
  /** Per constraint: the fewest matching pods in any domain, and how many domains there are. */
  minMatch: number[];
  domains: number[];
}

const PRE_FILTER_KEY = stateKey<PreFilterState>(`PreFilter${POD_TOPOLOGY_SPREAD}`);

function preFilter(pod: Pod, state: CycleState): Status {
  const constraints = spreadConstraints(pod, 'DoNotSchedule');
  if (constraints.length === 0) return SKIP;
  const namespace = pod.metadata.namespace ?? 'default';
  const affinity = nodeAffinityOf(pod);
  const counts = new TopologyCounts();
  for (const ni of state.snapshot?.nodeList() ?? []) {
    if (!ni.node || !hasAllKeys(ni.labels, constraints)) continue;
    for (const c of constraints) if (included(c, ni, pod, affinity)) counts.addPair(c.topologyKey, ni.labels[c.topologyKey]!, countOnNode(c, ni, namespace));
  }
  const minMatch: number[] = [];
  const domains: number[] = [];
  for (const c of constraints) {
    const values = counts.valuesOf(c.topologyKey);
    let min = Infinity;
    for (const n of values?.values() ?? []) if (n < min) min = n;
    minMatch.push(min);
    domains.push(values?.size ?? 0);
  }
  state.write(PRE_FILTER_KEY, { constraints, counts, minMatch, domains });
  return SUCCESS;
}

function filter(pod: Pod, nodeInfo: NodeInfo, state: CycleState): Status {
  let s = state.read(PRE_FILTER_KEY);
  if (!s) {
    if (preFilter(pod, state) === SKIP) return SUCCESS;
    s = state.read(PRE_FILTER_KEY)!;
  }
  const labels = nodeInfo.labels;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    if (labels[c.topologyKey] === undefined) return LABEL_NOT_MATCH;
    // With fewer domains than minDomains, the emptiest domain counts as 0 (kube-scheduler's global minimum).
    let min = s.domains[i]! < c.minDomains ? 0 : s.minMatch[i]!;
    if (min === Infinity) min = 0;
    const skew = s.counts.on(c.topologyKey, labels) + c.selfMatch - min;
    if (skew > c.maxSkew) return NOT_MATCH;
  }
  return SUCCESS;
}

interface PreScoreState {
  constraints: readonly SpreadConstraint[];
  /** The constraints some feasible node has the key of, parallel to weights. */
  scoring: SpreadConstraint[];
  /** Matching pods per domain, for the constraints that are not per-hostname. */
  counts: TopologyCounts;
  /** Per constraint: log(domains + 2), so a spread over many domains weighs more per pod. */
  weights: number[];
  /** Nodes lacking a key of the pod's own constraints score 0 (kube-scheduler's IgnoredNodes). */
  requireAllKeys: boolean;
  namespace: string;
  /** The defaults' hostname counts: node -> siblings, from the owner index. */
  siblings: ReadonlyMap<NodeInfo, number> | undefined;
}

const PRE_SCORE_KEY = stateKey<PreScoreState>(`PreScore${POD_TOPOLOGY_SPREAD}`);
const NO_COUNTS = new TopologyCounts();

function preScore(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): Status {
  const constraints = spreadConstraints(pod, 'ScheduleAnyway');
  if (constraints.length === 0) return SKIP;
  const requireAllKeys = (pod.spec.topologySpreadConstraints?.length ?? 0) > 0;
  const namespace = pod.metadata.namespace ?? 'default';
  const affinity = nodeAffinityOf(pod);
  // Made only for a constraint that is not per hostname: the defaults on a cluster without zones need none.
  let counts: TopologyCounts | undefined;
  const weights: number[] = [];
  // The constraints that can score: one whose key no feasible node has adds nothing anywhere (the
  // zone default on a cluster without zones), so it is left out rather than looked up per node.
  const scoring: SpreadConstraint[] = [];
  let considered = nodes.length;
  if (requireAllKeys) {
    considered = 0;
    for (const ni of nodes) if (hasAllKeys(ni.labels, constraints)) considered++;
  }
  for (const c of constraints) {
    if (c.topologyKey === HOSTNAME_LABEL) {
      scoring.push(c);
      weights.push(Math.log(considered + 2));
      continue;
    }
    // A key no node has (the zone default on a cluster without zones) has no domains to find.
    if (state.snapshot?.census().withLabel(c.topologyKey) === 0) continue;
    // The domains the feasible nodes are in: only they are counted, over every node of the cluster.
    let domains: Set<string> | undefined;
    for (const ni of nodes) {
      const v = nodeLabel(ni, c.topologyKey);
      if (v !== undefined && (!requireAllKeys || hasAllKeys(ni.labels, constraints))) (domains ??= new Set()).add(v);
    }
    if (!domains) continue;
    scoring.push(c);
    weights.push(Math.log(domains.size + 2));
    counts ??= new TopologyCounts();
    for (const v of domains) counts.addPair(c.topologyKey, v, 0);
    const owned = c.owner !== undefined ? state.snapshot?.nodesOfOwner(c.owner) : undefined;
    const source: Iterable<NodeInfo> = owned ? owned.keys() : (state.snapshot?.nodeList() ?? nodes);
    for (const ni of source) {
      const v = nodeLabel(ni, c.topologyKey);
      if (v === undefined || !domains.has(v) || !ni.node) continue;
      if (requireAllKeys && !hasAllKeys(ni.labels, constraints)) continue;
      if (!included(c, ni, pod, affinity)) continue;
      counts.addPair(c.topologyKey, v, countOnNode(c, ni, namespace));
    }
  }
  const owner = constraints[0]!.owner;
  const siblings = owner !== undefined ? state.snapshot?.nodesOfOwner(owner) : undefined;
  state.write(PRE_SCORE_KEY, { constraints, scoring, counts: counts ?? NO_COUNTS, weights, requireAllKeys, namespace, siblings });
  return SUCCESS;
}

/** Marks a node the pod's own constraints cannot place it by; normalize turns it into 0. */
const IGNORED = -1;

function score(_pod: Pod, nodeInfo: NodeInfo, state: CycleState): number {
  const s = state.read(PRE_SCORE_KEY);
  if (!s) return 0;
  const labels = nodeInfo.labels;
  if (s.requireAllKeys && !hasAllKeys(labels, s.constraints)) return IGNORED;
  let sum = 0;
  for (let i = 0; i < s.scoring.length; i++) {
    const c = s.scoring[i]!;
    const value = nodeLabel(nodeInfo, c.topologyKey);
    if (value === undefined) continue;
    let cnt: number;
    if (c.topologyKey === HOSTNAME_LABEL) cnt = s.siblings ? (s.siblings.get(nodeInfo) ?? 0) : countOnNode(c, nodeInfo, s.namespace);
    else cnt = s.counts.at(c.topologyKey, value);
    sum += cnt * s.weights[i]! + (c.maxSkew - 1);
  }
  return Math.round(sum);
}

export const PodTopologySpread: FilterPlugin & ScorePlugin = {
  name: POD_TOPOLOGY_SPREAD,
  weight: 2,
  events: [ClusterEvents.AssignedPodAdd, ClusterEvents.PodDelete, ClusterEvents.NodeAdd, ClusterEvents.NodeLabelChange, ClusterEvents.NodeTaintChange],
  preFilter,
  filter,
  preScore,
  score,

  scoreNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, out: Scores): void {
    const s = state.read(PRE_SCORE_KEY);
    const only = s?.scoring.length === 1 ? s.scoring[0]! : undefined;
    if (s?.siblings && only?.topologyKey === HOSTNAME_LABEL && !s.requireAllKeys) {
      // The system defaults on a cluster without zones, every cycle of every ReplicaSet's pods:
      // one lookup in the owner's node map per node.
      const siblings = s.siblings;
      const weight = s.weights[0]!;
      const base = only.maxSkew - 1;
      const n = nodes.length;
      // An owner on at least as many nodes as are scored: a lookup per scored node is the cheaper walk.
      if (siblings.size >= n) {
        for (let i = 0; i < n; i++) {
          const ni = nodes[i]!;
          out[i] = ni.hostname === undefined ? 0 : Math.round((siblings.get(ni) ?? 0) * weight + base);
        }
        return;
      }
      // Fewer siblings than scored nodes (a ReplicaSet's pods on a big cluster): every node scores
      // as having none and is stamped with its position, then each sibling's node, found by that
      // stamp, gets its count. Walking the small map replaced a lookup in it per scored node, the
      // largest single cost of a cycle on 5 000 nodes.
      const none = Math.round(base);
      for (let i = 0; i < n; i++) {
        const ni = nodes[i]!;
        ni.scoreIndex = i;
        out[i] = ni.hostname === undefined ? 0 : none;
      }
      // forEach, not for-of: destructuring each entry made a [node, count] array per sibling, a
      // fifth of all the scheduler benchmark allocated.
      siblings.forEach((count, ni) => {
        const i = ni.scoreIndex;
        if (i >= 0 && i < n && nodes[i] === ni && ni.hostname !== undefined) out[i] = Math.round(count * weight + base);
      });
      return;
    }
    for (let i = 0; i < nodes.length; i++) out[i] = score(pod, nodes[i]!, state);
  },

  /** kube-scheduler's: the fewest matching pods score 100; ignored nodes 0. Integer arithmetic, as Go's. */
  normalize(scores: Scores): void {
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i]!;
      if (v === IGNORED) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i]!;
      if (v === IGNORED) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - v)) / max);
    }
  },
};
