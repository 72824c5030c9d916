// Pod CIDR allocation (Kubernetes' node IPAM): each node gets a /24 out of the cluster's pod
// network (--pod-cidr, 10.244.0.0/16 by default) when it first registers, and keeps it for as long
// as its Node object exists: 256 nodes in a /16, as with Kubernetes' defaults.

import { ipToString, parseCidr, POD_NETWORK_CIDR, type Cidr, type Node } from '@kip/shared';
import type { Store } from '../store/store.js';

/** The prefix of each node's pod range. */
export const NODE_POD_CIDR_PREFIX = 24;

export class PodCidrAllocator {
  private readonly network: Cidr;
  private readonly count: number;

  constructor(
    private readonly store: Store,
    private readonly networkText: string = POD_NETWORK_CIDR,
  ) {
    const c = parseCidr(networkText);
    if (!c || c.prefix > NODE_POD_CIDR_PREFIX)
      throw new Error(`pod network "${networkText}" must be a CIDR of /${NODE_POD_CIDR_PREFIX} or larger, e.g. 10.244.0.0/16`);
    this.network = c;
    this.count = 2 ** (NODE_POD_CIDR_PREFIX - c.prefix);
  }

  private cidr(i: number): string {
    return `${ipToString(this.network.base + i * 256)}/${NODE_POD_CIDR_PREFIX}`;
  }

  /** The node's existing CIDR, or a free /24: the one numbered like the node when free. */
  allocate(nodeName: string): string {
    const used = new Set<string>();
    for (const n of this.store.list<Node>('Node').items) {
      if (n.spec.podCIDR) {
        if (n.metadata.name === nodeName) return n.spec.podCIDR;
        used.add(n.spec.podCIDR);
      }
    }
    // Prefer the number in the node's name (node-3 -> 10.244.3.0/24) so addresses are easy to read.
    const m = /(\d+)$/.exec(nodeName);
    const preferred = m ? Number(m[1]) : -1;
    if (preferred >= 0 && preferred < this.count && !used.has(this.cidr(preferred))) return this.cidr(preferred);
    for (let i = 1; i < this.count; i++) if (!used.has(this.cidr(i))) return this.cidr(i);
    if (!used.has(this.cidr(0))) return this.cidr(0);
    throw new Error(`no pod CIDR left in ${this.networkText}: ${this.count} nodes is the limit`);
  }
}
