// One scheduling decision, as a pure function of the pod, the node snapshot and the plugins: run
// the preFilters, filter nodes from a rotating start until enough feasible ones are found
// (kube-scheduler's percentageOfNodesToScore), score those, and pick the best with a seeded
// tie-break. It writes nothing; the scheduler binds or reports what it returns, and the Diagnosis
// it builds says why.

import { seededRandom, type Pod } from '@kip/shared';
import { fitErrorMessage, NO_NODES_AVAILABLE_MESSAGE, RejectionTally, selectHost, type Diagnosis } from './diagnosis.js';
import { CycleState, type ClusterSnapshot, type Framework, type ScoreResult } from './framework.js';
import type { NodeInfo } from './node-info.js';
import { podKey } from './pod-resources.js';
import { summarizeScores, type ScoreSummary } from './score-summary.js';

/** kube-scheduler: below this many nodes every node is checked. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** kube-scheduler: the adaptive percentage never drops below this. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * How many feasible nodes end the search (kube-scheduler's numFeasibleNodesToFind). With
 * percentage 0 (the default) it adapts: 50% minus 1% per 125 nodes, at least 5%, and never
 * fewer than 100 nodes.
 */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = Math.trunc(percentageOfNodesToScore);
  if (percentage === 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

export interface PlacementInput {
  pod: Pod;
  uid: string;
  attempt: number;
  /** ISO time of the decision, for the Diagnosis. */
  time: string;
  /** Every node, in search order. */
  nodes: readonly NodeInfo[];
  framework: Framework;
  /** The cluster beyond the nodes, for plugins that look wider (the scheduler cache). */
  snapshot?: ClusterSnapshot;
  /** This decision's tie-break seed (decisionSeed). */
  seed: number;
  /** Where the search starts; the caller rotates it between decisions. */
  startIndex: number;
  percentageOfNodesToScore: number;
  /** How many filtered and scored nodes the Diagnosis lists. */
  diagnosisNodeLimit: number;
  /** How many of the best nodes a fit's score summary keeps (default diagnosisNodeLimit); 0 for none, when nothing will read it. */
  scoreSummaryLimit?: number;
}

/**
 * The decision. A fit's diag.scored is left empty: `scores` carries the same list compactly, for
 * expandScored when someone reads the diagnosis (see score-summary.ts).
 */
export type Placement =
  | { kind: 'fit'; node: NodeInfo; diag: Diagnosis; scores?: ScoreSummary; nextStartIndex: number }
  | { kind: 'unschedulable'; diag: Diagnosis; plugins: ReadonlySet<string>; nextStartIndex: number }
  | { kind: 'error'; diag: Diagnosis; nextStartIndex: number };

export function findPlacement(input: PlacementInput): Placement {
  const { pod, nodes, framework, seed } = input;
  const n = nodes.length;
  const diag: Diagnosis = {
    pod: podKey(pod),
    uid: input.uid,
    attempt: input.attempt,
    time: input.time,
    result: 'Unschedulable',
    message: '',
    seed,
    numAllNodes: n,
    numNodesToFind: 0,
    startIndex: 0,
    evaluatedNodes: 0,
    feasibleNodes: 0,
    reasonCounts: {},
    unschedulablePlugins: [],
    filtered: [],
    scored: [],
  };
  const error = (message: string, nextStartIndex: number): Placement => {
    diag.result = 'Error';
    diag.message = message;
    return { kind: 'error', diag, nextStartIndex };
  };
  if (n === 0) {
    diag.message = NO_NODES_AVAILABLE_MESSAGE;
    return { kind: 'unschedulable', diag, plugins: new Set(), nextStartIndex: 0 };
  }
  const start = input.startIndex % n;
  const state = new CycleState(input.snapshot);
  const pre = framework.runPreFilter(pod, state);
  if (pre) {
    if (pre.status.code === 'Error') return error(pre.status.reasons.join(', '), start);
    diag.preFilter = { plugin: pre.plugin, reasons: pre.status.reasons };
    for (const r of pre.status.reasons) diag.reasonCounts[r] = n;
    diag.unschedulablePlugins = [pre.plugin];
    diag.unresolvableNodes = pre.status.unresolvable ? n : 0;
    diag.message = fitErrorMessage(n, new Map(), pre.status.reasons.join(', '));
    return { kind: 'unschedulable', diag, plugins: new Set([pre.plugin]), nextStartIndex: start };
  }

  const toFind = numFeasibleNodesToFind(input.percentageOfNodesToScore, n);
  let feasible = framework.feasibleNodes();
  let found = 0;
  // Made on the first rejection: a cluster with room rejects nothing and tallies nothing.
  let rejected: RejectionTally | undefined;
  // Nodes go to the filters in batches of as many as are still to be found: if all of a batch
  // fit, the search ends on its last node, exactly where a node-by-node search would have, and
  // the nodes after it are not looked at.
  const batch = framework.filterBatch();
  let i = 0;
  while (i < n && found < toFind) {
    const size = Math.min(toFind - found, n - i);
    for (let j = 0; j < size; j++) {
      let at = start + i + j;
      if (at >= n) at -= n;
      batch[j] = nodes[at]!;
    }
    batch.length = size;
    if (framework.filterNodes(pod, batch, state) === 0) {
      if (found === 0) {
        // Nothing found before and nothing rejected now, as on a cluster with room: the search
        // ends with this batch (it held all that was still to be found, or the last nodes), so
        // the batch is the feasible list as it stands, not copied into it.
        feasible = batch;
        found = size;
        i += size;
        continue;
      }
      for (let j = 0; j < size; j++) feasible[found++] = batch[j]!;
      i += size;
      continue;
    }
    for (let j = 0; j < size; j++) {
      const ps = framework.rejectionAt(j);
      if (ps === undefined) {
        feasible[found++] = batch[j]!;
        continue;
      }
      if (ps.status.code === 'Error') return error(ps.status.reasons.join(', '), (start + i + j + 1) % n);
      (rejected ??= new RejectionTally(input.diagnosisNodeLimit)).add(batch[j]!.name, ps);
    }
    i += size;
  }
  feasible.length = found;
  // The next search starts where this one stopped, so every node gets the same chance to be looked at.
  const nextStartIndex = (start + i) % n;
  diag.numNodesToFind = toFind;
  diag.startIndex = start;
  diag.evaluatedNodes = i;
  diag.feasibleNodes = feasible.length;
  if (rejected) {
    diag.reasonCounts = Object.fromEntries(rejected.counts);
    diag.unschedulablePlugins = [...rejected.plugins];
    diag.unresolvableNodes = rejected.unresolvable;
    diag.filtered = rejected.filtered;
  }

  if (feasible.length === 0) {
    diag.message = fitErrorMessage(n, rejected?.counts ?? new Map());
    return { kind: 'unschedulable', diag, plugins: new Set(diag.unschedulablePlugins), nextStartIndex };
  }
  // As kube-scheduler: a single candidate needs no ranking.
  if (feasible.length === 1) return { kind: 'fit', node: feasible[0]!, diag, nextStartIndex };

  let result: ScoreResult;
  try {
    result = framework.runScore(pod, feasible, state);
  } catch (err) {
    return error(err instanceof Error ? err.message : String(err), nextStartIndex);
  }
  const chosen = selectHost(result.totals, seededRandom(seed));
  return {
    kind: 'fit',
    node: feasible[chosen]!,
    diag,
    scores: summarizeScores(feasible, result, chosen, input.scoreSummaryLimit ?? input.diagnosisNodeLimit),
    nextStartIndex,
  };
}
