// Service: a stable virtual IP in 10.96.0.0/16 in front of the pods its selector picks, which the
// agents' proxies balance over. Its `type` adds ways in from outside the pod network, as in
// Kubernetes: NodePort (a port on every node's address), LoadBalancer (a NodePort service with an
// external address of its own) and ExternalName (no address at all: its name stands for another).

import { Type, type Static } from '@sinclair/typebox';
import { ipToNumber } from '../ipv4.js';
import { child, FieldErrors, index, isObj, type FieldError, type Obj } from '../validation/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, PORT_NAME } from '../validation/names.js';
import { IntOrString, notRequiredOnInput, READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { mergeByKey } from '../validation/patch-keys.js';
import { ageSince } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels } from './describe.js';
import type { Endpoints } from './endpoints.js';
import { defineKind } from './kind.js';
import { Labels, ObjectMeta } from './meta.js';

export const ServicePort = withCheck(
  Type.Object({
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(StringEnum(['TCP'])),
    name: Type.Optional(Type.String()),
    targetPort: Type.Optional(IntOrString()),
    /** Where every node listens for this port (NodePort and LoadBalancer), allocated by the API server when left out. */
    nodePort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  }),
  (p: Obj, field, errors) => {
    if (typeof p.name === 'string' && !isDNS1123Label(p.name)) errors.invalid(child(field, 'name'), p.name, 'a port name must be a lowercase RFC 1123 label');
    const tp = p.targetPort;
    const f = child(field, 'targetPort');
    if (tp === undefined) return;
    if (typeof tp === 'number') errors.integer(tp, f, 1, 65535);
    else if (typeof tp !== 'string' || !PORT_NAME.test(tp)) errors.invalid(f, tp, 'must be a port number or a container port name');
  },
);
export type ServicePort = Static<typeof ServicePort>;

/** Port names are unique, and needed as soon as there is more than one port. */
function checkPorts(ports: unknown[], field: string, errors: FieldErrors): void {
  const names = new Set<string>();
  ports.forEach((p, i) => {
    if (!isObj(p)) return;
    const f = child(index(field, i), 'name');
    if (typeof p.name === 'string') {
      if (names.has(p.name)) errors.duplicate(f, p.name);
      names.add(p.name);
    } else if (ports.length > 1) errors.required(f, 'ports must be named when a service has more than one');
  });
}

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export const ServiceSpec = withCheck(
  // ports may be left out of an ExternalName service, and only of one (checked below).
  notRequiredOnInput(
    Type.Object({
      selector: Type.Optional(Labels),
      type: Type.Optional(StringEnum(SERVICE_TYPES)),
      sessionAffinity: Type.Optional(StringEnum(['None', 'ClientIP'])),
      clusterIP: Type.Optional(Type.String()),
      ports: withCheck(Type.Array(ServicePort, mergeByKey('port')), checkPorts),
      clusterIPs: Type.Optional(Type.Array(Type.String())),
      /** Every selected pod's address counts as ready, ready or not: how a StatefulSet's peers find each other before they are ready. */
      publishNotReadyAddresses: Type.Optional(Type.Boolean()),
      /** ExternalName: the DNS name the service's name stands for. */
      externalName: Type.Optional(Type.String()),
      /** NodePort and LoadBalancer: Local sends outside traffic only to endpoints on the node it came in at. */
      externalTrafficPolicy: Type.Optional(StringEnum(['Cluster', 'Local'])),
      internalTrafficPolicy: Type.Optional(StringEnum(['Cluster', 'Local'])),
      /** LoadBalancer: whether node ports are allocated too (default true). */
      allocateLoadBalancerNodePorts: Type.Optional(Type.Boolean()),
      /** LoadBalancer: the address asked for (deprecated in Kubernetes, still honoured). */
      loadBalancerIP: Type.Optional(Type.String()),
      /** LoadBalancer: which implementation serves it; kip's serves only services without a class. */
      loadBalancerClass: Type.Optional(Type.String()),
    }),
    'ports',
  ),
  (spec: Obj, field, errors) => {
    const external = spec.type === 'ExternalName';
    const ports = spec.ports;
    if (!external && ports === undefined) errors.required(child(field, 'ports'));
    else if (!external && Array.isArray(ports) && ports.length === 0) errors.required(child(field, 'ports'), 'a service needs at least one port');
    const ip = spec.clusterIP;
    if (typeof ip === 'string' && ip && ip !== 'None' && ipToNumber(ip) === undefined)
      // Whether it is in the service range is the cluster IP allocator's to say (--service-cidr).
      errors.invalid(child(field, 'clusterIP'), ip, 'must be a valid IP address, (e.g. 10.96.0.20)');
    const lbIP = spec.loadBalancerIP;
    if (typeof lbIP === 'string' && lbIP && ipToNumber(lbIP) === undefined)
      errors.invalid(child(field, 'loadBalancerIP'), lbIP, 'must be a valid IPv4 address');
    const name = spec.externalName;
    if (external) {
      if (typeof name !== 'string' || !name) errors.required(child(field, 'externalName'));
      else if (!isDNS1123Subdomain(name.replace(/\.$/, '')))
        errors.invalid(
          child(field, 'externalName'),
          name,
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
        );
    }
  },
);
export type ServiceSpec = Static<typeof ServiceSpec>;

