// The scheduling framework, in the shape of kube-scheduler's: Filter plugins say whether a pod can
// go on a node, Score plugins rank the nodes that passed, and each plugin names the cluster changes
// that may turn its rejection into a fit, so the queue retries a parked pod only when it could help.
// Plugins are pure functions of (pod, node snapshot, per-cycle state); the framework runs them in
// order and keeps the bookkeeping (which plugin rejected, weighted totals) out of the plugins.
// The loops here run for hundreds of nodes per pod, so they allocate nothing per node: plugins
// that have nothing to do for a pod say Skip once and are left out, and scores go into buffers
// the framework keeps from one cycle to the next.

import type { Pod } from '@kip/shared';
import { CycleState, type ClusterSnapshot } from './cycle-state.js';
import { NodeListSnapshot } from './node-list-snapshot.js';
import type { NodeInfo } from './node-info.js';

export { CycleState, stateKey, type ClusterSnapshot, type StateKey } from './cycle-state.js';

/** Every score plugin's normalized output lies in 0..MAX_NODE_SCORE, as in kube-scheduler. */
export const MAX_NODE_SCORE = 100;

export type StatusCode = 'Success' | 'Unschedulable' | 'Skip' | 'Error';

/**
 * A plugin's verdict. `Unschedulable` is an expected rejection and carries reasons in
 * kube-scheduler's words (they are counted across nodes in the FailedScheduling message);
 * `Skip`, from preFilter or preScore only, says the plugin has nothing to do for this pod, so the
 * framework leaves its filter or score out of this cycle (kube-scheduler's Skip status);
 * `Error` means a bug or broken input, and aborts the cycle.
 */
export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
  /**
   * On an Unschedulable status: no deletion of pods on the node can change the verdict (the node's
   * labels, taints or state decide), so preemption does not look there (UnschedulableAndUnresolvable).
   */
  readonly unresolvable?: boolean;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });

export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: Object.freeze([]) as readonly string[] });

export function unschedulable(...reasons: string[]): Status {
  return Object.freeze({ code: 'Unschedulable', reasons: Object.freeze(reasons) });
}

/** kube-scheduler's UnschedulableAndUnresolvable: a rejection that evicting pods cannot lift. */
export function unresolvable(...reasons: string[]): Status {
  return Object.freeze({ code: 'Unschedulable', reasons: Object.freeze(reasons), unresolvable: true });
}

export function errorStatus(message: string): Status {
  return Object.freeze({ code: 'Error', reasons: Object.freeze([message]) });
}

/**
 * Cluster changes a rejected pod may be waiting for (kube-scheduler's "events to register").
 * Node updates are split by the part that changed, so a heartbeat retries nothing and a removed
 * taint retries only pods that TaintToleration turned away.
 */
export const ClusterEvents = {
  NodeAdd: 'NodeAdd',
  NodeLabelChange: 'NodeUpdate:labels',
  NodeTaintChange: 'NodeUpdate:taints',
  NodeUnschedulableChange: 'NodeUpdate:spec.unschedulable',
  NodeAllocatableChange: 'NodeUpdate:allocatable',
  NodeReadyChange: 'NodeUpdate:Ready',
  /** An assigned pod went away or finished, freeing its requests. */
  PodDelete: 'PodDelete',
  /** A pod was bound to a node (or a bound pod's labels changed): affinity or spreading may now hold. */
  AssignedPodAdd: 'AssignedPodAdd',
  /** A PersistentVolumeClaim was added or changed (bound, most often). */
  PvcChange: 'PersistentVolumeClaimChange',
} as const;
export type ClusterEvent = (typeof ClusterEvents)[keyof typeof ClusterEvents];

export interface Plugin {
  readonly name: string;
  /** Cluster changes that may make a pod this plugin rejected fit; empty for score-only plugins. */
  readonly events: readonly ClusterEvent[];
}

export interface FilterPlugin extends Plugin {
  /**
   * Runs once per cycle before any node: Unschedulable rejects every node; Skip says the filter has
   * nothing to check for this pod, so it is not called for any node this cycle.
   */
  preFilter?(pod: Pod, state: CycleState): Status;
  filter(pod: Pod, nodeInfo: NodeInfo, state: CycleState): Status;
  /**
   * Optional: filter over a batch of nodes in one call, for the reason scoreNodes exists (one call
   * per plugin per batch, with filter inlined in the plugin's own loop). For every i whose
   * verdicts[i] is undefined (nodes[i] passed the filters before this one), it sets verdicts[i] to
   * filter(pod, nodes[i], state) when that is not Success, and leaves the others alone; it returns
   * how many it set. It must agree with filter.
   */
  filterNodes?(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, verdicts: Verdicts): number;
}

