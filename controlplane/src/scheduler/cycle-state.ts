// Per-cycle scratch space, kube-scheduler's CycleState: a plugin computes what depends only on the
// pod once (in preFilter or preScore) and reads it back for every node. Reads happen once per node
// per plugin, hundreds of times a cycle, so a key is a slot number fixed when the plugin module
// loads, and a read is an array index rather than a hash lookup of a string.

import type { PersistentVolumeClaim, StorageClass } from '@kip/shared';
import type { FilterPlugin } from './framework.js';
import type { NodeCensus } from './node-census.js';
import type { NodeInfo } from './node-info.js';

/**
 * What a plugin may read about the cluster beyond the nodes it is handed (kube-scheduler's
 * SharedLister). The scheduler cache provides it; a plugin run on its own (tests, tools) has none
 * and works out the same answer from the nodes it is given.
 */
export interface ClusterSnapshot {
  /** Node -> how many pods of this controller count there, 0s left out. */
  nodesOfOwner(owner: string): ReadonlyMap<NodeInfo, number>;
  /** Every node that exists (spreading and inter-pod affinity count pods on all of them, not just the feasible). */
  nodeList(): readonly NodeInfo[];
  /** How many of those nodes are not Ready, cordoned, tainted or labelled with a key. */
  census(): NodeCensus;
  /** Nodes with at least one pod with inter-pod affinity terms (kube-scheduler's HavePodsWithAffinityList). */
  nodesWithAffinityPods(): ReadonlySet<NodeInfo>;
  /** Nodes with at least one pod with required anti-affinity (HavePodsWithRequiredAntiAffinityList). */
  nodesWithRequiredAntiAffinityPods(): ReadonlySet<NodeInfo>;
  /** A namespace's labels, for namespaceSelector; undefined when unknown. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** A PersistentVolumeClaim by namespace and name, as the scheduler last saw it. */
  claim?(namespace: string, name: string): PersistentVolumeClaim | undefined;
  /** A StorageClass by name, as the scheduler last saw it. */
  storageClass?(name: string): StorageClass | undefined;
}

/** Names one value in a CycleState; create it once, at module level, with stateKey(). */
export interface StateKey<T> {
  readonly name: string;
  readonly slot: number;
  /** Only carries T for the type checker. */
  readonly __type?: T;
}

const names: string[] = [];

/** A new key; the name is for error messages and must be unique, like kube-scheduler's StateKey strings. */
export function stateKey<T>(name: string): StateKey<T> {
  if (names.includes(name)) throw new Error(`scheduler: state key "${name}" is defined twice`);
  names.push(name);
  return Object.freeze({ name, slot: names.length - 1 });
}

export class CycleState {
  private readonly slots: unknown[];
  /**
   * The filters this cycle runs, set by Framework.runPreFilter: the profile's filters less those
   * whose preFilter said Skip (kube-scheduler's SkipFilterPlugins). Unset: all of them.
   */
  filters: readonly FilterPlugin[] | undefined = undefined;

  constructor(readonly snapshot?: ClusterSnapshot) {
    // Sized up front so that every slot exists and reads never leave the array's elements.
    this.slots = new Array<unknown>(names.length).fill(undefined);
  }

  read<T>(key: StateKey<T>): T | undefined {
    return this.slots[key.slot] as T | undefined;
  }

  write<T>(key: StateKey<T>, value: T): void {
    this.slots[key.slot] = value;
  }
}
