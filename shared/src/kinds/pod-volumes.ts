// A pod's volumes and its containers' mounts: the schema of each volume source kip knows
// (emptyDir, configMap, secret, downwardAPI, projected, hostPath, persistentVolumeClaim) with the
// checks Kubernetes' ValidateVolumes and ValidateVolumeMounts make, in their words.

import { Type, type Static } from '@sinclair/typebox';
import { child, index, isInt, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../validation/names.js';
import { StringEnum, withCheck } from '../validation/schema.js';

/** A quantity, written as a string or a number, as Kubernetes' Quantity (int-or-string in OpenAPI). */
const Quantity = () => Type.Unsafe<string | number>({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
import { isQuantity } from '../api/quantity.js';
import { DEFAULT_VOLUME_MODE } from '../api/names.js';

/** The fields a downward API file or variable may name of the pod (env allows a few more). */
export const DOWNWARD_VOLUME_FIELDS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations'] as const;
export const DOWNWARD_ENV_FIELDS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
] as const;
export const RESOURCE_FIELDS = [
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
] as const;

/** A labels/annotations subscript, `metadata.labels['app']`, which env variables (not files) may name. */
const SUBSCRIPTED = /^metadata\.(labels|annotations)\['([^']+)'\]$/;

function checkFieldPath(path: unknown, field: string, errors: FieldErrors, allowed: readonly string[]): void {
  if (typeof path !== 'string' || !path) return;
  const m = SUBSCRIPTED.exec(path);
  if (m) {
    if (allowed === DOWNWARD_VOLUME_FIELDS) errors.unsupported(field, path, allowed);
    return;
  }
  if (!allowed.includes(path)) errors.unsupported(field, path, allowed);
}

/** `fieldRef` of an env variable or a downward API file; `allowed` differs between the two. */
export function objectFieldSelector(allowed: readonly string[]) {
  return withCheck(Type.Object({ apiVersion: Type.Optional(Type.String()), fieldPath: Type.String({ minLength: 1 }) }), (f: Obj, field, errors) => {
    if (f.apiVersion !== undefined && f.apiVersion !== 'v1') errors.unsupported(child(field, 'apiVersion'), f.apiVersion, ['v1']);
    checkFieldPath(f.fieldPath, child(field, 'fieldPath'), errors, allowed);
  });
}

/** `resourceFieldRef`: a container's request or limit, in units of `divisor`. */
export function resourceFieldSelector(containerNameRequired: boolean) {
  return withCheck(
    Type.Object({
      containerName: Type.Optional(Type.String()),
      resource: StringEnum(RESOURCE_FIELDS),
      divisor: Type.Optional(Quantity()),
    }),
    (r: Obj, field, errors) => {
      if (containerNameRequired && !r.containerName) errors.required(child(field, 'containerName'));
      const d = r.divisor;
      if (d === undefined) return;
      const f = child(field, 'divisor');
      if (!isQuantity(String(d))) errors.invalid(f, d, 'must be a quantity');
      else if (typeof r.resource === 'string' && r.resource.endsWith('cpu') && !['1m', '1', '0.001'].includes(String(d)))
        errors.invalid(f, d, "only divisor's values 1m and 1 are supported with the cpu resource");
      else if (typeof r.resource === 'string' && !r.resource.endsWith('cpu') && !/^1([KMGTPE]i?|k)?$/.test(String(d)))
        errors.invalid(f, d, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource");
    },
  );
}

function checkMode(v: unknown, field: string, errors: FieldErrors): void {
  if (isInt(v) && (v < 0 || v > 0o777)) errors.invalid(field, v, 'must be a number between 0 and 0777 (octal), both inclusive');
}

/** A file's path inside a volume: relative, without '..' as an element. */
export function checkVolumePath(p: unknown, field: string, errors: FieldErrors): void {
  if (typeof p !== 'string') return;
  if (p === '') errors.required(field);
  else if (p.startsWith('/')) errors.invalid(field, p, 'must be a relative path');
  else if (p.split('/').includes('..')) errors.invalid(field, p, "must not contain '..'");
  else if (p.startsWith('..')) errors.invalid(field, p, "must not start with '..'");
}

const KeyToPath = withCheck(
  Type.Object({ key: Type.String({ minLength: 1 }), path: Type.String(), mode: Type.Optional(Type.Integer()) }),
  (k: Obj, field, errors) => {
    checkVolumePath(k.path, child(field, 'path'), errors);
    checkMode(k.mode, child(field, 'mode'), errors);
  },
);
export type KeyToPath = Static<typeof KeyToPath>;

/** Items of a volume from a ConfigMap or Secret: paths must be unique too. */
const keyItems = withCheck(Type.Array(KeyToPath), (items: unknown[], field, errors) => {
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (!isObj(it) || typeof it.path !== 'string') return;
    if (seen.has(it.path)) errors.duplicate(child(index(field, i), 'path'), it.path);
    seen.add(it.path);
  });
});

const modeCheck = (o: Obj, field: string, errors: FieldErrors) => checkMode(o.defaultMode, child(field, 'defaultMode'), errors);

