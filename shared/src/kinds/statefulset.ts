// StatefulSet: pods with stable identities. Pod N of set `web` is always named `web-N`, has the
// hostname `web-N` in the subdomain of the set's (headless) service, and keeps the claims
// `<template>-web-N` made from the set's volumeClaimTemplates across restarts and rescheduling.

import { Type, type Static } from '@sinclair/typebox';
import { controllerOf } from '../api/meta.js';
import { jsonEqual } from '../json-equal.js';
import type { FieldError } from '../validation/errors.js';
import { child, index, isInt, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { isDNS1123Label } from '../validation/names.js';
import { READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels, writePodTemplate } from './describe.js';
import { defineKind } from './kind.js';
import { ConditionStatus, ObjectMeta } from './meta.js';
import type { Pod } from './pod.js';
import { defaultPodTemplate } from './pod-spec.js';
import { defaultClaimSpec, PersistentVolumeClaimTemplate } from './pvc.js';
import { podPhaseCounts } from './replicaset.js';
import { containerImages, containerNames, defaultReplicas, selectorText, workloadSpec } from './workload.js';

/** The label naming a set's pod, so a Service can select one pod of the set. */
export const LABEL_STATEFULSET_POD_NAME = 'statefulset.kubernetes.io/pod-name';
/** The label carrying a set's pod's ordinal. */
export const LABEL_POD_INDEX = 'apps.kubernetes.io/pod-index';
/** The label naming the revision of the set's template a pod was made from. */
export const LABEL_CONTROLLER_REVISION_HASH = 'controller-revision-hash';

export const StatefulSetUpdateStrategy = withCheck(
  Type.Object({
    type: Type.Optional(StringEnum(['RollingUpdate', 'OnDelete'])),
    rollingUpdate: Type.Optional(
      Type.Object({
        partition: Type.Optional(Type.Integer({ minimum: 0 })),
        maxUnavailable: Type.Optional(Type.Unsafe<number | string>({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] })),
      }),
    ),
  }),
  (s: Obj, field, errors) => {
    const ru = s.rollingUpdate;
    if (!isObj(ru)) return;
    const f = child(field, 'rollingUpdate');
    if (s.type === 'OnDelete') errors.forbidden(f, "only allowed for updateStrategy 'RollingUpdate'");
    // maxUnavailable is an alpha feature (MaxUnavailableStatefulSet) kip does not run: updates go one pod at a time.
    if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== 1) errors.unsupported(child(f, 'maxUnavailable'), ru.maxUnavailable, ['1']);
  },
);
export type StatefulSetUpdateStrategy = Static<typeof StatefulSetUpdateStrategy>;

const RetentionPolicy = StringEnum(['Retain', 'Delete']);

/**
 * Containers of a set's template mount its claim templates by name, though the template has no
 * such volume: the set adds one per claim to each pod. Kubernetes validates the template with the
 * claims added as volumes; here the template's own check has run already (checks run from the
 * leaves up), so its `volumeMounts[].name: Not found` for a claim template's name is taken back.
 */
export function acceptClaimTemplateMounts(errors: FieldErrors, field: string, claimTemplates: ReadonlySet<string>): void {
  const mount = new RegExp(`^${child(field, 'template.spec').replace(/\./g, '\\.')}\\.(initContainers|containers)\\[\\d+\\]\\.volumeMounts\\[\\d+\\]\\.name$`);
  for (let i = errors.list.length - 1; i >= 0; i--) {
    const e = errors.list[i]!;
    const name = /^Not found: "(.*)"$/.exec(e.message)?.[1];
    if (name !== undefined && claimTemplates.has(name) && mount.test(e.field)) errors.list.splice(i, 1);
  }
}

export const StatefulSetSpec = workloadSpec(
  {
    serviceName: Type.Optional(Type.String()),
    podManagementPolicy: Type.Optional(StringEnum(['OrderedReady', 'Parallel'])),
    updateStrategy: Type.Optional(StatefulSetUpdateStrategy),
    revisionHistoryLimit: Type.Optional(Type.Integer({ minimum: 0 })),
    volumeClaimTemplates: Type.Optional(Type.Array(PersistentVolumeClaimTemplate)),
    // Retain (the default) keeps claims when their pod or the set goes; Delete lets them go with it.
    persistentVolumeClaimRetentionPolicy: Type.Optional(
      Type.Object({ whenDeleted: Type.Optional(RetentionPolicy), whenScaled: Type.Optional(RetentionPolicy) }),
    ),
    ordinals: Type.Optional(Type.Object({ start: Type.Optional(Type.Integer({ minimum: 0 })) })),
  },
  (spec: Obj, field, errors) => {
    const svc = spec.serviceName;
    if (typeof svc === 'string' && svc !== '' && !isDNS1123Label(svc))
      errors.invalid(child(field, 'serviceName'), svc, "a DNS-1123 label must consist of lower case alphanumeric characters or '-'");
    const names = new Set<string>();
    const templates = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
    templates.forEach((t, i) => {
      const name = isObj(t) && isObj(t.metadata) ? t.metadata.name : undefined;
      if (typeof name !== 'string') return;
      const f = child(child(index(child(field, 'volumeClaimTemplates'), i), 'metadata'), 'name');
      if (!isDNS1123Label(name)) errors.invalid(f, name, 'a claim template name must be a lowercase RFC 1123 label');
      if (names.has(name)) errors.duplicate(f, name);
      names.add(name);
    });
    acceptClaimTemplateMounts(errors, field, names);
    const start = isObj(spec.ordinals) ? spec.ordinals.start : undefined;
    if (start !== undefined && !isInt(start)) errors.invalid(child(field, 'ordinals.start'), start, 'must be a non-negative integer');
  },
);
export type StatefulSetSpec = Static<typeof StatefulSetSpec>;