/** Per node of a filter batch: the first rejection, undefined while the node passes. */
export type Verdicts = (Status | undefined)[];

/** One score per node, parallel to the nodes scored; reused from cycle to cycle, so never kept. */
export type Scores = Float64Array;

/** What defaultNormalizeScore accepts: a Scores buffer, or a plain array in tests and tools. */
export interface MutableScores {
  readonly length: number;
  [i: number]: number;
}

export interface ScorePlugin extends Plugin {
  readonly weight: number;
  /** Runs once per cycle over the feasible nodes, before any score; Skip leaves the plugin out of this cycle. */
  preScore?(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): Status | void;
  /** A raw score; without normalize it must already lie in 0..MAX_NODE_SCORE. */
  score(pod: Pod, nodeInfo: NodeInfo, state: CycleState): number;
  /**
   * Optional: out[i] = score(pod, nodes[i], state) for every node, in one call. The framework
   * prefers it. Called per node from the framework, score sits behind one call site shared by every
   * plugin, which the engine cannot inline; called from the plugin's own loop it can, and a cycle
   * makes one call per plugin instead of one per node per plugin. It must agree with score.
   */
  scoreNodes?(pod: Pod, nodes: readonly NodeInfo[], state: CycleState, out: Scores): void;
  /** Rewrites scores (parallel to nodes) in place into 0..MAX_NODE_SCORE. */
  normalize?(scores: Scores, nodes: readonly NodeInfo[], state: CycleState): void;
}

export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as FilterPlugin).filter === 'function';
}

export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as ScorePlugin).score === 'function';
}

/** A rejection and the plugin that made it. */
export interface PluginStatus {
  plugin: string;
  status: Status;
}

export interface ScoreResult {
  /** Weighted sum per node, parallel to the nodes given. */
  totals: Scores;
  /** Per plugin, the normalized (unweighted) score per node; undefined when its preScore said Skip (it adds 0). */
  byPlugin: { plugin: string; weight: number; scores: Scores | undefined }[];
}

/**
 * kube-scheduler's DefaultNormalizeScore: scales to 0..max by the largest score (integer
 * arithmetic, as Go does), and reverses when fewer is better.
 */
export function defaultNormalizeScore(scores: MutableScores, reverse: boolean, max = MAX_NODE_SCORE): void {
  const n = scores.length;
  let top = 0;
  for (let i = 0; i < n; i++) if (scores[i]! > top) top = scores[i]!;
  if (top === 0) {
    if (reverse) for (let i = 0; i < n; i++) scores[i] = max;
    return;
  }
  for (let i = 0; i < n; i++) {
    const s = Math.trunc((max * scores[i]!) / top);
    scores[i] = reverse ? max - s : s;
  }
}

/**
 * Adds weight times each score to the totals; returns the index of the first score outside
 * 0..MAX_NODE_SCORE (a plugin bug, which stops the cycle), or -1. A loop over two typed arrays and
 * nothing else: written inline in runScore, with the plugin and node at hand for the error, the
 * same loop took twice the time in profiles of the scheduler bench.
 */
function addWeighted(totals: Float64Array, scores: Float64Array, weight: number): number {
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (!(s >= 0 && s <= MAX_NODE_SCORE)) return i;
    totals[i]! += s * weight;
  }
  return -1;
}

