// A ClusterSnapshot over a plain list of NodeInfos, for plugin tests and tools that run plugins
// without a scheduler cache: the same answers, worked out from the nodes' own counts.

import type { ClusterSnapshot } from './cycle-state.js';
import { NodeCensus } from './node-census.js';
import type { NodeInfo } from './node-info.js';

export class NodeListSnapshot implements ClusterSnapshot {
  private readonly withAffinity = new Set<NodeInfo>();
  private readonly withRequiredAntiAffinity = new Set<NodeInfo>();
  private readonly counts: NodeCensus;

  constructor(
    private readonly nodes: readonly NodeInfo[],
    private readonly namespaces: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
  ) {
    this.counts = NodeCensus.of(nodes);
    for (const ni of nodes) {
      if (ni.podsWithAffinity > 0) this.withAffinity.add(ni);
      if (ni.podsWithRequiredAntiAffinity > 0) this.withRequiredAntiAffinity.add(ni);
    }
  }

  nodesOfOwner(owner: string): ReadonlyMap<NodeInfo, number> {
    const out = new Map<NodeInfo, number>();
    for (const ni of this.nodes) {
      const n = ni.ownerCounts.get(owner);
      if (n) out.set(ni, n);
    }
    return out;
  }

  nodeList(): readonly NodeInfo[] {
    return this.nodes;
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
    return this.namespaces[namespace];
  }
}
