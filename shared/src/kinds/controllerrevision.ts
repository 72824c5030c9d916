// ControllerRevision (apps/v1): one revision of a DaemonSet's pod template, kept so that `kubectl
// rollout history daemonset/NAME` can list them. The DaemonSet controller writes them; `data`
// holds the template as Kubernetes keeps it (`{spec: {template: ...}}`).

import { Type, type Static } from '@sinclair/typebox';
import { ageSince } from './age.js';
import { defineKind } from './kind.js';
import { ObjectMeta } from './meta.js';

export const ControllerRevision = Type.Object({
  apiVersion: Type.Literal('apps/v1'),
  kind: Type.Literal('ControllerRevision'),
  metadata: ObjectMeta,
  data: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true })),
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
  columns: {
    nameColumn: true,
    headers: ['CONTROLLER', 'REVISION', 'AGE'],
    wideHeaders: [],
    cells: (cr, now) => {
      const owner = cr.metadata.ownerReferences?.find((o) => o.controller);
      return [
        owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.split('/')[0]}/${owner.name}` : '<none>',
        String(cr.revision),
        ageSince(cr.metadata.creationTimestamp, now),
      ];
    },
    wideCells: () => [],
  },
});