export const ConfigMapVolumeSource = withCheck(
  Type.Object({
    name: Type.String({ minLength: 1 }),
    items: Type.Optional(keyItems),
    defaultMode: Type.Optional(Type.Integer()),
    optional: Type.Optional(Type.Boolean()),
  }),
  modeCheck,
);
export type ConfigMapVolumeSource = Static<typeof ConfigMapVolumeSource>;

export const SecretVolumeSource = withCheck(
  Type.Object({
    secretName: Type.String({ minLength: 1 }),
    items: Type.Optional(keyItems),
    defaultMode: Type.Optional(Type.Integer()),
    optional: Type.Optional(Type.Boolean()),
  }),
  modeCheck,
);
export type SecretVolumeSource = Static<typeof SecretVolumeSource>;

export const DownwardAPIVolumeFile = withCheck(
  Type.Object({
    path: Type.String(),
    fieldRef: Type.Optional(objectFieldSelector(DOWNWARD_VOLUME_FIELDS)),
    resourceFieldRef: Type.Optional(resourceFieldSelector(true)),
    mode: Type.Optional(Type.Integer()),
  }),
  (f: Obj, field, errors) => {
    checkVolumePath(f.path, child(field, 'path'), errors);
    checkMode(f.mode, child(field, 'mode'), errors);
    if (f.fieldRef !== undefined && f.resourceFieldRef !== undefined)
      errors.invalid(field, undefined, 'fieldRef and resourceFieldRef can not be specified simultaneously');
    else if (f.fieldRef === undefined && f.resourceFieldRef === undefined) errors.required(field, 'one of fieldRef and resourceFieldRef is required');
  },
);
export type DownwardAPIVolumeFile = Static<typeof DownwardAPIVolumeFile>;

export const DownwardAPIVolumeSource = withCheck(
  Type.Object({ items: Type.Optional(Type.Array(DownwardAPIVolumeFile)), defaultMode: Type.Optional(Type.Integer()) }),
  modeCheck,
);
export type DownwardAPIVolumeSource = Static<typeof DownwardAPIVolumeSource>;

/** A ConfigMap's or Secret's keys projected into a volume (both name their object `name` here). */
const ObjectProjection = Type.Object({ name: Type.String({ minLength: 1 }), items: Type.Optional(keyItems), optional: Type.Optional(Type.Boolean()) });

export const VolumeProjection = withCheck(
  Type.Object({
    configMap: Type.Optional(ObjectProjection),
    secret: Type.Optional(ObjectProjection),
    downwardAPI: Type.Optional(Type.Object({ items: Type.Optional(Type.Array(DownwardAPIVolumeFile)) })),
  }),
  (p: Obj, field, errors) => {
    const n = ['configMap', 'secret', 'downwardAPI'].filter((k) => p[k] !== undefined).length;
    if (n === 0) errors.required(field, 'must specify exactly 1 of: configMap, secret, downwardAPI');
    if (n > 1) errors.forbidden(field, 'may not specify more than 1 volume type per source');
  },
);
export type VolumeProjection = Static<typeof VolumeProjection>;

export const ProjectedVolumeSource = withCheck(
  Type.Object({ sources: Type.Array(VolumeProjection), defaultMode: Type.Optional(Type.Integer()) }),
  (p: Obj, field, errors) => {
    modeCheck(p, field, errors);
    // Two sources writing the same file would each overwrite the other.
    const seen = new Set<string>();
    (Array.isArray(p.sources) ? p.sources : []).forEach((s, i) => {
      if (!isObj(s)) return;
      const src = (isObj(s.configMap) ? s.configMap : isObj(s.secret) ? s.secret : isObj(s.downwardAPI) ? s.downwardAPI : {}) as Obj;
      for (const it of Array.isArray(src.items) ? src.items : []) {
        if (!isObj(it) || typeof it.path !== 'string') continue;
        if (seen.has(it.path)) errors.invalid(child(index(child(field, 'sources'), i), 'items'), it.path, 'conflicting duplicate paths');
        seen.add(it.path);
      }
    });
  },
);
export type ProjectedVolumeSource = Static<typeof ProjectedVolumeSource>;

export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;

export const HostPathVolumeSource = withCheck(
  Type.Object({ path: Type.String({ minLength: 1 }), type: Type.Optional(StringEnum(HOST_PATH_TYPES)) }),
  (h: Obj, field, errors) => {
    if (typeof h.path === 'string' && h.path.split('/').includes('..')) errors.invalid(child(field, 'path'), h.path, "must not contain '..'");
  },
);
export type HostPathVolumeSource = Static<typeof HostPathVolumeSource>;

export const EmptyDirVolumeSource = withCheck(
  Type.Object({ medium: Type.Optional(StringEnum(['', 'Memory'])), sizeLimit: Type.Optional(Quantity()) }),
  (e: Obj, field, errors) => {
    if (e.sizeLimit !== undefined && !isQuantity(String(e.sizeLimit))) errors.invalid(child(field, 'sizeLimit'), e.sizeLimit, 'must be a quantity');
  },
);
export type EmptyDirVolumeSource = Static<typeof EmptyDirVolumeSource>;

