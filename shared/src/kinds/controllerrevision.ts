// ControllerRevision: an immutable snapshot of a workload's template at one revision, so that a
// StatefulSet can recreate a pod of an older revision (below its rollout partition) from the
// template that pod was made from, and roll back to it.

import { Type, type Static } from '@sinclair/typebox';
import { controllerOf } from '../api/meta.js';
import { ageSince } from './age.js';
import { NONE } from './describe.js';
import { defineKind } from './kind.js';
import { ObjectMeta } from './meta.js';

export const ControllerRevision = Type.Object({
  apiVersion: Type.Literal('apps/v1'),
  kind: Type.Literal('ControllerRevision'),
  metadata: ObjectMeta,
  data: Type.Optional(Type.Unknown({ 'x-kubernetes-preserve-unknown-fields': true })),
  revision: Type.Integer({ minimum: 0 }),
});
export type ControllerRevision = Static<typeof ControllerRevision>;

export const controllerRevisionKind = defineKind<ControllerRevision>({
  resource: {
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    singular: 'controllerrevision',
    shortNames: [],
    group: 'apps',
    version: 'v1',
    namespaced: true,
  },
  schema: ControllerRevision,
  status: { subresource: false, onCreate: 'keep' },
  // Data and revision never change: a new template is a new revision object.
  validateUpdate: (next, old) =>
    JSON.stringify(next.data) === JSON.stringify(old.data) ? [] : [{ field: 'data', message: 'Invalid value: field is immutable' }],
  columns: {
    nameColumn: true,
    headers: ['CONTROLLER', 'REVISION', 'AGE'],
    wideHeaders: [],
    cells: (r, now) => {
      const owner = controllerOf(r);
      return [owner ? `${owner.kind.toLowerCase()}.apps/${owner.name}` : NONE, String(r.revision), ageSince(r.metadata.creationTimestamp, now)];
    },
    wideCells: () => [],
  },
});
