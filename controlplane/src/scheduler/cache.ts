// The scheduler cache: per node, the running sums of what bound pods request, updated from store
// watch events one change at a time, never recomputed from all pods. A pod the scheduler has just
// placed is "assumed" onto its node before the store write, so the next decision already counts it;
// the store event that follows for the same uid replaces the assumption instead of adding twice.

import { isDeepStrictEqual } from 'node:util';
import { isPodTerminal, type Node, type PersistentVolumeClaim, type Pod, type StorageClass } from '@kip/shared';
import { ClusterEvents, type ClusterEvent, type ClusterSnapshot } from './framework.js';
import { NodeCensus } from './node-census.js';
import { contributionOf, NodeInfo, nodeAllocatable, type PodContribution } from './node-info.js';
import { OwnerIndex } from './owner-index.js';

interface PodRecord extends PodContribution {
  assumed: boolean;
}

function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a ?? null, b ?? null);
}

/** Which parts of a node that filters look at changed between two versions of it. */
export function nodeUpdateEvents(prev: Node, next: Node): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  if (!same(prev.metadata.labels, next.metadata.labels)) out.push(ClusterEvents.NodeLabelChange);
  if (!same(prev.spec.taints, next.spec.taints)) out.push(ClusterEvents.NodeTaintChange);
  if (!!prev.spec.unschedulable !== !!next.spec.unschedulable) out.push(ClusterEvents.NodeUnschedulableChange);
  const a = nodeAllocatable(prev);
  const b = nodeAllocatable(next);
  if (a.cpu !== b.cpu || a.memory !== b.memory || a.pods !== b.pods) out.push(ClusterEvents.NodeAllocatableChange);
  const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  if (ready(prev) !== ready(next)) out.push(ClusterEvents.NodeReadyChange);
  return out;
}

/**
 * Whether two versions of a pod count the same on a node: each part contributionOf reads is the
 * same object or value. A store shares the frozen parts a write did not change, so the bind's own
 * write passes; any other change, or a pod decoded afresh, takes the full path.
 */
function countsTheSame(a: Pod, b: Pod): boolean {
  return (
    a.spec.containers === b.spec.containers &&
    a.spec.affinity === b.spec.affinity &&
    a.spec.priority === b.spec.priority &&
    a.metadata.labels === b.metadata.labels &&
    a.metadata.ownerReferences === b.metadata.ownerReferences &&
    a.metadata.deletionTimestamp === b.metadata.deletionTimestamp &&
    a.metadata.name === b.metadata.name &&
    a.metadata.namespace === b.metadata.namespace
  );
}

export class SchedulerCache implements ClusterSnapshot {
  private readonly infos = new Map<string, NodeInfo>();
  /** The nodes' ownerCounts seen from the owner's side, for spreading (see owner-index.ts). */
  readonly owners = new OwnerIndex();
  /** Nodes with a Node object, in the order the rotating search walks them. */
  private readonly order: NodeInfo[] = [];
  private readonly position = new Map<string, number>();
  /** The nodes in `order`, counted by the traits filters check. */
  private readonly counts = new NodeCensus();
  private readonly records = new Map<string, PodRecord>();
  /** priority -> how many bound pods have it, so preemption can tell at once whether anything ranks lower. */
  private readonly priorities = new Map<number, number>();
  private readonly withAffinity = new Set<NodeInfo>();
  private readonly withRequiredAntiAffinity = new Set<NodeInfo>();

  /** namespaceLabels looks namespaces up here (the scheduler reads them from the store). */
  constructor(private readonly namespaces: (name: string) => Readonly<Record<string, string>> | undefined = () => undefined) {}

  /** PersistentVolumeClaims by "namespace/name", for the VolumeBinding plugin. */
  private readonly claims = new Map<string, PersistentVolumeClaim>();

  // --- claims ------------------------------------------------------------------------------

