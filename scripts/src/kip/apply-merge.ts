// What `kip apply` sends when the object exists: kubectl's three-way merge, in JSON terms. The
// manifest's fields are laid over the live object (so fields the server defaulted, and fields
// other writers own, such as replicas after a `kip scale`, stay), and fields the previous apply
// set but this manifest no longer has are removed. The previous apply is remembered, as kubectl
// remembers it, in the last-applied-configuration annotation.

import { isDeepStrictEqual } from 'node:util';
import { LAST_APPLIED_ANNOTATION, type KObject } from '@kip/shared';

export { LAST_APPLIED_ANNOTATION };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Metadata only the server writes; a manifest saved from `get -o yaml` must not send it back. */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

/** The manifest as apply records and sends it: without status or server-owned metadata. */
export function cleanManifest(desired: KObject): KObject {
  const copy = structuredClone(desired) as KObject & Obj;
  delete copy.status;
  for (const k of SERVER_METADATA) delete (copy.metadata as unknown as Obj)[k];
  if (copy.metadata.annotations) {
    delete copy.metadata.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(copy.metadata.annotations).length === 0) delete copy.metadata.annotations;
  }
  return copy;
}

/** The cleaned manifest with the annotation recording it, as `apply` creates or updates it. */
export function withLastApplied(desired: KObject): KObject {
  const clean = cleanManifest(desired);
  const out = structuredClone(clean);
  out.metadata.annotations = { ...(out.metadata.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: JSON.stringify(clean) + '\n' };
  return out;
}

export function lastAppliedOf(live: KObject): Obj | undefined {
  const text = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Lists of named things (containers, env, ports with names) merge by name, as strategic merge does. */
function namedList(a: unknown[]): boolean {
  return a.every((x) => isObj(x) && typeof x.name === 'string');
}

function mergeValue(live: unknown, desired: unknown, last: unknown): unknown {
  if (isObj(live) && isObj(desired)) return mergeObject(live, desired, isObj(last) ? last : undefined);
  if (Array.isArray(live) && Array.isArray(desired)) {
    const lastList = Array.isArray(last) ? last : undefined;
    if (desired.length > 0 && namedList(desired) && namedList(live)) {
      return desired.map((d) => {
        const name = (d as Obj).name;
        const l = live.find((x) => (x as Obj).name === name);
        const p = lastList?.find((x) => isObj(x) && x.name === name);
        return l === undefined ? structuredClone(d) : mergeValue(l, d, p);
      });
    }
    if (live.length === desired.length)
      return desired.map((d, i) => mergeValue(live[i], d, lastList && lastList.length === desired.length ? lastList[i] : undefined));
  }
  return structuredClone(desired);
}

function mergeObject(live: Obj, desired: Obj, last: Obj | undefined): Obj {
  const out: Obj = structuredClone(live);
  for (const [k, v] of Object.entries(desired)) out[k] = mergeValue(live[k], v, last?.[k]);
  if (last) for (const k of Object.keys(last)) if (!(k in desired)) delete out[k];
  return out;
}

/** The three-way merge: live, with the manifest laid over it and what the last apply set but this one dropped removed. */
export function threeWayMerge(live: Obj, desired: Obj, last: Obj | undefined): Obj {
  return mergeObject(live, desired, last);
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObj(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => v[k] !== undefined)
        .map((k) => [k, canonical(v[k])]),
    );
  return v;
}

/** Equal as JSON: fields set to undefined count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(canonical(a), canonical(b));
}

export interface ApplyPlan {
  /** What to PUT: the live object with the manifest merged in, at the live resourceVersion. */
  object: KObject;
  changed: boolean;
  /** False when the live object was not made by apply (no annotation): nothing is removed this time. */
  hadLastApplied: boolean;
}

export function planApply(live: KObject, desired: KObject): ApplyPlan {
  const next = withLastApplied(desired) as unknown as Obj;
  const last = lastAppliedOf(live);
  const liveObj = live as unknown as Obj;
  const merged = threeWayMerge(liveObj, next, last);
  // Status belongs to the controllers; resourceVersion must be the live one for the update to be safe.
  if ('status' in liveObj) merged.status = structuredClone(liveObj.status);
  else delete merged.status;
  (merged.metadata as Obj).resourceVersion = live.metadata.resourceVersion;
  return { object: merged as unknown as KObject, changed: !deepEqual(merged, liveObj), hadLastApplied: last !== undefined };
}
