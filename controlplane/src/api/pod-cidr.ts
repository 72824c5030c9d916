// Pod CIDR allocation (Kubernetes' node IPAM): each node gets a /24 out of 10.244.0.0/16 when it
// first registers, and keeps it for as long as its Node object exists. 256 nodes at most, as with
// Kubernetes' defaults.

import { POD_NETWORK_CIDR, type Node } from '@kip/shared';
import type { Store } from '../store/store.js';

export class PodCidrAllocator {
  constructor(private readonly store: Store) {}

  /** The node's existing CIDR, or the lowest free /24. Throws when all 256 are taken. */
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
    if (preferred >= 0 && preferred < 256 && !used.has(cidr(preferred))) return cidr(preferred);
    for (let i = 1; i < 256; i++) if (!used.has(cidr(i))) return cidr(i);
    if (!used.has(cidr(0))) return cidr(0);
    throw new Error(`no pod CIDR left in ${POD_NETWORK_CIDR}: 256 nodes is the limit`);
  }
}

function cidr(i: number): string {
  return `10.244.${i}.0/24`;
}
