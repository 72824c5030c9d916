// Cluster IP allocation for Services (the API server's service IP allocator): each Service gets a
// virtual address from the service range (--service-cidr, 10.96.0.0/16 by default) at creation,
// unique, and keeps it for life whatever its type becomes (ExternalName, a name for another name,
// has none). A requested address must be in the range: the range is the cluster's setting, so
// this check is the allocator's, not the object's validation.

import { cidrContains, ipToNumber, ipToString, parseCidr, SERVICE_CIDR, type Cidr, type KObject, type Service } from '@kip/shared';
import { ApiError, invalid } from '../api/errors.js';
import type { AdmissionHook } from '../api/registry.js';
import type { Store } from '../store/store.js';

/** The first addresses are left for well-known services, as Kubernetes keeps 10.96.0.1 and .10. */
const FIRST = 16;

export class ClusterIPAllocator {
  private readonly range: Cidr;
  private readonly size: number;

  /** `cidr` is the service range (--service-cidr). */
  constructor(
    private readonly store: Store,
    private readonly cidr: string = SERVICE_CIDR,
  ) {
    const c = parseCidr(cidr);
    if (!c || c.prefix > 24) throw new Error(`service range "${cidr}" must be a CIDR of /24 or larger, e.g. 10.96.0.0/16`);
    this.range = c;
    this.size = 2 ** (32 - c.prefix);
  }

  /** The address `n` places into the range. */
  private toIp(n: number): string {
    return ipToString(this.range.base + n);
  }

  /** How far into the range an address is; undefined outside it. */
  private fromIp(ip: string): number | undefined {
    const n = ipToNumber(ip);
    return n !== undefined && cidrContains(this.range, n) ? n - this.range.base : undefined;
  }

  private used(except?: string): Set<number> {
    const out = new Set<number>();
    for (const s of this.store.list<Service>('Service').items) {
      const ip = s.spec.clusterIP;
      const n = ip ? this.fromIp(ip) : undefined;
      if (n !== undefined && s.metadata.uid !== except) out.add(n);
    }
    return out;
  }

  /** The lowest free address. */
  allocate(): string {
    const used = this.used();
    for (let n = FIRST; n < this.size - 1; n++) if (!used.has(n)) return this.toIp(n);
    throw new ApiError('ServiceUnavailable', `no cluster IP left in ${this.cidr}`);
  }

  /** Admission: assign on create, check a requested address, keep it immutable on update. */
  readonly admit: AdmissionHook = (op: 'create' | 'update', obj: KObject, old: KObject | undefined) => {
    if (obj.kind !== 'Service') return;
    const svc = obj as Service;
    // ExternalName: a name for another name, with no address of its own (one it had is released).
    if (svc.spec.type === 'ExternalName') {
      delete svc.spec.clusterIP;
      delete svc.spec.clusterIPs;
      return;
    }
    // A service that was ExternalName gets an address as a new one does.
    if (op === 'update' && (old as Service).spec.clusterIP) {
      const prev = (old as Service).spec.clusterIP;
      if (svc.spec.clusterIP && svc.spec.clusterIP !== prev)
        throw invalid('Service', svc.metadata.name, [{ field: 'spec.clusterIP', message: `Invalid value: "${svc.spec.clusterIP}": field is immutable` }]);
      svc.spec.clusterIP = prev;
      svc.spec.clusterIPs = prev ? [prev] : undefined;
      return;
    }
    const wanted = svc.spec.clusterIP;
    if (wanted === 'None') return; // headless: no virtual address, no proxying
    if (wanted) {
      const n = this.fromIp(wanted);
      if (n === undefined)
        throw invalid('Service', svc.metadata.name, [{ field: 'spec.clusterIP', message: `Invalid value: "${wanted}": must be in ${this.cidr}` }]);
      if (this.used().has(n))
        throw invalid('Service', svc.metadata.name, [{ field: 'spec.clusterIP', message: `Invalid value: "${wanted}": provided IP is already allocated` }]);
      svc.spec.clusterIPs = [wanted];
      return;
    }
    const ip = this.allocate();
    svc.spec.clusterIP = ip;
    svc.spec.clusterIPs = [ip];
  };
}
