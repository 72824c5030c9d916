// The service load balancer controller, kip's k3s servicelb: a LoadBalancer Service gets an
// address of its own from a loopback range kept for load balancers (--load-balancer-cidr,
// 127.0.2.0/24 by default), written in status.loadBalancer.ingress, which the agents' proxies
// listen on (see the route publisher: one node's agent holds each address). Until then kubectl
// shows `<pending>`, as it does on a cluster without a load balancer.
//
// As Kubernetes documents: a service with a loadBalancerClass is another implementation's and is
// left alone (pending); spec.loadBalancerIP asks for one address, honoured when it is in the range
// and free, else the service stays pending with a warning event saying why. An address is the
// service's until it is deleted or stops being a LoadBalancer.

import { cidrContains, ipToNumber, ipToString, keyOf, loadBalancerIngress, parseCidr, splitKey, type Cidr, type Service } from '@kip/shared';
import type { ControllerDeps, Enqueue, ReconcileResult } from '../controllers/controller.js';
import { ControllerBase } from '../controllers/owner-controller.js';
import type { Unsubscribe } from '../store/store.js';

export const DEFAULT_LOAD_BALANCER_CIDR = '127.0.2.0/24';

/** Whether kip's load balancer serves this service: a LoadBalancer without a class of another implementation. */
export function servedByKip(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

/** What a service's status should say: the address it keeps or gets, or why it gets none. */
export type LoadBalancerDecision = { ip: string } | { pending: string } | { none: true };

/**
 * The address for `svc` given the addresses other services hold: the one it has, the one it asks
 * for, or the lowest free one. Pure, so the rules are tested without a store.
 */
export function decideAddress(svc: Service, range: Cidr, taken: ReadonlySet<string>): LoadBalancerDecision {
  if (!servedByKip(svc)) return { none: true };
  const inRange = (ip: string) => {
    const n = ipToNumber(ip);
    return n !== undefined && cidrContains(range, n);
  };
  const rangeText = `${ipToString(range.base)}/${range.prefix}`;
  const wanted = svc.spec.loadBalancerIP;
  const current = loadBalancerIngress(svc)[0];
  if (wanted) {
    if (current === wanted) return { ip: wanted };
    if (!inRange(wanted)) return { pending: `loadBalancerIP ${wanted} is not in the load balancer range ${rangeText}` };
    if (taken.has(wanted)) return { pending: `loadBalancerIP ${wanted} is already in use by another service` };
    return { ip: wanted };
  }
  if (current && inRange(current) && !taken.has(current)) return { ip: current };
  const size = 2 ** (32 - range.prefix);
  // The network and broadcast addresses of the range are left out, as an address pool does.
  for (let n = 1; n < size - 1; n++) {
    const ip = ipToString(range.base + n);
    if (!taken.has(ip)) return { ip };
  }
  return { pending: `no address left in the load balancer range ${rangeText}` };
}

export interface LoadBalancerControllerDeps extends ControllerDeps {
  /** The range load balancer addresses come from (--load-balancer-cidr). */
  cidr?: string;
}

export class LoadBalancerController extends ControllerBase {
  private readonly range: Cidr;
  /** The last pending reason reported per service, so that a warning is recorded once, not every resync. */
  private readonly reported = new Map<string, string>();

  constructor(deps: LoadBalancerControllerDeps) {
    super('service-lb', deps);
    const cidr = deps.cidr ?? DEFAULT_LOAD_BALANCER_CIDR;
    const range = parseCidr(cidr);
    if (!range || range.prefix > 30) throw new Error(`load balancer range "${cidr}" must be a CIDR of /30 or larger, e.g. ${DEFAULT_LOAD_BALANCER_CIDR}`);
    this.range = range;
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    return [
      this.store.watch({ kind: 'Service' }, (ev) => {
        enqueue(keyOf(ev.object));
        // A deleted service frees its address: a pending one may take it now.
        if (ev.type === 'DELETED') for (const key of this.pendingKeys()) enqueue(key);
      }),
    ];
  }

  private pendingKeys(): string[] {
    return this.store.list<Service>('Service', { filter: (o) => servedByKip(o as Service) && loadBalancerIngress(o as Service).length === 0 }).items.map(keyOf);
  }

  resyncKeys(): string[] {
    return this.store.list<Service>('Service', { filter: (o) => loadBalancerIngress(o as Service).length > 0 || servedByKip(o as Service) }).items.map(keyOf);
  }

  /** Addresses held by every service but `key`. */
  private taken(key: string): Set<string> {
    const out = new Set<string>();
    for (const s of this.store.list<Service>('Service').items) if (keyOf(s) !== key && servedByKip(s)) for (const ip of loadBalancerIngress(s)) out.add(ip);
    return out;
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const svc = this.store.get<Service>('Service', namespace, name);
    if (!svc) {
      this.reported.delete(key);
      return;
    }
    const decision = decideAddress(svc, this.range, this.taken(key));
    const has = loadBalancerIngress(svc);
    // A class that is not kip's: its status is the other implementation's to write.
    if (svc.spec.type === 'LoadBalancer' && svc.spec.loadBalancerClass) return;
    if ('ip' in decision) {
      this.reported.delete(key);
      if (has.length === 1 && has[0] === decision.ip) return;
      this.writeIngress(svc, [{ ip: decision.ip, ipMode: 'VIP' }]);
      this.recorder.record(svc, 'Normal', 'IPAllocated', `Assigned IP ["${decision.ip}"]`, { component: 'service-lb-controller' });
      return;
    }
    if (has.length > 0) this.writeIngress(svc, []);
    if ('pending' in decision && this.reported.get(key) !== decision.pending) {
      this.reported.set(key, decision.pending);
      this.recorder.record(svc, 'Warning', 'AllocationFailed', `Failed to allocate IP for "${key}": ${decision.pending}`, {
        component: 'service-lb-controller',
      });
    }
  }

  private writeIngress(svc: Service, ingress: { ip: string; ipMode: string }[]): void {
    const next = structuredClone(svc);
    const status = (next.status ?? {}) as Record<string, unknown>;
    status.loadBalancer = ingress.length > 0 ? { ingress } : {};
    next.status = status;
    this.registry.updateStatus(next);
  }
}
