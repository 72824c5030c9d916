// PersistentVolume: a piece of storage in the cluster, cluster-wide, that one claim binds. kip's
// volumes are directories on this machine (`hostPath` or `local`), which every agent of the
// machine can reach; the local provisioner makes one per claim of the default storage class.

import { Type, type Static } from '@sinclair/typebox';
import { child, isObj, type Obj } from '../validation/errors.js';
import { READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels } from './describe.js';
import { defineKind } from './kind.js';
import { ObjectMeta, ObjectReference } from './meta.js';
import { accessModesText, PersistentVolumeAccessMode, StorageList } from './pvc.js';

/** Annotation on a volume naming the provisioner that made it, as Kubernetes sets it. */
export const ANNOTATION_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

export const PersistentVolumeSpec = withCheck(
  Type.Object({
    capacity: Type.Optional(StorageList),
    accessModes: Type.Optional(Type.Array(PersistentVolumeAccessMode)),
    persistentVolumeReclaimPolicy: Type.Optional(StringEnum(['Retain', 'Delete', 'Recycle'])),
    storageClassName: Type.Optional(Type.String()),
    volumeMode: Type.Optional(StringEnum(['Filesystem', 'Block'])),
    claimRef: Type.Optional(ObjectReference),
    hostPath: Type.Optional(Type.Object({ path: Type.String({ minLength: 1 }), type: Type.Optional(Type.String()) })),
    local: Type.Optional(Type.Object({ path: Type.String({ minLength: 1 }), fsType: Type.Optional(Type.String()) })),
    nodeAffinity: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    mountOptions: Type.Optional(Type.Array(Type.String())),
  }),
  (spec: Obj, field, errors) => {
    if (!isObj(spec.hostPath) && !isObj(spec.local)) errors.required(field, 'must specify a volume type: kip volumes are directories (`hostPath` or `local`)');
    if (isObj(spec.hostPath) && isObj(spec.local)) errors.forbidden(child(field, 'local'), 'may not specify more than 1 volume type');
    if (!isObj(spec.capacity) || spec.capacity.storage === undefined) errors.required(child(field, 'capacity.storage'));
    if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) errors.required(child(field, 'accessModes'), 'at least 1 access mode is required');
  },
);
export type PersistentVolumeSpec = Static<typeof PersistentVolumeSpec>;

export const PersistentVolumeStatus = Type.Object(
  {
    phase: Type.Optional(StringEnum(['Pending', 'Available', 'Bound', 'Released', 'Failed'])),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
  },
  READ_ONLY,
);
export type PersistentVolumeStatus = Static<typeof PersistentVolumeStatus>;

export const PersistentVolume = Type.Object({
  apiVersion: Type.Literal('v1'),
  kind: Type.Literal('PersistentVolume'),
  metadata: ObjectMeta,
  spec: PersistentVolumeSpec,
  status: Type.Optional(PersistentVolumeStatus),
});
export type PersistentVolume = Static<typeof PersistentVolume>;

function claimText(pv: PersistentVolume): string {
  const ref = pv.spec?.claimRef;
  return ref ? `${ref.namespace ?? ''}/${ref.name}` : '';
}

export const persistentVolumeKind = defineKind<PersistentVolume>({
  resource: {
    kind: 'PersistentVolume',
    plural: 'persistentvolumes',
    singular: 'persistentvolume',
    shortNames: ['pv'],
    group: '',
    version: 'v1',
    namespaced: false,
  },
  schema: PersistentVolume,
  defaults: (pv) => {
    pv.spec.persistentVolumeReclaimPolicy ??= 'Retain';
    pv.spec.volumeMode ??= 'Filesystem';
  },
  status: { subresource: true, onCreate: () => ({ phase: 'Pending' }) },
  columns: {
    nameColumn: true,
    headers: ['CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'REASON', 'AGE'],
    wideHeaders: ['VOLUMEMODE'],
    cells: (pv, now) => [
      String(pv.spec?.capacity?.storage ?? ''),
      accessModesText(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain',
      pv.status?.phase ?? 'Pending',
      claimText(pv),
      pv.spec?.storageClassName ?? '',
      pv.status?.reason ?? '',
      ageSince(pv.metadata.creationTimestamp, now),
    ],
    wideCells: (pv) => [pv.spec?.volumeMode ?? 'Filesystem'],
  },
  describe: {
    write(w, pv, { events }) {
      w.field(0, 'Name', pv.metadata.name);
      writeLabels(w, '', 'Labels', pv.metadata.labels);
      writeAnnotations(w, '', 'Annotations', pv.metadata.annotations);
      w.field(0, 'Finalizers', `[${(pv.metadata.finalizers ?? []).join(' ')}]`);
      w.field(0, 'StorageClass', pv.spec?.storageClassName ?? '');
      w.field(0, 'Status', pv.status?.phase ?? 'Pending');
      w.field(0, 'Claim', claimText(pv));
      w.field(0, 'Reclaim Policy', pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain');
      w.field(0, 'Access Modes', accessModesText(pv.spec?.accessModes));
      w.field(0, 'VolumeMode', pv.spec?.volumeMode ?? 'Filesystem');
      w.field(0, 'Capacity', String(pv.spec?.capacity?.storage ?? ''));
      w.field(0, 'Message', pv.status?.message ?? '');
      w.write(0, 'Source:\n');
      if (pv.spec?.hostPath) {
        w.write(1, 'Type:\tHostPath (bare host directory volume)\n');
        w.write(1, `Path:\t${pv.spec.hostPath.path}\n`);
        w.write(1, `HostPathType:\t${pv.spec.hostPath.type ?? ''}\n`);
      } else if (pv.spec?.local) {
        w.write(1, 'Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n');
        w.write(1, `Path:\t${pv.spec.local.path}\n`);
      } else w.write(1, `${NONE}\n`);
      writeEvents(w, events);
    },
  },
});
