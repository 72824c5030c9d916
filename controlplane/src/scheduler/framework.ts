// The scheduling framework, in the shape of kube-scheduler's: Filter plugins say whether a pod can
// go on a node, Score plugins rank the nodes that passed, and each plugin names the cluster changes
// that may turn its rejection into a fit, so the queue retries a parked pod only when it could help.
// Plugins are pure functions of (pod, node snapshot, per-cycle state); the framework runs them in
// order and keeps the bookkeeping (which plugin rejected, weighted totals) out of the plugins.

import type { Pod } from '@kip/shared';
import type { NodeInfo } from './node-info.js';

/** Every score plugin's normalized output lies in 0..MAX_NODE_SCORE, as in kube-scheduler. */
export const MAX_NODE_SCORE = 100;

export type StatusCode = 'Success' | 'Unschedulable' | 'Error';

/**
 * A plugin's verdict. `Unschedulable` is an expected rejection and carries reasons in
 * kube-scheduler's words (they are counted across nodes in the FailedScheduling message);
 * `Error` means a bug or broken input, and aborts the cycle.
 */
export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });

export function unschedulable(...reasons: string[]): Status {
  return Object.freeze({ code: 'Unschedulable', reasons: Object.freeze(reasons) });
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
} as const;
export type ClusterEvent = (typeof ClusterEvents)[keyof typeof ClusterEvents];

/** Per-cycle scratch space: plugins compute what depends only on the pod once, in preFilter/preScore. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

export interface Plugin {
  readonly name: string;
  /** Cluster changes that may make a pod this plugin rejected fit; empty for score-only plugins. */
  readonly events: readonly ClusterEvent[];
}

export interface FilterPlugin extends Plugin {
  /** Runs once per cycle before any node; an unschedulable status here rejects every node. */
  preFilter?(pod: Pod, state: CycleState): Status;
  filter(pod: Pod, nodeInfo: NodeInfo, state: CycleState): Status;
}

export interface ScorePlugin extends Plugin {
  readonly weight: number;
  /** Runs once per cycle over the feasible nodes, before any score. */
  preScore?(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): void;
  /** A raw score; without normalize it must already lie in 0..MAX_NODE_SCORE. */
  score(pod: Pod, nodeInfo: NodeInfo, state: CycleState): number;
  /** Rewrites scores (parallel to nodes) in place into 0..MAX_NODE_SCORE. */
  normalize?(scores: number[], nodes: readonly NodeInfo[], state: CycleState): void;
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
  totals: number[];
  /** Per plugin, the normalized (unweighted) score per node. */
  byPlugin: { plugin: string; weight: number; scores: number[] }[];
}

/**
 * kube-scheduler's DefaultNormalizeScore: scales to 0..max by the largest score (integer
 * arithmetic, as Go does), and reverses when fewer is better.
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean, max = MAX_NODE_SCORE): void {
  let top = 0;
  for (const s of scores) if (s > top) top = s;
  if (top === 0) {
    if (reverse) scores.fill(max);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((max * scores[i]!) / top);
    scores[i] = reverse ? max - s : s;
  }
}

function describeThrow(plugin: string, stage: string, err: unknown): Status {
  return errorStatus(`running "${plugin}" ${stage} plugin: ${err instanceof Error ? err.message : String(err)}`);
}

/** One scheduling profile: filters in the order they run, and weighted scorers. */
export class Framework {
  readonly filters: readonly FilterPlugin[];
  readonly scorers: readonly ScorePlugin[];

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
  }

  /** Which cluster events each plugin registered, for the queue. */
  pluginEvents(): Map<string, ReadonlySet<ClusterEvent>> {
    const out = new Map<string, ReadonlySet<ClusterEvent>>();
    for (const p of [...this.filters, ...this.scorers]) out.set(p.name, new Set(p.events));
    return out;
  }

  /** Undefined when every preFilter passed. */
  runPreFilter(pod: Pod, state: CycleState): PluginStatus | undefined {
    for (const f of this.filters) {
      if (!f.preFilter) continue;
      let s: Status;
      try {
        s = f.preFilter(pod, state);
      } catch (err) {
        s = describeThrow(f.name, 'preFilter', err);
      }
      if (s.code !== 'Success') return { plugin: f.name, status: s };
    }
    return undefined;
  }

  /** Stops at the first plugin that rejects, as kube-scheduler does; undefined when the node fits. */
  runFilters(pod: Pod, nodeInfo: NodeInfo, state: CycleState): PluginStatus | undefined {
    const filters = this.filters;
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i]!;
      let s: Status;
      try {
        s = f.filter(pod, nodeInfo, state);
      } catch (err) {
        s = describeThrow(f.name, 'filter', err);
      }
      if (s.code !== 'Success') return { plugin: f.name, status: s };
    }
    return undefined;
  }

  /** Throws if a plugin misbehaves (a bug): the caller turns that into an Error status. */
  runScore(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): ScoreResult {
    const totals = new Array<number>(nodes.length).fill(0);
    const byPlugin: ScoreResult['byPlugin'] = [];
    for (const p of this.scorers) {
      if (p.weight === 0) continue;
      p.preScore?.(pod, nodes, state);
      const scores = new Array<number>(nodes.length);
      for (let i = 0; i < nodes.length; i++) scores[i] = p.score(pod, nodes[i]!, state);
      p.normalize?.(scores, nodes, state);
      for (let i = 0; i < nodes.length; i++) {
        const s = scores[i]!;
        if (!(s >= 0 && s <= MAX_NODE_SCORE))
          throw new Error(`plugin "${p.name}" returned score ${s} for node "${nodes[i]!.name}", outside 0..${MAX_NODE_SCORE}`);
        totals[i]! += s * p.weight;
      }
      byPlugin.push({ plugin: p.name, weight: p.weight, scores });
    }
    return { totals, byPlugin };
  }
}

/** Runs a filter plugin as the framework would (preFilter first), for tests and tools. */
export function runFilterPlugin(plugin: FilterPlugin, pod: Pod, nodeInfo: NodeInfo): Status {
  const state = new CycleState();
  const pre = plugin.preFilter?.(pod, state);
  if (pre && pre.code !== 'Success') return pre;
  return plugin.filter(pod, nodeInfo, state);
}

/** Runs one score plugin over nodes as the framework would, returning normalized scores. */
export function runScorePlugin(plugin: ScorePlugin, pod: Pod, nodes: readonly NodeInfo[]): number[] {
  const state = new CycleState();
  plugin.preScore?.(pod, nodes, state);
  const scores = nodes.map((n) => plugin.score(pod, n, state));
  plugin.normalize?.(scores, nodes, state);
  return scores;
}
