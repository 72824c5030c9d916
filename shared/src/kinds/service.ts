// Service: a stable virtual IP in 10.96.0.0/16 in front of the pods its selector picks, which the
// agents' proxies balance over.

import { Type, type Static } from '@sinclair/typebox';
import { ipToNumber } from '../ipv4.js';
import { child, index, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { isDNS1123Label, PORT_NAME } from '../validation/names.js';
import { IntOrString, READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
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
  if (ports.length === 0) errors.required(field, 'a service needs at least one port');
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

export const ServiceSpec = withCheck(
  Type.Object({
    selector: Type.Optional(Labels),
    type: Type.Optional(StringEnum(['ClusterIP'])),
    sessionAffinity: Type.Optional(StringEnum(['None', 'ClientIP'])),
    clusterIP: Type.Optional(Type.String()),
    ports: withCheck(Type.Array(ServicePort, mergeByKey('port')), checkPorts),
    clusterIPs: Type.Optional(Type.Array(Type.String())),
    /** Every selected pod's address counts as ready, ready or not: how a StatefulSet's peers find each other before they are ready. */
    publishNotReadyAddresses: Type.Optional(Type.Boolean()),
  }),
  (spec: Obj, field, errors) => {
    const ip = spec.clusterIP;
    if (typeof ip !== 'string' || !ip || ip === 'None') return;
    // Whether it is in the service range is the cluster IP allocator's to say (--service-cidr).
    if (ipToNumber(ip) === undefined) errors.invalid(child(field, 'clusterIP'), ip, 'must be a valid IP address, (e.g. 10.96.0.20)');
  },
);
export type ServiceSpec = Static<typeof ServiceSpec>;

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
  return ports
    .map((p) => {
      const nodePort = (p as { nodePort?: number }).nodePort;
      return `${p.port}${nodePort ? `:${nodePort}` : ''}/${p.protocol ?? 'TCP'}`;
    })
    .join(',');
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
  defaults: (s) => {
    s.spec.type ??= 'ClusterIP';
    s.spec.sessionAffinity ??= 'None';
    for (const p of s.spec.ports ?? []) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  },
  status: { subresource: true, onCreate: 'keep' },
  columns: {
    nameColumn: true,
    headers: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wideHeaders: ['SELECTOR'],
    cells: (s, now) => [s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP || NONE, NONE, servicePorts(s), ageSince(s.metadata.creationTimestamp, now)],
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
      for (const p of svc.spec?.ports ?? []) {
        const proto = p.protocol ?? 'TCP';
        w.write(0, `Port:\t${p.name || '<unset>'}\t${p.port}/${proto}\n`);
        w.write(0, `TargetPort:\t${p.targetPort ?? p.port}/${proto}\n`);
        w.write(0, `Endpoints:\t${endpointsForPort(endpoints, p.name)}\n`);
      }
      w.field(0, 'Session Affinity', svc.spec?.sessionAffinity ?? 'None');
      writeEvents(w, events);
    },
  },
});
