// Which nodes hold pods of each controller, and how many: the cluster-wide view of what each
// NodeInfo.ownerCounts says about one node. Spreading asks "how many siblings on this node?" for
// every node it scores; asked of each node's own map that is a string-keyed lookup in a different
// hash table per node, which dominated the scheduling cycle. Asked of this index it is one string
// lookup per cycle, then lookups keyed by the NodeInfo object in one small map that stays in the
// processor's cache. The scheduler cache keeps it in step with the nodes' own counts.

import type { NodeInfo } from './node-info.js';

const NONE: ReadonlyMap<NodeInfo, number> = new Map();

export class OwnerIndex {
  private readonly byOwner = new Map<string, Map<NodeInfo, number>>();

  /** Node -> how many of the owner's pods count there (never 0); empty for an unknown owner. */
  nodesOf(owner: string): ReadonlyMap<NodeInfo, number> {
    return this.byOwner.get(owner) ?? NONE;
  }

  add(owner: string, ni: NodeInfo): void {
    let nodes = this.byOwner.get(owner);
    if (!nodes) {
      nodes = new Map();
      this.byOwner.set(owner, nodes);
    }
    nodes.set(ni, (nodes.get(ni) ?? 0) + 1);
  }

  remove(owner: string, ni: NodeInfo): void {
    const nodes = this.byOwner.get(owner);
    if (!nodes) return;
    const n = (nodes.get(ni) ?? 0) - 1;
    if (n > 0) nodes.set(ni, n);
    else nodes.delete(ni);
    // Owners come and go with every rollout: forget one with no pods left, so the index stays the size of the cluster.
    if (nodes.size === 0) this.byOwner.delete(owner);
  }

  /** How many owners have pods somewhere, for tests. */
  get size(): number {
    return this.byOwner.size;
  }
}
