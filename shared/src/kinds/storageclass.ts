// StorageClass: a kind of storage a claim asks for by name, and who provisions it. kip's own
// provisioner makes directories under the control plane's data dir; it answers to its own name
// and to kind's (`rancher.io/local-path`), so kind's manifests bind as they do there. The class
// annotated as the default is given to claims that name none.

import { Type, type Static } from '@sinclair/typebox';
import { jsonEqual } from '../json-equal.js';
import type { FieldError } from '../validation/errors.js';
import { StringEnum } from '../validation/schema.js';
import { ageSince } from './age.js';
import { writeAnnotations, writeEvents, writeLabels } from './describe.js';
import { defineKind } from './kind.js';
import { ObjectMeta, StringMap } from './meta.js';

/** The annotation that makes a class the default, as Kubernetes' DefaultStorageClass admission reads it. */
export const ANNOTATION_DEFAULT_STORAGE_CLASS = 'storageclass.kubernetes.io/is-default-class';

export const StorageClass = Type.Object({
  apiVersion: Type.Literal('storage.k8s.io/v1'),
  kind: Type.Literal('StorageClass'),
  metadata: ObjectMeta,
  provisioner: Type.String({ minLength: 1 }),
  parameters: Type.Optional(StringMap),
  reclaimPolicy: Type.Optional(StringEnum(['Retain', 'Delete'])),
  volumeBindingMode: Type.Optional(StringEnum(['Immediate', 'WaitForFirstConsumer'])),
  allowVolumeExpansion: Type.Optional(Type.Boolean()),
  mountOptions: Type.Optional(Type.Array(Type.String())),
});
export type StorageClass = Static<typeof StorageClass>;

export function isDefaultClass(sc: StorageClass): boolean {
  return sc.metadata.annotations?.[ANNOTATION_DEFAULT_STORAGE_CLASS] === 'true';
}

/** Kubernetes refuses changes to how a class provisions once it exists. */
function validateClassUpdate(next: StorageClass, old: StorageClass): FieldError[] {
  const errors: FieldError[] = [];
  for (const f of ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'] as const)
    if (!jsonEqual(next[f], old[f])) errors.push({ field: f, message: 'Forbidden: updates to ' + f + ' are forbidden.' });
  return errors;
}

export const storageClassKind = defineKind<StorageClass>({
  resource: {
    kind: 'StorageClass',
    plural: 'storageclasses',
    singular: 'storageclass',
    shortNames: ['sc'],
    group: 'storage.k8s.io',
    version: 'v1',
    namespaced: false,
  },
  schema: StorageClass,
  defaults: (sc) => {
    sc.reclaimPolicy ??= 'Delete';
    sc.volumeBindingMode ??= 'Immediate';
  },
  status: { subresource: false, onCreate: 'keep' },
  validateUpdate: validateClassUpdate,
  columns: {
    nameColumn: true,
    headers: ['PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE'],
    wideHeaders: [],
    cells: (sc, now) => [
      sc.provisioner,
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      String(sc.allowVolumeExpansion ?? false),
      ageSince(sc.metadata.creationTimestamp, now),
    ],
    wideCells: () => [],
  },
  describe: {
    write(w, sc, { events }) {
      w.field(0, 'Name', sc.metadata.name);
      w.field(0, 'IsDefaultClass', isDefaultClass(sc) ? 'Yes' : 'No');
      writeAnnotations(w, '', 'Annotations', sc.metadata.annotations);
      writeLabels(w, '', 'Labels', sc.metadata.labels);
      w.field(0, 'Provisioner', sc.provisioner);
      w.field(
        0,
        'Parameters',
        Object.entries(sc.parameters ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '<none>',
      );
      w.field(0, 'AllowVolumeExpansion', sc.allowVolumeExpansion === undefined ? '<unset>' : String(sc.allowVolumeExpansion));
      w.field(0, 'MountOptions', (sc.mountOptions ?? []).join(',') || '<none>');
      w.field(0, 'ReclaimPolicy', sc.reclaimPolicy ?? 'Delete');
      w.field(0, 'VolumeBindingMode', sc.volumeBindingMode ?? 'Immediate');
      writeEvents(w, events);
    },
  },
});
