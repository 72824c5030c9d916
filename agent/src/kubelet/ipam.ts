// Pod IP address management for one node's pod CIDR (host-local IPAM): addresses from the
// network address + 2 (the first is the node's own gateway address) to the last before broadcast.
// A pod keeps its address for as long as it exists here, and asks for its previous one back.

import { ipToNumber, ipToString, parseCidr, type Cidr } from '@kip/shared';

export class IpamError extends Error {
  readonly code = 'IpamError';
}

/** A pod CIDR as IPAM accepts it: a valid range with room for pods (prefix 8..30). */
export function parsePodCidr(cidr: string): Cidr {
  const c = parseCidr(cidr);
  if (!c) throw new IpamError(`invalid pod CIDR "${cidr}": must look like 10.244.3.0/24`);
  if (c.prefix > 30 || c.prefix < 8) throw new IpamError(`invalid pod CIDR "${cidr}": the prefix must be 8..30`);
  return c;
}

export class Ipam {
  private cidr: Cidr | undefined;
  private cidrText = '';
  private readonly byUid = new Map<string, number>();
  private readonly used = new Set<number>();
  /** Where the next search starts, so that a released address is not handed out again at once. */
  private cursor = 0;

  constructor(cidr?: string) {
    if (cidr) this.setCidr(cidr);
  }

  /** A new CIDR applies to new pods; pods keep the address they have. */
  setCidr(cidr: string): void {
    if (cidr === this.cidrText) return;
    this.cidr = parsePodCidr(cidr);
    this.cidrText = cidr;
    this.cursor = 0;
  }

  get range(): string {
    if (!this.cidr) return '';
    const size = 2 ** (32 - this.cidr.prefix);
    return `${ipToString(this.cidr.base + 1)}-${ipToString(this.cidr.base + size - 2)}`;
  }

  /** The pod's address: the one it has, else `preferred` if free and in range, else the next free one. */
  allocate(uid: string, preferred?: string): string {
    const have = this.byUid.get(uid);
    if (have !== undefined) return ipToString(have);
    if (!this.cidr) throw new IpamError('no pod CIDR assigned to this node yet');
    const first = this.cidr.base + 2;
    const count = 2 ** (32 - this.cidr.prefix) - 3; // network, gateway (.1) and broadcast excluded
    const pref = preferred ? ipToNumber(preferred) : undefined;
    let pick: number | undefined;
    if (pref !== undefined && pref >= first && pref < first + count && !this.used.has(pref)) pick = pref;
    for (let i = 0; pick === undefined && i < count; i++) {
      const candidate = first + ((this.cursor + i) % count);
      if (!this.used.has(candidate)) {
        pick = candidate;
        this.cursor = (this.cursor + i + 1) % count;
      }
    }
    if (pick === undefined) throw new IpamError(`no IP addresses available in range set: ${this.range}`);
    this.used.add(pick);
    this.byUid.set(uid, pick);
    return ipToString(pick);
  }

  release(uid: string): void {
    const n = this.byUid.get(uid);
    if (n === undefined) return;
    this.byUid.delete(uid);
    this.used.delete(n);
  }

  addressOf(uid: string): string | undefined {
    const n = this.byUid.get(uid);
    return n === undefined ? undefined : ipToString(n);
  }

  get allocated(): number {
    return this.byUid.size;
  }
}
