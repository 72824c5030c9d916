// Event: a record of something that happened to an object, for `kip get events` and describe.

import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../validation/schema.js';
import { ageSince } from './age.js';
import { writeGeneric } from './describe.js';
import { defineKind } from './kind.js';
import { ObjectMeta, ObjectReference } from './meta.js';

export const Event = Type.Object({
  apiVersion: Type.Literal('v1'),
  kind: Type.Literal('Event'),
  metadata: ObjectMeta,
  involvedObject: ObjectReference,
  reason: Type.String(),
  message: Type.String(),
  type: StringEnum(['Normal', 'Warning']),
  source: Type.Optional(Type.Object({ component: Type.String(), host: Type.Optional(Type.String()) })),
  firstTimestamp: Type.Optional(Type.String()),
  lastTimestamp: Type.Optional(Type.String()),
  count: Type.Optional(Type.Integer()),
  reportingComponent: Type.Optional(Type.String()),
  reportingInstance: Type.Optional(Type.String()),
});
export type Event = Static<typeof Event>;

export function eventTime(e: Event): string | undefined {
  return e.lastTimestamp || e.firstTimestamp || (e as { eventTime?: string }).eventTime || e.metadata.creationTimestamp;
}

/**
 * Oldest first, as `kubectl events` and a reader of a timeline expect. Event times have whole
 * seconds only, so events of one second (Scheduled, Pulled, Created, Started) are put in the order
 * the store wrote them, by resourceVersion, instead of the random order of their names.
 */
export function sortEvents(events: Event[]): Event[] {
  const rv = (e: Event) => Number(e.metadata.resourceVersion) || 0;
  return [...events].sort((a, b) => (Date.parse(eventTime(a) ?? '') || 0) - (Date.parse(eventTime(b) ?? '') || 0) || rv(a) - rv(b));
}

function eventObject(e: Event): string {
  const kind = (e.involvedObject?.kind ?? '').toLowerCase();
  return e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
}

export const eventKind = defineKind<Event>({
  resource: { kind: 'Event', plural: 'events', singular: 'event', shortNames: ['ev'], group: '', version: 'v1', namespaced: true },
  schema: Event,
  status: { subresource: false, onCreate: 'keep' },
  columns: {
    nameColumn: false,
    headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    wideHeaders: ['SUBOBJECT', 'SOURCE', 'FIRST SEEN', 'COUNT', 'NAME'],
    cells: (e, now) => [ageSince(eventTime(e), now), e.type ?? '', e.reason ?? '', eventObject(e), (e.message ?? '').trim()],
    wideCells: (e, now) => [
      e.involvedObject?.fieldPath ?? '',
      [e.source?.component ?? e.reportingComponent ?? '', e.source?.host].filter(Boolean).join(', '),
      ageSince(e.firstTimestamp ?? eventTime(e), now),
      String(e.count ?? 1),
      e.metadata.name,
    ],
  },
  listOrder: sortEvents,
  // An event has no events of its own to list.
  describe: { write: (w, e) => writeGeneric(w, e) },
});