export const PersistentVolumeClaimVolumeSource = Type.Object({ claimName: Type.String({ minLength: 1 }), readOnly: Type.Optional(Type.Boolean()) });
export type PersistentVolumeClaimVolumeSource = Static<typeof PersistentVolumeClaimVolumeSource>;

export const VOLUME_SOURCES = ['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected', 'hostPath', 'persistentVolumeClaim'] as const;

export const Volume = withCheck(
  Type.Object({
    name: Type.String({ minLength: 1 }),
    emptyDir: Type.Optional(EmptyDirVolumeSource),
    configMap: Type.Optional(ConfigMapVolumeSource),
    secret: Type.Optional(SecretVolumeSource),
    downwardAPI: Type.Optional(DownwardAPIVolumeSource),
    projected: Type.Optional(ProjectedVolumeSource),
    hostPath: Type.Optional(HostPathVolumeSource),
    persistentVolumeClaim: Type.Optional(PersistentVolumeClaimVolumeSource),
  }),
  (v: Obj, field, errors) => {
    if (typeof v.name === 'string' && v.name && !isDNS1123Label(v.name))
      errors.invalid(
        child(field, 'name'),
        v.name,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      );
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined);
    if (sources.length === 0) errors.required(field, 'must specify a volume type');
    else if (sources.length > 1) errors.forbidden(child(field, sources[1]!), 'may not specify more than 1 volume type');
    const cm = v.configMap;
    if (isObj(cm) && typeof cm.name === 'string' && cm.name && !isDNS1123Subdomain(cm.name))
      errors.invalid(child(field, 'configMap.name'), cm.name, 'must be a valid ConfigMap name');
    const secret = v.secret;
    if (isObj(secret) && typeof secret.secretName === 'string' && secret.secretName && !isDNS1123Subdomain(secret.secretName))
      errors.invalid(child(field, 'secret.secretName'), secret.secretName, 'must be a valid Secret name');
  },
);
export type Volume = Static<typeof Volume>;

export const VolumeMount = withCheck(
  Type.Object({
    name: Type.String({ minLength: 1 }),
    mountPath: Type.String(),
    readOnly: Type.Optional(Type.Boolean()),
    subPath: Type.Optional(Type.String()),
    subPathExpr: Type.Optional(Type.String()),
    mountPropagation: Type.Optional(StringEnum(['None', 'HostToContainer', 'Bidirectional'])),
  }),
  (m: Obj, field, errors) => {
    if (m.mountPath === '') errors.required(child(field, 'mountPath'));
    if (typeof m.subPath === 'string' && m.subPath) {
      const f = child(field, 'subPath');
      if (m.subPath.startsWith('/')) errors.invalid(f, m.subPath, 'must be a relative path');
      else if (m.subPath.split('/').includes('..')) errors.invalid(f, m.subPath, "must not contain '..'");
    }
    if (m.subPath && m.subPathExpr) errors.invalid(child(field, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive');
  },
);
export type VolumeMount = Static<typeof VolumeMount>;

/** Volume names are unique in a pod. */
export function checkVolumes(volumes: unknown[], field: string, errors: FieldErrors): void {
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    if (!isObj(v) || typeof v.name !== 'string' || !v.name) return;
    if (names.has(v.name)) errors.duplicate(child(index(field, i), 'name'), v.name);
    names.add(v.name);
  });
}

/** A container's mounts name volumes of the pod, each mountPath once. */
export function checkVolumeMounts(mounts: unknown[], field: string, volumeNames: Set<string>, errors: FieldErrors): void {
  const paths = new Set<string>();
  mounts.forEach((m, i) => {
    if (!isObj(m)) return;
    const f = index(field, i);
    if (typeof m.name === 'string' && m.name && !volumeNames.has(m.name)) errors.add(child(f, 'name'), `Not found: ${JSON.stringify(m.name)}`);
    if (typeof m.mountPath === 'string' && m.mountPath) {
      if (paths.has(m.mountPath)) errors.invalid(child(f, 'mountPath'), m.mountPath, 'must be unique');
      paths.add(m.mountPath);
    }
  });
}

/** Fills what Kubernetes defaults in volumes: file modes, a hostPath's type, a fieldRef's apiVersion. */
export function defaultVolumes(volumes: Volume[] | undefined): void {
  for (const v of volumes ?? []) {
    if (v.configMap) v.configMap.defaultMode ??= DEFAULT_VOLUME_MODE;
    if (v.secret) v.secret.defaultMode ??= DEFAULT_VOLUME_MODE;
    if (v.downwardAPI) v.downwardAPI.defaultMode ??= DEFAULT_VOLUME_MODE;
    if (v.projected) v.projected.defaultMode ??= DEFAULT_VOLUME_MODE;
    if (v.hostPath) v.hostPath.type ??= '';
    for (const item of [...(v.downwardAPI?.items ?? []), ...(v.projected?.sources ?? []).flatMap((s) => s.downwardAPI?.items ?? [])])
      if (item.fieldRef) item.fieldRef.apiVersion ??= 'v1';
  }
}
