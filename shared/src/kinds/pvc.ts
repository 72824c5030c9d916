// PersistentVolumeClaim: a pod's request for storage that outlives the pod. A provisioner binds
// each Pending claim to a PersistentVolume of its storage class (kip's is a directory on this
// machine, as kind's local-path provisioner makes one); a pod that names a claim mounts the
// volume the claim is bound to.

import { Type, type Static } from '@sinclair/typebox';
import { isQuantity, parseQuantity } from '../api/quantity.js';
import { jsonEqual } from '../json-equal.js';
import { child, isObj, type FieldError, type Obj } from '../validation/errors.js';
import { claimNamesOf } from './claims.js';
import { READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels } from './describe.js';
import { defineKind } from './kind.js';
import { LabelSelector, ObjectMeta } from './meta.js';

/** The default storage class kip makes at its first start, with the name kind's default class has. */
export const DEFAULT_STORAGE_CLASS = 'standard';

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
export const PersistentVolumeAccessMode = StringEnum(ACCESS_MODES);
export type PersistentVolumeAccessMode = Static<typeof PersistentVolumeAccessMode>;

/** kubectl's short forms of access modes, as its tables print them. */
const SHORT_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
export function accessModesText(modes: readonly string[] | undefined): string {
  return (modes ?? []).map((m) => SHORT_MODES[m] ?? m).join(',');
}

const Quantity = Type.Unsafe<string>({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });

/** `storage: 1Gi`: the only resource a volume has. */
export const StorageList = withCheck(Type.Record(Type.String(), Quantity), (list: Obj, field, errors) => {
  for (const [name, q] of Object.entries(list)) {
    const f = child(field, name);
    if (name !== 'storage') errors.unsupported(f, name, ['storage']);
    else if (!isQuantity(q)) errors.invalid(f, q, 'must be a quantity such as "1Gi" or "500Mi"');
    else if ((parseQuantity(q as string) ?? 0) <= 0) errors.invalid(f, q, 'must be greater than zero');
  }
});
export type StorageList = Static<typeof StorageList>;

export const PersistentVolumeClaimSpec = withCheck(
  Type.Object({
    accessModes: Type.Optional(Type.Array(PersistentVolumeAccessMode)),
    resources: Type.Optional(Type.Object({ requests: Type.Optional(StorageList), limits: Type.Optional(StorageList) })),
    storageClassName: Type.Optional(Type.String()),
    volumeName: Type.Optional(Type.String()),
    volumeMode: Type.Optional(StringEnum(['Filesystem', 'Block'])),
    selector: Type.Optional(LabelSelector),
  }),
  (spec: Obj, field, errors) => {
    if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) errors.required(child(field, 'accessModes'), 'at least 1 access mode is required');
    const requests = isObj(spec.resources) && isObj(spec.resources.requests) ? spec.resources.requests : undefined;
    if (requests?.storage === undefined) errors.required(child(field, 'resources.requests.storage'));
    if (spec.volumeMode === 'Block') errors.unsupported(child(field, 'volumeMode'), 'Block', ['Filesystem']);
  },
);
export type PersistentVolumeClaimSpec = Static<typeof PersistentVolumeClaimSpec>;

export const PersistentVolumeClaimStatus = Type.Object(
  {
    phase: Type.Optional(StringEnum(['Pending', 'Bound', 'Lost'])),
    accessModes: Type.Optional(Type.Array(PersistentVolumeAccessMode)),
    capacity: Type.Optional(StorageList),
  },
  READ_ONLY,
);
export type PersistentVolumeClaimStatus = Static<typeof PersistentVolumeClaimStatus>;

export const PersistentVolumeClaim = Type.Object({
  apiVersion: Type.Literal('v1'),
  kind: Type.Literal('PersistentVolumeClaim'),
  metadata: ObjectMeta,
  spec: PersistentVolumeClaimSpec,
  status: Type.Optional(PersistentVolumeClaimStatus),
});
export type PersistentVolumeClaim = Static<typeof PersistentVolumeClaim>;

