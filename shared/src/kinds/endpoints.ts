// Endpoints: the ready addresses behind a service, written by the endpoints controller.

import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../validation/schema.js';
import { ageSince } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels } from './describe.js';
import { defineKind } from './kind.js';
import { ObjectMeta, ObjectReference } from './meta.js';

export const EndpointAddress = Type.Object({
  ip: Type.String(),
  hostname: Type.Optional(Type.String()),
  nodeName: Type.Optional(Type.String()),
  targetRef: Type.Optional(ObjectReference),
});
export type EndpointAddress = Static<typeof EndpointAddress>;

export const EndpointPort = Type.Object({ name: Type.Optional(Type.String()), port: Type.Integer(), protocol: Type.Optional(StringEnum(['TCP'])) });
export type EndpointPort = Static<typeof EndpointPort>;

export const EndpointSubset = Type.Object({
  addresses: Type.Optional(Type.Array(EndpointAddress)),
  notReadyAddresses: Type.Optional(Type.Array(EndpointAddress)),
  ports: Type.Optional(Type.Array(EndpointPort)),
});
export type EndpointSubset = Static<typeof EndpointSubset>;

export const Endpoints = Type.Object({
  apiVersion: Type.Literal('v1'),
  kind: Type.Literal('Endpoints'),
  metadata: ObjectMeta,
  subsets: Type.Optional(Type.Array(EndpointSubset)),
});
export type Endpoints = Static<typeof Endpoints>;

/** `10.244.1.2:8080,10.244.2.3:8080 + 1 more...`, as kubectl shortens endpoint lists. */
export function formatEndpoints(ep: Endpoints, max = 3): string {
  const all: string[] = [];
  for (const subset of ep.subsets ?? []) {
    for (const a of subset.addresses ?? []) {
      if ((subset.ports ?? []).length === 0) all.push(a.ip);
      for (const p of subset.ports ?? []) all.push(`${a.ip}:${p.port}`);
    }
  }
  if (all.length === 0) return NONE;
  const shown = all.slice(0, max).join(',');
  return all.length > max ? `${shown} + ${all.length - max} more...` : shown;
}

export const endpointsKind = defineKind<Endpoints>({
  resource: { kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', shortNames: ['ep'], group: '', version: 'v1', namespaced: true },
  schema: Endpoints,
  status: { subresource: false, onCreate: 'keep' },
  columns: {
    nameColumn: true,
    headers: ['ENDPOINTS', 'AGE'],
    wideHeaders: [],
    cells: (e, now) => [formatEndpoints(e), ageSince(e.metadata.creationTimestamp, now)],
    wideCells: () => [],
  },
  describe: {
    write(w, ep, { events }) {
      w.field(0, 'Name', ep.metadata.name);
      w.field(0, 'Namespace', ep.metadata.namespace ?? '');
      writeLabels(w, '', 'Labels', ep.metadata.labels);
      writeAnnotations(w, '', 'Annotations', ep.metadata.annotations);
      w.write(0, 'Subsets:\n');
      for (const s of ep.subsets ?? []) {
        w.write(1, `Addresses:\t${(s.addresses ?? []).map((a) => a.ip).join(',') || NONE}\n`);
        w.write(1, `NotReadyAddresses:\t${(s.notReadyAddresses ?? []).map((a) => a.ip).join(',') || NONE}\n`);
        if (s.ports?.length) {
          w.write(1, 'Ports:\n');
          w.write(2, 'Name\tPort\tProtocol\n');
          w.write(2, '----\t----\t--------\n');
          for (const p of s.ports) w.write(2, `${p.name || '<unset>'}\t${p.port}\t${p.protocol ?? 'TCP'}\n`);
        }
        w.write(0, '\n');
      }
      writeEvents(w, events);
    },
  },
});
