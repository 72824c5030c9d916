// ConfigMap: configuration a pod takes as environment variables or as files in a volume. Its
// `data` are UTF-8 strings, its `binaryData` base64; a key is in one of them, not both. An
// immutable ConfigMap can no longer change its data (only be deleted), as in Kubernetes.

import { Type, type Static } from '@sinclair/typebox';
import { jsonEqual } from '../json-equal.js';
import { child, isObj, type FieldError, type Obj } from '../validation/errors.js';
import { withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { checkDataMap, MAX_CONFIG_BYTES } from './config-data.js';
import { writeAnnotations, writeEvents, writeLabels } from './describe.js';
import { defineKind } from './kind.js';
import { ObjectMeta, StringMap } from './meta.js';

export const ConfigMap = withCheck(
  Type.Object({
    apiVersion: Type.Literal('v1'),
    kind: Type.Literal('ConfigMap'),
    metadata: ObjectMeta,
    data: Type.Optional(StringMap),
    binaryData: Type.Optional(StringMap),
    immutable: Type.Optional(Type.Boolean()),
  }),
  (cm: Obj, _field, errors) => {
    let bytes = 0;
    if (isObj(cm.data)) bytes += checkDataMap(cm.data, 'data', errors, false);
    if (isObj(cm.binaryData)) {
      bytes += checkDataMap(cm.binaryData, 'binaryData', errors, true);
      for (const k of Object.keys(cm.binaryData))
        if (isObj(cm.data) && Object.hasOwn(cm.data, k)) errors.invalid(child('data', k), k, 'duplicate of key present in binaryData');
    }
    if (bytes > MAX_CONFIG_BYTES) errors.add('', `Too long: must have at most ${MAX_CONFIG_BYTES} bytes`);
  },
);
export type ConfigMap = Static<typeof ConfigMap>;

/** What no update may do to an immutable ConfigMap or Secret (Kubernetes' ValidateConfigMapUpdate). */
export function immutableUpdateErrors(
  next: { immutable?: boolean; data?: unknown },
  old: { immutable?: boolean; data?: unknown },
  extra: string[] = [],
): FieldError[] {
  if (!old.immutable) return [];
  const errors: FieldError[] = [];
  if (!next.immutable) errors.push({ field: 'immutable', message: 'Forbidden: field is immutable when `immutable` is set' });
  if (!jsonEqual(next.data ?? {}, old.data ?? {})) errors.push({ field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' });
  for (const f of extra) {
    const a = (next as Record<string, unknown>)[f];
    const b = (old as Record<string, unknown>)[f];
    if (!jsonEqual(a ?? {}, b ?? {})) errors.push({ field: f, message: 'Forbidden: field is immutable when `immutable` is set' });
  }
  return errors;
}

export function configMapKeyCount(cm: ConfigMap): number {
  return Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
}

export const configMapKind = defineKind<ConfigMap>({
  resource: { kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', shortNames: ['cm'], group: '', version: 'v1', namespaced: true },
  schema: ConfigMap,
  status: { subresource: false, onCreate: 'keep' },
  validateUpdate: (next, old) => immutableUpdateErrors(next, old, ['binaryData']),
  columns: {
    nameColumn: true,
    headers: ['DATA', 'AGE'],
    wideHeaders: [],
    cells: (cm, now) => [String(configMapKeyCount(cm)), ageSince(cm.metadata.creationTimestamp, now)],
    wideCells: () => [],
  },
  describe: {
    // kubectl's layout: each key, a rule, its value.
    write(w, cm, { events }) {
      w.field(0, 'Name', cm.metadata.name);
      w.field(0, 'Namespace', cm.metadata.namespace ?? '');
      writeLabels(w, '', 'Labels', cm.metadata.labels);
      writeAnnotations(w, '', 'Annotations', cm.metadata.annotations);
      w.write(0, '\nData\n====\n');
      for (const k of Object.keys(cm.data ?? {}).sort()) w.write(0, `${k}:\n----\n${cm.data![k]}\n\n`);
      w.write(0, '\nBinaryData\n====\n');
      for (const k of Object.keys(cm.binaryData ?? {}).sort()) w.write(0, `${k}: ${Buffer.byteLength(cm.binaryData![k]!, 'base64')} bytes\n`);
      writeEvents(w, events);
    },
  },
});