  upsertClaim(claim: PersistentVolumeClaim): void {
    this.claims.set(`${claim.metadata.namespace}/${claim.metadata.name}`, claim);
  }

  removeClaim(claim: PersistentVolumeClaim): void {
    this.claims.delete(`${claim.metadata.namespace}/${claim.metadata.name}`);
  }

  claim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.claims.get(`${namespace}/${name}`);
  }

  /** StorageClasses by name: whether a claim binds at once or waits for its first consumer. */
  private readonly classes = new Map<string, StorageClass>();

  upsertStorageClass(sc: StorageClass): void {
    this.classes.set(sc.metadata.name, sc);
  }

  removeStorageClass(sc: StorageClass): void {
    this.classes.delete(sc.metadata.name);
  }

  storageClass(name: string): StorageClass | undefined {
    return this.classes.get(name);
  }

  // --- nodes -------------------------------------------------------------------------------

  /** Adds or replaces a node; returns the cluster events the change amounts to. */
  upsertNode(node: Node): ClusterEvent[] {
    const name = node.metadata.name;
    let ni = this.infos.get(name);
    if (!ni) {
      ni = new NodeInfo(name);
      this.infos.set(name, ni);
    }
    const prev = ni.node;
    if (prev) this.counts.remove(ni);
    ni.setNode(node);
    this.counts.add(ni);
    if (!this.position.has(name)) {
      this.position.set(name, this.order.length);
      this.order.push(ni);
    }
    return prev ? nodeUpdateEvents(prev, node) : [ClusterEvents.NodeAdd];
  }

  removeNode(name: string): void {
    const ni = this.infos.get(name);
    if (!ni) return;
    if (ni.node) this.counts.remove(ni);
    ni.node = undefined;
    const i = this.position.get(name);
    if (i !== undefined) {
      // Swap-remove keeps deletion O(1); the search order only needs to be stable, not sorted.
      const last = this.order.pop()!;
      if (last !== ni) {
        this.order[i] = last;
        this.position.set(last.name, i);
      }
      this.position.delete(name);
    }
    // Pods still bound to a vanished node keep their sums until their own events arrive.
    if (ni.podInfos.size === 0) this.infos.delete(name);
  }

  /** Nodes that exist, for the search. The array is live: do not keep it across writes. */
  nodeList(): readonly NodeInfo[] {
    return this.order;
  }

  numNodes(): number {
    return this.order.length;
  }

  getNode(name: string): NodeInfo | undefined {
    return this.infos.get(name);
  }

  nodesOfOwner(owner: string): ReadonlyMap<NodeInfo, number> {
    return this.owners.nodesOf(owner);
  }

  /** Whether any bound pod has a priority below p. */
  hasPodsBelow(p: number): boolean {
    for (const q of this.priorities.keys()) if (q < p) return true;
    return false;
  }

  census(): NodeCensus {
    return this.counts;
  }

  nodesWithAffinityPods(): ReadonlySet<NodeInfo> {
    return this.withAffinity;
  }

  nodesWithRequiredAntiAffinityPods(): ReadonlySet<NodeInfo> {
    return this.withRequiredAntiAffinity;
  }

  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.namespaces(namespace);
  }

  // --- pods --------------------------------------------------------------------------------

  /**
   * Applies a pod as the store now has it. A pod with spec.nodeName that is not finished holds
   * resources on that node; anything else holds none. Returns true when resources were freed
   * (the pod finished, moved off, or shrank), which may let a parked pod fit.
   */
  updatePod(pod: Pod): boolean {
    const uid = pod.metadata.uid;
    if (!uid) return false;
    const nodeName = pod.spec.nodeName;
    if (!nodeName || isPodTerminal(pod)) return this.removePod(uid);
    const prev = this.records.get(uid);
    // The store's version of a pod this scheduler assumed, counting the same: confirm it in
    // place, as kube-scheduler's cache does on the pod's Add event, rather than take it off its
    // node and put it back (every bind came through here twice).
    if (prev?.assumed && prev.nodeName === nodeName && countsTheSame(prev.info.pod, pod)) {
      prev.assumed = false;
      prev.info = { ...prev.info, pod };
      this.infos.get(nodeName)?.podInfos.set(uid, prev.info);
      return false;
    }
    const next = contributionOf(pod, nodeName) as PodRecord;
    next.assumed = false;
    if (prev) this.unapply(prev);
    this.apply(next);
    return (
      !!prev && (prev.nodeName !== next.nodeName || next.cpu < prev.cpu || next.memory < prev.memory || (prev.owner !== undefined && next.owner === undefined))
    );
  }

  /** Forgets a pod; returns true if it held resources. */
  removePod(uid: string): boolean {
    const prev = this.records.get(uid);
    if (!prev) return false;
    this.unapply(prev);
    return true;
  }

  /** Counts the pod on nodeName now, ahead of the store write that binds it. */
  assume(pod: Pod, nodeName: string): void {
    const uid = pod.metadata.uid;
    if (!uid) throw new Error(`pod ${pod.metadata.name} has no uid`);
    const prev = this.records.get(uid);
    if (prev) this.unapply(prev);
    const r = contributionOf(pod, nodeName) as PodRecord;
    r.assumed = true;
    this.apply(r);
  }

  /** Undoes assume() when the bind failed; a no-op once the store event confirmed the pod. */
  forget(uid: string): void {
    const prev = this.records.get(uid);
    if (prev?.assumed) this.unapply(prev);
  }

  isAssumed(uid: string): boolean {
    return this.records.get(uid)?.assumed ?? false;
  }

  /** The node a pod is counted on, if any. */
  nodeOf(uid: string): string | undefined {
    return this.records.get(uid)?.nodeName;
  }

  podCount(): number {
    return this.records.size;
  }

  private apply(r: PodRecord): void {
    let ni = this.infos.get(r.nodeName);
    if (!ni) {
      ni = new NodeInfo(r.nodeName);
      this.infos.set(r.nodeName, ni);
    }
    ni.add(r);
    if (r.owner) this.owners.add(r.owner, ni);
    this.records.set(r.uid, r);
    this.priorities.set(r.info.priority, (this.priorities.get(r.info.priority) ?? 0) + 1);
    if (r.info.affinity) this.trackAffinity(ni);
  }

  /** Keeps the affinity node sets in step with the node's counts. */
  private trackAffinity(ni: NodeInfo): void {
    if (ni.podsWithAffinity > 0) this.withAffinity.add(ni);
    else this.withAffinity.delete(ni);
    if (ni.podsWithRequiredAntiAffinity > 0) this.withRequiredAntiAffinity.add(ni);
    else this.withRequiredAntiAffinity.delete(ni);
  }

  /**
   * Runs fn with these pods taken off their nodes, then puts them back exactly as they were:
   * preemption asks "would the pod fit if these went?" of the same NodeInfos every plugin reads.
   */
  withoutPods<T>(uids: readonly string[], fn: () => T): T {
    const removed: PodRecord[] = [];
    for (const uid of uids) {
      const r = this.records.get(uid);
      if (!r) continue;
      this.unapply(r);
      removed.push(r);
    }
    try {
      return fn();
    } finally {
      for (let i = removed.length - 1; i >= 0; i--) this.apply(removed[i]!);
    }
  }

  private unapply(r: PodRecord): void {
    this.records.delete(r.uid);
    const n = (this.priorities.get(r.info.priority) ?? 0) - 1;
    if (n > 0) this.priorities.set(r.info.priority, n);
    else this.priorities.delete(r.info.priority);
    const ni = this.infos.get(r.nodeName);
    if (!ni) return;
    ni.remove(r);
    if (r.owner) this.owners.remove(r.owner, ni);
    if (r.info.affinity) this.trackAffinity(ni);
    if (!ni.node && ni.podInfos.size === 0) this.infos.delete(r.nodeName);
  }
}
