// Cluster IP allocation for Services (the API server's service IP allocator): each Service gets a
// virtual address from 10.96.0.0/16 at creation, unique, and keeps it for life.

import { cidrContains, ipToNumber, ipToString, parseCidr, SERVICE_CIDR, type KObject, type Service } from '@kip/shared';
import { ApiError, invalid } from '../api/errors.js';
import type { AdmissionHook } from '../api/registry.js';
import type { Store } from '../store/store.js';

/** The first addresses are left for well-known services, as Kubernetes keeps 10.96.0.1 and .10. */
const FIRST = 16;
const SIZE = 65536;

const RANGE = parseCidr(SERVICE_CIDR)!;

/** The address `n` places into the range. */
function toIp(n: number): string {
  return ipToString(RANGE.base + n);
}
/** How far into the range an address is; undefined outside it. */
function fromIp(ip: string): number | undefined {
  const n = ipToNumber(ip);
  return n !== undefined && cidrContains(RANGE, n) ? n - RANGE.base : undefined;
}

export class ClusterIPAllocator {
  constructor(private readonly store: Store) {}

  private used(except?: string): Set<number> {
    const out = new Set<number>();
    for (const s of this.store.list<Service>('Service').items) {
      const ip = s.spec.clusterIP;
      const n = ip ? fromIp(ip) : undefined;
      if (n !== undefined && s.metadata.uid !== except) out.add(n);
    }
    return out;
  }

  /** The lowest free address. */
  allocate(): string {
    const used = this.used();
    for (let n = FIRST; n < SIZE - 1; n++) if (!used.has(n)) return toIp(n);
    throw new ApiError('ServiceUnavailable', `no cluster IP left in ${SERVICE_CIDR}`);
  }

  /** Admission: assign on create, check a requested address, keep it immutable on update. */
  readonly admit: AdmissionHook = (op: 'create' | 'update', obj: KObject, old: KObject | undefined) => {
    if (obj.kind !== 'Service') return;
    const svc = obj as Service;
    if (op === 'update') {
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
      const n = fromIp(wanted);
      if (n === undefined)
        throw invalid('Service', svc.metadata.name, [{ field: 'spec.clusterIP', message: `Invalid value: "${wanted}": must be in ${SERVICE_CIDR}` }]);
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