export const StatefulSetCondition = Type.Object({
  type: Type.String(),
  status: ConditionStatus,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
});

export const StatefulSetStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    replicas: Type.Integer(),
    readyReplicas: Type.Optional(Type.Integer()),
    currentReplicas: Type.Optional(Type.Integer()),
    updatedReplicas: Type.Optional(Type.Integer()),
    availableReplicas: Type.Optional(Type.Integer()),
    currentRevision: Type.Optional(Type.String()),
    updateRevision: Type.Optional(Type.String()),
    collisionCount: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(StatefulSetCondition)),
  },
  READ_ONLY,
);
export type StatefulSetStatus = Static<typeof StatefulSetStatus>;

export const StatefulSet = Type.Object({
  apiVersion: Type.Literal('apps/v1'),
  kind: Type.Literal('StatefulSet'),
  metadata: ObjectMeta,
  spec: StatefulSetSpec,
  status: Type.Optional(StatefulSetStatus),
});
export type StatefulSet = Static<typeof StatefulSet>;

/** What an update may change in a set's spec; the rest (claims, service, selector, policy) is its identity. */
const MUTABLE_SPEC = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateStatefulSetUpdate(next: StatefulSet, old: StatefulSet): FieldError[] {
  const fixed = (s: StatefulSet) => Object.fromEntries(Object.entries(s.spec).filter(([k]) => !MUTABLE_SPEC.includes(k)));
  if (jsonEqual(fixed(next), fixed(old))) return [];
  const allowed = MUTABLE_SPEC.map((f) => `'${f}'`);
  return [
    {
      field: 'spec',
      message: `Forbidden: updates to statefulset spec for fields other than ${allowed.slice(0, -1).join(', ')} and ${allowed.at(-1)} are forbidden`,
    },
  ];
}

export const statefulSetKind = defineKind<StatefulSet>({
  resource: { kind: 'StatefulSet', plural: 'statefulsets', singular: 'statefulset', shortNames: ['sts'], group: 'apps', version: 'v1', namespaced: true },
  schema: StatefulSet,
  defaults: (s) => {
    defaultReplicas(s.spec);
    s.spec.podManagementPolicy ??= 'OrderedReady';
    s.spec.revisionHistoryLimit ??= 10;
    s.spec.updateStrategy ??= {};
    s.spec.updateStrategy.type ??= 'RollingUpdate';
    if (s.spec.updateStrategy.type === 'RollingUpdate') {
      s.spec.updateStrategy.rollingUpdate ??= {};
      s.spec.updateStrategy.rollingUpdate.partition ??= 0;
    }
    s.spec.persistentVolumeClaimRetentionPolicy ??= {};
    s.spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain';
    s.spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain';
    for (const t of s.spec.volumeClaimTemplates ?? []) {
      t.apiVersion ??= 'v1';
      t.kind ??= 'PersistentVolumeClaim';
      defaultClaimSpec(t.spec);
    }
    defaultPodTemplate(s.spec.template);
  },
  status: { subresource: true, onCreate: 'drop' },
  generation: true,
  subresources: ['scale'],
  validateUpdate: validateStatefulSetUpdate,
  columns: {
    nameColumn: true,
    headers: ['READY', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES'],
    cells: (s, now) => [`${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`, ageSince(s.metadata.creationTimestamp, now)],
    wideCells: (s) => [containerNames(s.spec?.template), containerImages(s.spec?.template)],
  },
  describe: {
    related: (s) => ({ pods: { kind: 'Pod', namespace: s.metadata.namespace } }),
    write(w, s, { events, objects }) {
      const pods = ((objects.pods ?? []) as Pod[]).filter((p) => controllerOf(p)?.uid === s.metadata.uid);
      w.field(0, 'Name', s.metadata.name);
      w.field(0, 'Namespace', s.metadata.namespace ?? '');
      w.field(0, 'CreationTimestamp', w.date(s.metadata.creationTimestamp));
      w.field(0, 'Selector', selectorText(s));
      writeLabels(w, '', 'Labels', s.metadata.labels);
      writeAnnotations(w, '', 'Annotations', s.metadata.annotations);
      w.field(0, 'Replicas', `${s.spec?.replicas ?? 0} desired | ${s.status?.replicas ?? 0} total`);
      const strategy = s.spec?.updateStrategy?.type ?? 'RollingUpdate';
      w.field(0, 'Update Strategy', strategy);
      if (strategy === 'RollingUpdate') w.field(1, 'Partition', s.spec?.updateStrategy?.rollingUpdate?.partition ?? 0);
      const c = podPhaseCounts(pods);
      w.field(0, 'Pods Status', `${c.running} Running / ${c.waiting} Waiting / ${c.succeeded} Succeeded / ${c.failed} Failed`);
      writePodTemplate(w, s.spec?.template);
      const templates = s.spec?.volumeClaimTemplates ?? [];
      if (templates.length === 0) w.field(0, 'Volume Claims', NONE);
      else {
        w.write(0, 'Volume Claims:\n');
        for (const t of templates) {
          w.field(1, 'Name', t.metadata.name);
          w.field(1, 'StorageClass', t.spec.storageClassName ?? '');
          writeLabels(w, '  ', 'Labels', t.metadata.labels);
          writeAnnotations(w, '  ', 'Annotations', t.metadata.annotations);
          w.field(1, 'Capacity', String(t.spec.resources?.requests?.storage ?? ''));
          w.field(1, 'Access Modes', `[${(t.spec.accessModes ?? []).join(' ')}]`);
        }
      }
      writeEvents(w, events);
    },
  },
});