/** Types that open a port on every node: NodePort, and LoadBalancer unless it opts out. */
export function needsNodePorts(spec: Pick<ServiceSpec, 'type' | 'allocateLoadBalancerNodePorts'>): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

/** Types that take traffic from outside the cluster, where externalTrafficPolicy means something. */
export function isExternallyReachable(spec: Pick<ServiceSpec, 'type'>): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

/**
 * Fields that only some types may have, as the API server checks them once an update has dropped
 * what the new type no longer uses (see dropTypeDependentFields): nodePort only where node ports
 * are allocated, externalTrafficPolicy only for NodePort and LoadBalancer, no cluster IP for
 * ExternalName, the load balancer's fields only for LoadBalancer.
 */
export function serviceTypeErrors(spec: ServiceSpec, field = 'spec'): FieldError[] {
  const errors = new FieldErrors();
  const type = spec.type ?? 'ClusterIP';
  const typeText = `may not be used when \`type\` is '${type}'`;
  if (!needsNodePorts(spec))
    (spec.ports ?? []).forEach((p, i) => {
      if (p.nodePort) errors.forbidden(child(index(child(field, 'ports'), i), 'nodePort'), typeText);
    });
  if (spec.externalTrafficPolicy && !isExternallyReachable(spec))
    errors.invalid(child(field, 'externalTrafficPolicy'), spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'");
  if (type === 'ExternalName' && spec.clusterIP && spec.clusterIP !== 'None')
    errors.forbidden(child(field, 'clusterIP'), "may not be set for type 'ExternalName'");
  if (type !== 'ExternalName' && spec.externalName) errors.forbidden(child(field, 'externalName'), typeText);
  if (type !== 'LoadBalancer') {
    if (spec.loadBalancerClass) errors.forbidden(child(field, 'loadBalancerClass'), "may only be used when `type` is 'LoadBalancer'");
    if (spec.allocateLoadBalancerNodePorts !== undefined)
      errors.forbidden(child(field, 'allocateLoadBalancerNodePorts'), "may only be used when `type` is 'LoadBalancer'");
  }
  if (spec.clusterIP === 'None' && isExternallyReachable(spec))
    errors.invalid(child(field, 'clusterIP'), 'None', `may not be set to 'None' for ${type} services`);
  return errors.list;
}

/**
 * What an update drops because the new type does not use it, as the API server's
 * dropTypeDependentFields does: a node port the client left as it was (an apply of `type:
 * ClusterIP` over a NodePort service still carries it), the traffic policy, the cluster IP of a
 * service turned ExternalName, the load balancer's fields. A value the client changed stays, and
 * is refused by serviceTypeErrors.
 */
export function dropTypeDependentFields(next: ServiceSpec, old: ServiceSpec): void {
  if (!needsNodePorts(next) && needsNodePorts(old))
    for (const p of next.ports ?? []) {
      const before = (old.ports ?? []).find((o) => o.port === p.port && (o.name ?? '') === (p.name ?? ''));
      if (p.nodePort && p.nodePort === before?.nodePort) delete p.nodePort;
    }
  if (!isExternallyReachable(next) && next.externalTrafficPolicy === old.externalTrafficPolicy) delete next.externalTrafficPolicy;
  if (next.type === 'ExternalName' && old.type !== 'ExternalName' && next.clusterIP === old.clusterIP) {
    delete next.clusterIP;
    delete next.clusterIPs;
  }
  if (next.type !== 'LoadBalancer' && old.type === 'LoadBalancer') {
    if (next.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) delete next.allocateLoadBalancerNodePorts;
    if (next.loadBalancerClass === old.loadBalancerClass) delete next.loadBalancerClass;
  }
}

/** The addresses a load balancer gave the service (status.loadBalancer.ingress[].ip). */
export function loadBalancerIngress(svc: Service): string[] {
  const lb = (svc.status as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined)?.loadBalancer;
  return (lb?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter(Boolean);
}

/** EXTERNAL-IP as kubectl prints it: the load balancer's addresses (`<pending>` until it has some), or the external name. */
export function serviceExternalIP(svc: Service): string {
  const spec = svc.spec;
  if (spec?.type === 'ExternalName') return spec.externalName ?? NONE;
  if (spec?.type === 'LoadBalancer') {
    const ips = loadBalancerIngress(svc);
    return ips.length > 0 ? ips.join(',') : '<pending>';
  }
  return NONE;
}

export const Service = Type.Object({
  apiVersion: Type.Literal('v1'),
  kind: Type.Literal('Service'),
  metadata: ObjectMeta,
  spec: ServiceSpec,
  status: Type.Optional(Type.Record(Type.String(), Type.Unknown(), READ_ONLY)),
});
export type Service = Static<typeof Service>;

export function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return NONE;
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

/** The ready endpoints of one service port, `ip:port,...`, as kubectl lists them per port. */
export function endpointsForPort(ep: Endpoints | undefined, portName: string | undefined): string {
  const out: string[] = [];
  for (const subset of ep?.subsets ?? []) {
    for (const p of subset.ports ?? []) {
      if ((p.name ?? '') !== (portName ?? '')) continue;
      for (const a of subset.addresses ?? []) out.push(`${a.ip}:${p.port}`);
    }
  }
  return out.length > 0 ? out.join(',') : NONE;
}

export const serviceKind = defineKind<Service>({
  resource: { kind: 'Service', plural: 'services', singular: 'service', shortNames: ['svc'], group: '', version: 'v1', namespaced: true },
  schema: Service,
  subresources: ['proxy'],
  defaults: (s) => {
    s.spec.type ??= 'ClusterIP';
    s.spec.sessionAffinity ??= 'None';
    s.spec.ports ??= [];
    if (isExternallyReachable(s.spec)) s.spec.externalTrafficPolicy ??= 'Cluster';
    if (s.spec.type === 'LoadBalancer') s.spec.allocateLoadBalancerNodePorts ??= true;
    if (s.spec.type !== 'ExternalName') s.spec.internalTrafficPolicy ??= 'Cluster';
    for (const p of s.spec.ports ?? []) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  },
  status: { subresource: true, onCreate: 'keep' },
  prepareForUpdate: (next, old) => dropTypeDependentFields(next.spec, old.spec),
  columns: {
    nameColumn: true,
    headers: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wideHeaders: ['SELECTOR'],
    cells: (s, now) => [
      s.spec?.type ?? 'ClusterIP',
      s.spec?.clusterIP || NONE,
      serviceExternalIP(s),
      servicePorts(s),
      ageSince(s.metadata.creationTimestamp, now),
    ],
    wideCells: (s) => [
      Object.entries(s.spec?.selector ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || NONE,
    ],
  },
  describe: {
    related: (svc) => ({ endpoints: { kind: 'Endpoints', namespace: svc.metadata.namespace, name: svc.metadata.name } }),
    write(w, svc, { events, objects }) {
      const endpoints = objects.endpoints?.[0] as Endpoints | undefined;
      w.field(0, 'Name', svc.metadata.name);
      w.field(0, 'Namespace', svc.metadata.namespace ?? '');
      writeLabels(w, '', 'Labels', svc.metadata.labels);
      writeAnnotations(w, '', 'Annotations', svc.metadata.annotations);
      const selector = Object.entries(svc.spec?.selector ?? {})
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      w.field(0, 'Selector', selector || NONE);
      w.field(0, 'Type', svc.spec?.type ?? 'ClusterIP');
      w.field(0, 'IP', svc.spec?.clusterIP || NONE);
      w.field(0, 'IPs', (svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : [])).join(',') || NONE);
      if (svc.spec?.type === 'ExternalName') w.field(0, 'External Name', svc.spec.externalName ?? '');
      if (svc.spec?.loadBalancerIP) w.field(0, 'LoadBalancer IP', svc.spec.loadBalancerIP);
      const ingress = loadBalancerIngress(svc);
      if (ingress.length > 0) w.field(0, 'LoadBalancer Ingress', ingress.join(', '));
      for (const p of svc.spec?.ports ?? []) {
        const proto = p.protocol ?? 'TCP';
        w.write(0, `Port:\t${p.name || '<unset>'}\t${p.port}/${proto}\n`);
        w.write(0, `TargetPort:\t${p.targetPort ?? p.port}/${proto}\n`);
        if (p.nodePort) w.write(0, `NodePort:\t${p.name || '<unset>'}\t${p.nodePort}/${proto}\n`);
        w.write(0, `Endpoints:\t${endpointsForPort(endpoints, p.name)}\n`);
      }
      w.field(0, 'Session Affinity', svc.spec?.sessionAffinity ?? 'None');
      if (svc.spec?.externalTrafficPolicy) w.field(0, 'External Traffic Policy', svc.spec.externalTrafficPolicy);
      writeEvents(w, events);
    },
  },
});
