// Node port allocation for Services (the API server's node port allocator): each port of a
// NodePort service, and of a LoadBalancer service unless allocateLoadBalancerNodePorts is false,
// gets a port from the node port range (--service-node-port-range, 30000-32767 by default) on
// which every node listens. A requested port must be in the range and free; a port is the
// service's for as long as the service has it, and free again once the service is deleted or no
// longer needs it. What is taken is read from the stored services, so a release needs no
// bookkeeping and a restarted control plane knows the same.
//
// The same admission checks the fields that depend on the service's type (serviceTypeErrors), after
// an update has dropped what the new type no longer uses, as the API server validates them.

import { needsNodePorts, serviceTypeErrors, type FieldError, type KObject, type Service, type ServicePort } from '@kip/shared';
import { ApiError, invalid } from '../api/errors.js';
import type { AdmissionHook } from '../api/registry.js';
import type { Store } from '../store/store.js';

export interface PortRange {
  min: number;
  max: number;
}

export const DEFAULT_NODE_PORT_RANGE: PortRange = { min: 30000, max: 32767 };

/** "30000-32767" (or one port, "30080"), as --service-node-port-range takes it; undefined when malformed. */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = Number(m[2] ?? m[1]);
  if (min < 1 || max > 65535 || min > max) return undefined;
  return { min, max };
}

export class NodePortAllocator {
  /**
   * `random` picks where the search for a free port starts, as Kubernetes picks node ports at
   * random: two clusters on one machine then rarely want the same port on their nodes.
   */
  constructor(
    private readonly store: Store,
    readonly range: PortRange = DEFAULT_NODE_PORT_RANGE,
    private readonly random: () => number = Math.random,
  ) {}

  private get rangeText(): string {
    return `${this.range.min}-${this.range.max}`;
  }

  /** Node ports held by every stored service but the one of uid `except`. */
  private used(except?: string): Set<number> {
    const out = new Set<number>();
    for (const s of this.store.list<Service>('Service').items) {
      if (s.metadata.uid === except) continue;
      for (const p of s.spec.ports ?? []) if (p.nodePort) out.add(p.nodePort);
    }
    return out;
  }

  /** A free port, searching from a random place in the range; undefined when the range is full. */
  allocate(used: ReadonlySet<number>): number | undefined {
    const size = this.range.max - this.range.min + 1;
    const start = Math.floor(this.random() * size);
    for (let i = 0; i < size; i++) {
      const port = this.range.min + ((start + i) % size);
      if (!used.has(port)) return port;
    }
    return undefined;
  }

  /**
   * Gives each port that needs one a node port: the requested one if it is in the range and free,
   * else the one this port had before the update, else a free one. Returns the field errors.
   */
  assign(svc: Service, old: Service | undefined): FieldError[] {
    const ports = svc.spec.ports ?? [];
    if (!needsNodePorts(svc.spec)) return [];
    const errors: FieldError[] = [];
    const used = this.used(old?.metadata.uid);
    const mine = new Set<number>();
    ports.forEach((p, i) => {
      const field = `spec.ports[${i}].nodePort`;
      const wanted = p.nodePort;
      if (!wanted) return;
      if (wanted < this.range.min || wanted > this.range.max)
        errors.push({ field, message: `Invalid value: ${wanted}: provided port is not in the valid range. The range of valid ports is ${this.rangeText}` });
      else if (used.has(wanted)) errors.push({ field, message: `Invalid value: ${wanted}: provided port is already allocated` });
      else if (mine.has(wanted)) errors.push({ field, message: `Duplicate value: ${wanted}` });
      mine.add(wanted);
    });
    if (errors.length > 0) return errors;
    for (const p of ports) {
      if (p.nodePort) continue;
      const before = previousNodePort(old, p);
      const port = before !== undefined && !mine.has(before) ? before : this.allocate(new Set([...used, ...mine]));
      if (port === undefined) throw new ApiError('InternalError', `failed to allocate a nodePort: range ${this.rangeText} is full`);
      p.nodePort = port;
      mine.add(port);
    }
    return [];
  }

  /** Admission: the type's own field rules, then node ports on create and update. */
  readonly admit: AdmissionHook = (_op, obj: KObject, old: KObject | undefined) => {
    if (obj.kind !== 'Service') return;
    const svc = obj as Service;
    const errors = serviceTypeErrors(svc.spec);
    if (errors.length === 0) errors.push(...this.assign(svc, old as Service | undefined));
    if (errors.length > 0) throw invalid('Service', svc.metadata.name, errors);
  };
}

/** The node port the same service port had before an update, when it had one. */
function previousNodePort(old: Service | undefined, p: ServicePort): number | undefined {
  const before = (old?.spec.ports ?? []).find((o) => o.port === p.port && (o.name ?? '') === (p.name ?? '')) ?? undefined;
  return before?.nodePort || undefined;
}
