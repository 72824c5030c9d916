// Secret: like a ConfigMap, for values that should not show: `data` holds base64, and
// `stringData`, a write-only convenience, is merged into `data` on every write (its keys win) and
// never stored, as the Kubernetes API server does. `type` defaults to Opaque and cannot change;
// the types Kubernetes gives a shape to need their keys.

import { Type, type Static } from '@sinclair/typebox';
import { isObj, type FieldError, type Obj } from '../validation/errors.js';
import { withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { checkDataMap, MAX_CONFIG_BYTES } from './config-data.js';
import { immutableUpdateErrors } from './configmap.js';
import { writeAnnotations, writeEvents, writeLabels } from './describe.js';
import { defineKind } from './kind.js';
import { ObjectMeta, StringMap } from './meta.js';

export const SECRET_TYPE_OPAQUE = 'Opaque';

/** The keys each typed Secret must have, as Kubernetes' ValidateSecret checks them. */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export const Secret = withCheck(
  Type.Object({
    apiVersion: Type.Literal('v1'),
    kind: Type.Literal('Secret'),
    metadata: ObjectMeta,
    type: Type.Optional(Type.String()),
    data: Type.Optional(StringMap),
    stringData: Type.Optional(StringMap),
    immutable: Type.Optional(Type.Boolean()),
  }),
  (s: Obj, _field, errors) => {
    let bytes = 0;
    if (isObj(s.data)) bytes += checkDataMap(s.data, 'data', errors, true);
    if (isObj(s.stringData)) bytes += checkDataMap(s.stringData, 'stringData', errors, false);
    if (bytes > MAX_CONFIG_BYTES) errors.add('data', `Too long: must have at most ${MAX_CONFIG_BYTES} bytes`);
    const type = typeof s.type === 'string' && s.type ? s.type : SECRET_TYPE_OPAQUE;
    const keys = new Set([...Object.keys(isObj(s.data) ? s.data : {}), ...Object.keys(isObj(s.stringData) ? s.stringData : {})]);
    for (const k of REQUIRED_KEYS[type] ?? []) if (!keys.has(k)) errors.required(`data[${k}]`);
    if (type === 'kubernetes.io/basic-auth' && !keys.has('username') && !keys.has('password'))
      errors.required('data[username]', 'either username or password is required for basic authentication credentials');
  },
);
export type Secret = Static<typeof Secret>;

/** Merges stringData into data, base64-encoded, its keys winning, and drops it: what is stored. */
export function mergeStringData(s: Secret): void {
  if (s.stringData) {
    s.data ??= {};
    for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(v, 'utf8').toString('base64');
    delete s.stringData;
  }
  s.type ||= SECRET_TYPE_OPAQUE;
}

function validateSecretUpdate(next: Secret, old: Secret): FieldError[] {
  const errors = immutableUpdateErrors(next, old);
  if ((next.type || SECRET_TYPE_OPAQUE) !== (old.type || SECRET_TYPE_OPAQUE))
    errors.push({ field: 'type', message: `Invalid value: ${JSON.stringify(next.type)}: field is immutable` });
  return errors;
}

export const secretKind = defineKind<Secret>({
  resource: { kind: 'Secret', plural: 'secrets', singular: 'secret', shortNames: [], group: '', version: 'v1', namespaced: true },
  schema: Secret,
  defaults: mergeStringData,
  status: { subresource: false, onCreate: 'keep' },
  validateUpdate: validateSecretUpdate,
  columns: {
    nameColumn: true,
    headers: ['TYPE', 'DATA', 'AGE'],
    wideHeaders: [],
    cells: (s, now) => [s.type || SECRET_TYPE_OPAQUE, String(Object.keys(s.data ?? {}).length), ageSince(s.metadata.creationTimestamp, now)],
    wideCells: () => [],
  },
  describe: {
    // kubectl shows a secret's sizes, never its values.
    write(w, s, { events }) {
      w.field(0, 'Name', s.metadata.name);
      w.field(0, 'Namespace', s.metadata.namespace ?? '');
      writeLabels(w, '', 'Labels', s.metadata.labels);
      writeAnnotations(w, '', 'Annotations', s.metadata.annotations);
      w.write(0, `\nType:\t${s.type || SECRET_TYPE_OPAQUE}\n\nData\n====\n`);
      for (const k of Object.keys(s.data ?? {}).sort()) w.write(0, `${k}:\t${Buffer.byteLength(s.data![k]!, 'base64')} bytes\n`);
      writeEvents(w, events);
    },
  },
});
