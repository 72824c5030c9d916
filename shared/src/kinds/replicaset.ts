// ReplicaSet: keeps a number of pods from one template running.

import { Type, type Static } from '@sinclair/typebox';
import { controllerOf } from '../api/meta.js';
import { fromLabelSelector, selectorToString } from '../api/selector.js';
import { READ_ONLY } from '../validation/schema.js';
import { ageSince } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels, writePodTemplate } from './describe.js';
import { defineKind } from './kind.js';
import { ObjectMeta } from './meta.js';
import type { Pod } from './pod.js';
import { defaultPodTemplate } from './pod-spec.js';
import { containerImages, containerNames, defaultReplicas, selectorText, workloadSpec } from './workload.js';

export const ReplicaSetSpec = workloadSpec({});
export type ReplicaSetSpec = Static<typeof ReplicaSetSpec>;

export const ReplicaSetStatus = Type.Object(
  {
    replicas: Type.Integer(),
    fullyLabeledReplicas: Type.Optional(Type.Integer()),
    readyReplicas: Type.Optional(Type.Integer()),
    availableReplicas: Type.Optional(Type.Integer()),
    observedGeneration: Type.Optional(Type.Integer()),
  },
  READ_ONLY,
);
export type ReplicaSetStatus = Static<typeof ReplicaSetStatus>;

export const ReplicaSet = Type.Object({
  apiVersion: Type.Literal('apps/v1'),
  kind: Type.Literal('ReplicaSet'),
  metadata: ObjectMeta,
  spec: ReplicaSetSpec,
  status: Type.Optional(ReplicaSetStatus),
});
export type ReplicaSet = Static<typeof ReplicaSet>;

export function podPhaseCounts(pods: readonly Pod[]): { running: number; waiting: number; succeeded: number; failed: number } {
  const c = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  for (const p of pods) {
    switch (p.status?.phase) {
      case 'Running':
        c.running++;
        break;
      case 'Succeeded':
        c.succeeded++;
        break;
      case 'Failed':
        c.failed++;
        break;
      default:
        c.waiting++;
    }
  }
  return c;
}

export const replicaSetKind = defineKind<ReplicaSet>({
  resource: { kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', shortNames: ['rs'], group: 'apps', version: 'v1', namespaced: true },
  schema: ReplicaSet,
  defaults: (rs) => {
    defaultReplicas(rs.spec);
    defaultPodTemplate(rs.spec.template);
  },
  status: { subresource: true, onCreate: 'drop' },
  generation: true,
  subresources: ['scale'],
  columns: {
    nameColumn: true,
    headers: ['DESIRED', 'CURRENT', 'READY', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (rs, now) => [
      String(rs.spec?.replicas ?? 0),
      String(rs.status?.replicas ?? 0),
      String(rs.status?.readyReplicas ?? 0),
      ageSince(rs.metadata.creationTimestamp, now),
    ],
    wideCells: (rs) => [containerNames(rs.spec?.template), containerImages(rs.spec?.template), selectorText(rs)],
  },
  describe: {
    related: (rs) => ({ pods: { kind: 'Pod', namespace: rs.metadata.namespace } }),
    write(w, rs, { events, objects }) {
      const pods = ((objects.pods ?? []) as Pod[]).filter((p) => controllerOf(p)?.uid === rs.metadata.uid);
      w.field(0, 'Name', rs.metadata.name);
      w.field(0, 'Namespace', rs.metadata.namespace ?? '');
      w.field(0, 'Selector', selectorToString(fromLabelSelector(rs.spec?.selector)) || NONE);
      writeLabels(w, '', 'Labels', rs.metadata.labels);
      writeAnnotations(w, '', 'Annotations', rs.metadata.annotations);
      const owner = controllerOf(rs);
      if (owner) w.field(0, 'Controlled By', `${owner.kind}/${owner.name}`);
      w.field(0, 'Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 0} desired`);
      const c = podPhaseCounts(pods);
      w.field(0, 'Pods Status', `${c.running} Running / ${c.waiting} Waiting / ${c.succeeded} Succeeded / ${c.failed} Failed`);
      writePodTemplate(w, rs.spec?.template);
      writeEvents(w, events);
    },
  },
});
