// The endpoints controller: keeps one Endpoints object per Service with a selector, listing the
// addresses of the pods it selects, ready ones and not-ready ones, each with its node, and the
// target port resolved per pod (a named targetPort may be a different number on each pod).
// Pods being deleted or finished are left out, so they get no new traffic. A service that
// publishes not-ready addresses lists every pod as ready, as Kubernetes does for it.

import { isDeepStrictEqual } from 'node:util';
import {
  fromLabels,
  isPodReady,
  isPodTerminal,
  keyOf,
  matches,
  splitKey,
  type EndpointAddress,
  type EndpointPort,
  type EndpointSubset,
  type Endpoints,
  type Pod,
  type Service,
  type ServicePort,
} from '@kip/shared';
import type { Registry } from '../api/registry.js';
import type { Store, StoreEvent, Unsubscribe } from '../store/store.js';
import { COALESCE_MS, type Controller, type ControllerDeps, type Enqueue, type ReconcileResult } from './controller.js';

/** The container port a service port reaches on this pod, or undefined if the pod has none by that name. */
export function resolveTargetPort(sp: ServicePort, pod: Pod): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  return undefined;
}

/** The subsets of a service's Endpoints, grouped by resolved ports as Kubernetes packs them. */
export function endpointSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    if (!pod.status?.podIP || isPodTerminal(pod) || pod.metadata.deletionTimestamp) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec.ports) {
      const port = resolveTargetPort(sp, pod);
      if (port !== undefined) ports.push({ name: sp.name ?? '', port, protocol: 'TCP' });
    }
    if (ports.length === 0) continue;
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    const addr: EndpointAddress = {
      ip: pod.status.podIP,
      // A pod names itself within the service its subdomain names: DNS answers `hostname.service`.
      ...(pod.spec.hostname && pod.spec.subdomain === svc.metadata.name ? { hostname: pod.spec.hostname } : {}),
      nodeName: pod.spec.nodeName,
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
    };
    (isPodReady(pod) || svc.spec.publishNotReadyAddresses ? g.ready : g.notReady).push(addr);
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) => a.ip.localeCompare(b.ip, 'en', { numeric: true });
  return [...groups.values()]
    .sort((a, b) => JSON.stringify(a.ports).localeCompare(JSON.stringify(b.ports)))
    .map((g) => ({
      ...(g.ready.length ? { addresses: g.ready.sort(byIp) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
      ports: g.ports,
    }));
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  readonly coalesceMs = COALESCE_MS;
  private readonly store: Store;
  private readonly registry: Registry;

  constructor(deps: ControllerDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    // A pod change concerns every service of its namespace that selected it before or selects it now.
    const onPod = (ev: StoreEvent) => {
      const pod = ev.object as Pod;
      const old = ev.oldObject as Pod | undefined;
      for (const svc of this.store.list<Service>('Service', { namespace: pod.metadata.namespace }).items) {
        if (!svc.spec.selector || Object.keys(svc.spec.selector).length === 0) continue;
        const sel = fromLabels(svc.spec.selector);
        if (matches(sel, pod.metadata.labels) || (old && matches(sel, old.metadata.labels))) enqueue(keyOf(svc));
      }
    };
    return [
      this.store.watch({ kind: 'Service' }, (ev) => enqueue(keyOf(ev.object))),
      this.store.watch({ kind: 'Endpoints' }, (ev) => enqueue(keyOf(ev.object))),
      this.store.watch({ kind: 'Pod' }, onPod),
    ];
  }

  resyncKeys(): string[] {
    return [...this.store.list('Service').items, ...this.store.list('Endpoints').items].map(keyOf);
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const svc = this.store.get<Service>('Service', namespace, name);
    const current = this.store.get<Endpoints>('Endpoints', namespace, name);
    if (!svc) {
      // The service is gone: so are its endpoints (Kubernetes' endpoints controller does the same).
      if (current) this.registry.delete('Endpoints', namespace, name);
      return;
    }
    // A service without a selector has endpoints managed by hand.
    if (!svc.spec.selector || Object.keys(svc.spec.selector).length === 0) return;
    const pods = this.store.list<Pod>('Pod', { namespace, labelSelector: fromLabels(svc.spec.selector) }).items;
    const subsets = endpointSubsets(svc, pods);
    const labels = svc.metadata.labels;
    if (current && isDeepStrictEqual(current.subsets ?? [], subsets) && isDeepStrictEqual(current.metadata.labels, labels)) return;
    const next: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current ? structuredClone(current.metadata) : { name, namespace }), ...(labels ? { labels: { ...labels } } : {}) },
      subsets,
    };
    if (current) this.registry.update(next, { namespace, name });
    else this.registry.create(next, namespace);
  }
}