/** The claim template of a StatefulSet: a claim without its name, which the set gives it. */
export const PersistentVolumeClaimTemplate = Type.Object({
  apiVersion: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  metadata: Type.Object({
    name: Type.String({ minLength: 1 }),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  }),
  spec: PersistentVolumeClaimSpec,
});
export type PersistentVolumeClaimTemplate = Static<typeof PersistentVolumeClaimTemplate>;

/** The class a claim that names none gets is the default StorageClass's, given by admission when the claim is made. */
export function defaultClaimSpec(spec: PersistentVolumeClaimSpec): void {
  spec.volumeMode ??= 'Filesystem';
}

/** A claim's spec is fixed once made, but for a larger request and the volume a binder fills in. */
function validateClaimUpdate(next: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  const fixed = (c: PersistentVolumeClaim, volumeName: string | undefined) => ({ ...c.spec, resources: undefined, volumeName });
  const volumeName = old.spec.volumeName || next.spec.volumeName;
  if (!jsonEqual(fixed(next, next.spec.volumeName), fixed(old, volumeName)))
    return [{ field: 'spec', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' }];
  return [];
}

export const persistentVolumeClaimKind = defineKind<PersistentVolumeClaim>({
  resource: {
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    singular: 'persistentvolumeclaim',
    shortNames: ['pvc'],
    group: '',
    version: 'v1',
    namespaced: true,
  },
  schema: PersistentVolumeClaim,
  defaults: (c) => defaultClaimSpec(c.spec),
  status: { subresource: true, onCreate: () => ({ phase: 'Pending' }) },
  validateUpdate: validateClaimUpdate,
  // Storage object in use protection (kubernetes.io/pvc-protection): a claim a pod still uses stays,
  // Terminating, until no pod uses it; the volume provisioner then deletes it.
  deletion: { terminate: () => {} },
  columns: {
    nameColumn: true,
    headers: ['STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'AGE'],
    wideHeaders: ['VOLUMEMODE'],
    cells: (c, now) => {
      const bound = c.status?.phase === 'Bound';
      return [
        c.metadata.deletionTimestamp ? 'Terminating' : (c.status?.phase ?? 'Pending'),
        c.spec?.volumeName ?? '',
        bound ? String(c.status?.capacity?.storage ?? '') : '',
        bound ? accessModesText(c.status?.accessModes) : '',
        c.spec?.storageClassName ?? '',
        ageSince(c.metadata.creationTimestamp, now),
      ];
    },
    wideCells: (c) => [c.spec?.volumeMode ?? 'Filesystem'],
  },
  describe: {
    related: (c) => ({ pods: { kind: 'Pod', namespace: c.metadata.namespace } }),
    write(w, c, { events, objects }) {
      const users = (objects.pods ?? []).filter((p) => claimNamesOf(p).includes(c.metadata.name)).map((p) => p.metadata.name);
      w.field(0, 'Name', c.metadata.name);
      w.field(0, 'Namespace', c.metadata.namespace ?? '');
      w.field(0, 'StorageClass', c.spec?.storageClassName ?? '');
      w.field(0, 'Status', c.metadata.deletionTimestamp ? 'Terminating' : (c.status?.phase ?? 'Pending'));
      w.field(0, 'Volume', c.spec?.volumeName ?? '');
      writeLabels(w, '', 'Labels', c.metadata.labels);
      writeAnnotations(w, '', 'Annotations', c.metadata.annotations);
      w.field(0, 'Finalizers', `[${(c.metadata.finalizers ?? []).join(' ')}]`);
      w.field(0, 'Capacity', String(c.status?.capacity?.storage ?? ''));
      w.field(0, 'Access Modes', accessModesText(c.status?.accessModes));
      w.field(0, 'VolumeMode', c.spec?.volumeMode ?? 'Filesystem');
      w.field(0, 'Used By', users.length ? users.join(', ') : NONE);
      writeEvents(w, events);
    },
  },
});