function describeThrow(plugin: string, stage: string, err: unknown): Status {
  return errorStatus(`running "${plugin}" ${stage} plugin: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * One scheduling profile: filters in the order they run, and weighted scorers. It also owns the
 * score buffers, so a cycle allocates no per-node arrays: one Framework serves one cycle at a time.
 */
export class Framework {
  readonly filters: readonly FilterPlugin[];
  readonly scorers: readonly ScorePlugin[];
  /** [0] the totals, [k + 1] scorer k's scores; grown, never shrunk. */
  private readonly buffers: Float64Array[] = [];
  /** The last view handed out of each buffer, reused while cycles keep the same length. */
  private readonly views: Float64Array[] = [];
  /** Skip mask -> the filters that run (see activeFilters). */
  private readonly activeByMask = new Map<number, readonly FilterPlugin[]>();
  /** The feasible-node list, refilled every cycle (see feasibleNodes). */
  private readonly feasible: NodeInfo[] = [];
  /** The nodes of one filter batch (see filterBatch). */
  private readonly batch: NodeInfo[] = [];
  /** The last filterNodes batch: each node's first rejection and the index (in state.filters) of the filter that made it. */
  private readonly verdicts: Verdicts = [];
  private readonly rejectedBy: number[] = [];
  private batchFilters: readonly FilterPlugin[] = [];

  constructor(plugins: readonly Plugin[]) {
    const names = new Set<string>();
    for (const p of plugins) {
      if (names.has(p.name)) throw new Error(`scheduler plugins: "${p.name}" is listed twice`);
      names.add(p.name);
      if (isScorePlugin(p) && !(Number.isFinite(p.weight) && p.weight >= 0))
        throw new Error(`scheduler plugins: "${p.name}".weight must be a non-negative number, got ${String(p.weight)}`);
    }
    this.filters = plugins.filter(isFilterPlugin);
    this.scorers = plugins.filter(isScorePlugin);
    // Skip masks are bit sets over the filters' positions.
    if (this.filters.length > 30) throw new Error(`scheduler plugins: at most 30 filters, got ${this.filters.length}`);
  }

  /**
   * The array a cycle collects its feasible nodes in: the caller fills it from index 0 and sets its
   * length to the count. It is the same array every cycle (a fresh one of 500 nodes was most of
   * what a decision allocated), so it is valid until the next cycle and must not be kept.
   */
  feasibleNodes(): NodeInfo[] {
    return this.feasible;
  }

  /** The array a cycle hands the filters its nodes in, batch by batch (see filterNodes); the same every cycle. */
  filterBatch(): NodeInfo[] {
    return this.batch;
  }

  /** Which cluster events each plugin registered, for the queue. */
  pluginEvents(): Map<string, ReadonlySet<ClusterEvent>> {
    const out = new Map<string, ReadonlySet<ClusterEvent>>();
    for (const p of [...this.filters, ...this.scorers]) out.set(p.name, new Set(p.events));
    return out;
  }

  /**
   * Undefined when every preFilter passed; state.filters then lists the filters this cycle runs,
   * without those whose preFilter said Skip (kube-scheduler's SkipFilterPlugins).
   */
  runPreFilter(pod: Pod, state: CycleState): PluginStatus | undefined {
    let skipped = 0;
    for (let i = 0; i < this.filters.length; i++) {
      const f = this.filters[i]!;
      if (!f.preFilter) continue;
      let s: Status;
      try {
        s = f.preFilter(pod, state);
      } catch (err) {
        s = describeThrow(f.name, 'preFilter', err);
      }
      if (s.code === 'Skip') skipped |= 1 << i;
      else if (s.code !== 'Success') return { plugin: f.name, status: s };
    }
    state.filters = skipped === 0 ? this.filters : this.activeFilters(skipped);
    return undefined;
  }

  /** The filters left once those in the mask skip; the same few masks recur, so each list is made once. */
  private activeFilters(skipped: number): readonly FilterPlugin[] {
    let list = this.activeByMask.get(skipped);
    if (!list) {
      list = this.filters.filter((_, i) => (skipped & (1 << i)) === 0);
      this.activeByMask.set(skipped, list);
    }
    return list;
  }

  /** Stops at the first plugin that rejects, as kube-scheduler does; undefined when the node fits. */
  runFilters(pod: Pod, nodeInfo: NodeInfo, state: CycleState): PluginStatus | undefined {
    const filters = state.filters ?? this.filters;
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i]!;
      let s: Status;
      try {
        s = f.filter(pod, nodeInfo, state);
      } catch (err) {
        s = describeThrow(f.name, 'filter', err);
      }
      if (s !== SUCCESS && s.code !== 'Success') return { plugin: f.name, status: s };
    }
    return undefined;
  }

  /**
   * runFilters for a batch of nodes, one filter at a time over all of them (as kube-scheduler
   * would for each node, in the same order): a node a filter rejects is not shown to the filters
   * after it. Returns how many nodes were rejected; rejectionAt(i) then names the first rejection
   * of nodes[i]. The same answers as runFilters node by node, at a fraction of the calls.
   */
  filterNodes(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): number {
    const filters = state.filters ?? this.filters;
    const verdicts = this.verdicts;
    const rejectedBy = this.rejectedBy;
    const n = nodes.length;
    while (verdicts.length < n) {
      verdicts.push(undefined);
      rejectedBy.push(0);
    }
    // filters.length: no filter has rejected the node (yet).
    for (let i = 0; i < n; i++) {
      verdicts[i] = undefined;
      rejectedBy[i] = filters.length;
    }
    this.batchFilters = filters;
    let rejected = 0;
    for (let k = 0; k < filters.length && rejected < n; k++) {
      const f = filters[k]!;
      let added: number;
      if (f.filterNodes) {
        try {
          added = f.filterNodes(pod, nodes, state, verdicts);
        } catch {
          // Which node threw is lost in a batch: ask again node by node, as runFilters would.
          added = this.filterEach(f, pod, nodes, state, verdicts, k);
        }
      } else added = this.filterEach(f, pod, nodes, state, verdicts, k);
      if (added === 0) continue;
      // Stamp the new rejections with this filter; only a batch with rejections pays for the pass.
      for (let i = 0; i < n; i++) if (verdicts[i] !== undefined && rejectedBy[i]! > k) rejectedBy[i] = k;
      rejected += added;
    }
    return rejected;
  }

  /** The first rejection of node i of the last filterNodes batch; undefined when it passed every filter. */
  rejectionAt(i: number): PluginStatus | undefined {
    const status = this.verdicts[i];
    if (status === undefined) return undefined;
    return { plugin: this.batchFilters[this.rejectedBy[i]!]!.name, status };
  }

  /** One filter over the batch's passing nodes, node by node, a throw becoming that node's Error status. */
  private filterEach(f: FilterPlugin, pod: Pod, nodes: readonly NodeInfo[], state: CycleState, verdicts: Verdicts, k: number): number {
    let added = 0;
    for (let i = 0; i < nodes.length; i++) {
      // Undefined, or set by this very filter's filterNodes before it threw: ask again.
      if (verdicts[i] !== undefined && this.rejectedBy[i]! < k) continue;
      let s: Status;
      try {
        s = f.filter(pod, nodes[i]!, state);
      } catch (err) {
        s = describeThrow(f.name, 'filter', err);
      }
      if (s === SUCCESS || s.code === 'Success') verdicts[i] = undefined;
      else {
        verdicts[i] = s;
        added++;
      }
    }
    return added;
  }

  /**
   * Scores nodes with every plugin whose preScore did not say Skip. The result's arrays are the
   * framework's buffers: read them before the next cycle. Throws if a plugin misbehaves (a bug):
   * the caller turns that into an Error status.
   */
  runScore(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): ScoreResult {
    const n = nodes.length;
    const totals = this.buffer(0, n).fill(0);
    const byPlugin: ScoreResult['byPlugin'] = [];
    for (let k = 0; k < this.scorers.length; k++) {
      const p = this.scorers[k]!;
      if (p.weight === 0) continue;
      const pre = p.preScore?.(pod, nodes, state);
      if (pre && pre.code !== 'Success') {
        if (pre.code === 'Skip') {
          byPlugin.push({ plugin: p.name, weight: p.weight, scores: undefined });
          continue;
        }
        throw new Error(`plugin "${p.name}" preScore: ${pre.reasons.join(', ')}`);
      }
      const scores = this.buffer(k + 1, n);
      if (p.scoreNodes) p.scoreNodes(pod, nodes, state, scores);
      else for (let i = 0; i < n; i++) scores[i] = p.score(pod, nodes[i]!, state);
      p.normalize?.(scores, nodes, state);
      const weight = p.weight;
      const bad = addWeighted(totals, scores, weight);
      if (bad >= 0) throw new Error(`plugin "${p.name}" returned score ${scores[bad]} for node "${nodes[bad]!.name}", outside 0..${MAX_NODE_SCORE}`);
      byPlugin.push({ plugin: p.name, weight, scores });
    }
    return { totals, byPlugin };
  }

  /** A view of exactly n of buffer i, which grows (doubling) when a cycle needs more. */
  private buffer(i: number, n: number): Float64Array {
    const v = this.views[i];
    if (v && v.length === n) return v;
    let b = this.buffers[i];
    if (!b || b.length < n) {
      b = new Float64Array(Math.max(n, 2 * (b?.length ?? 64)));
      this.buffers[i] = b;
    }
    return (this.views[i] = b.subarray(0, n));
  }
}

/** Runs a filter plugin as the framework would (preFilter first, Skip meaning pass), for tests and tools. */
export function runFilterPlugin(plugin: FilterPlugin, pod: Pod, nodeInfo: NodeInfo, snapshot: ClusterSnapshot = new NodeListSnapshot([nodeInfo])): Status {
  const state = new CycleState(snapshot);
  const pre = plugin.preFilter?.(pod, state);
  if (pre?.code === 'Skip') return SUCCESS;
  if (pre && pre.code !== 'Success') return pre;
  return plugin.filter(pod, nodeInfo, state);
}

/** Runs one score plugin over nodes as the framework would, returning normalized scores (0 each when it skips). */
export function runScorePlugin(plugin: ScorePlugin, pod: Pod, nodes: readonly NodeInfo[], snapshot: ClusterSnapshot = new NodeListSnapshot(nodes)): number[] {
  const state = new CycleState(snapshot);
  const pre = plugin.preScore?.(pod, nodes, state);
  if (pre?.code === 'Skip') return nodes.map(() => 0);
  const scores = new Float64Array(nodes.length);
  if (plugin.scoreNodes) plugin.scoreNodes(pod, nodes, state, scores);
  else for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(pod, nodes[i]!, state);
  plugin.normalize?.(scores, nodes, state);
  return Array.from(scores);
}
