// Why a pod went where it went, or nowhere, after Nomad's placement metrics: per attempt, which
// nodes each plugin turned away and why, how the best nodes scored, and the seed that broke ties,
// so the scheduler's --verbose log can show the decision and a test can replay it. Also the
// FailedScheduling message, built exactly as kube-scheduler's FitError builds it.

import { byteOrder } from '@kip/shared';
import type { PluginStatus, Status } from './framework.js';

/** kube-scheduler's ErrNoNodesAvailable, the whole message when the cluster has no nodes. */
export const NO_NODES_AVAILABLE_MESSAGE = 'no nodes available to schedule pods';

/** kube-scheduler truncates event notes to the API's NoteLengthLimit. */
export const NOTE_LENGTH_LIMIT = 1024;

export interface FilteredNode {
  node: string;
  plugin: string;
  reasons: readonly string[];
}

export interface ScoredNode {
  node: string;
  /** Weighted sum over score plugins. */
  total: number;
  /** Plugin name -> normalized score (0..100) before weighting. */
  scores: Record<string, number>;
}

export interface Diagnosis {
  /** "namespace/name" */
  pod: string;
  uid: string;
  /** 1 for the first attempt. */
  attempt: number;
  time: string;
  result: 'Scheduled' | 'Unschedulable' | 'Error';
  /** The node chosen (Scheduled only). */
  node?: string;
  /** The event message: "Successfully assigned ..." or the FailedScheduling text. */
  message: string;
  /** Seed of this decision's tie-break PRNG: selectHost(totals, seededRandom(seed)) replays it. */
  seed: number;
  numAllNodes: number;
  /** The search stops after this many feasible nodes (percentageOfNodesToScore). */
  numNodesToFind: number;
  /** Index in the node list where this search started (it rotates between cycles). */
  startIndex: number;
  evaluatedNodes: number;
  feasibleNodes: number;
  /** A preFilter rejection, which rules out every node at once. */
  preFilter?: { plugin: string; reasons: readonly string[] };
  /** reason -> number of nodes, over every node filtered out. */
  reasonCounts: Record<string, number>;
  /** Plugins that rejected at least one node: the events they registered can retry the pod. */
  unschedulablePlugins: string[];
  /** How many nodes were rejected in a way no eviction can change (preemption's "not helpful"). */
  unresolvableNodes?: number;
  /** Nodes filtered out, up to the scheduler's diagnosis limit. */
  filtered: FilteredNode[];
  /** Scored nodes, best first, up to the scheduler's diagnosis limit. */
  scored: ScoredNode[];
}

/**
 * Tallies filter rejections as the search meets them: every reason counted (for the message), every
 * rejecting plugin named (for the queue's events), and the first `limit` nodes kept (for describe),
 * without holding on to one record per rejected node.
 */
export class RejectionTally {
  readonly counts = new Map<string, number>();
  readonly plugins = new Set<string>();
  readonly filtered: FilteredNode[] = [];
  /** Nodes whose rejection was unresolvable (see Status.unresolvable). */
  unresolvable = 0;

  constructor(private readonly limit: number) {}

  add(node: string, ps: PluginStatus): void {
    const reasons = ps.status.reasons;
    for (let i = 0; i < reasons.length; i++) this.counts.set(reasons[i]!, (this.counts.get(reasons[i]!) ?? 0) + 1);
    this.plugins.add(ps.plugin);
    if (ps.status.unresolvable) this.unresolvable++;
    if (this.filtered.length < this.limit) this.filtered.push({ node, plugin: ps.plugin, reasons });
  }
}

/** Counts each reason over the nodes that gave it. */
export function countReasons(statuses: Iterable<Status>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/**
 * kube-scheduler's FitError.Error(): "0/N nodes are available: <prefilter msg>." or
 * "0/5 nodes are available: 2 node(s) were unschedulable, 3 Insufficient cpu." with the
 * "<count> <reason>" strings sorted as strings (Go's sort.Strings), not by count or reason.
 */
export function fitErrorMessage(numAllNodes: number, reasonCounts: ReadonlyMap<string, number>, preFilterMessage?: string): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMessage) return `${msg} ${preFilterMessage}.`;
  const parts: string[] = [];
  for (const [reason, n] of reasonCounts) parts.push(`${n} ${reason}`);
  parts.sort(byteOrder);
  if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  return msg;
}

export function truncateMessage(message: string, max = NOTE_LENGTH_LIMIT): string {
  if (message.length <= max) return message;
  const suffix = ' ...';
  return message.slice(0, max - suffix.length) + suffix;
}

// --- seeded tie-breaking --------------------------------------------------------------------

/**
 * The seed of one decision, from the scheduler's seed, the pod and the attempt: each decision can
 * be replayed on its own, whatever was decided before it.
 */
export function decisionSeed(schedulerSeed: number, podUid: string, attempt: number): number {
  // FNV-1a over the uid, mixed with the seed and attempt.
  let h = 0x811c9dc5 ^ (schedulerSeed >>> 0);
  for (let i = 0; i < podUid.length; i++) h = Math.imul(h ^ podUid.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ attempt, 0x01000193);
  return h >>> 0;
}

/**
 * The index of the highest total; among equal totals each is chosen with equal chance, as
 * kube-scheduler's selectHost chooses by reservoir sampling.
 */
export function selectHost(totals: ArrayLike<number>, random: () => number): number {
  // Two passes and one draw, rather than a draw per tie: on an empty cluster every sampled node
  // ties, and a draw for each of hundreds of nodes was a tenth of a decision's cost.
  let bestScore = -Infinity;
  let ties = 0;
  for (let i = 0; i < totals.length; i++) {
    const s = totals[i]!;
    if (s > bestScore) {
      bestScore = s;
      ties = 1;
    } else if (s === bestScore) ties++;
  }
  if (ties === 0) return -1;
  let pick = ties === 1 ? 0 : Math.floor(random() * ties);
  for (let i = 0; i < totals.length; i++) if (totals[i] === bestScore && pick-- === 0) return i;
  return -1;
}
