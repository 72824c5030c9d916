// Server-side apply (`application/apply-patch+yaml`, `kubectl apply --server-side`): a manager
// sends the whole configuration it wants; the server merges it into the live object by the
// schema's list types, records that the manager owns exactly those fields, removes the fields
// it applied before and no longer does (unless another manager owns them too), and refuses, as a
// 409 naming each field, to change a value another manager set, unless forced, which moves the
// field to the applier.

import { isObj, jsonEqual, type KObject } from '@kip/shared';
import { ApiError } from './errors.js';
import {
  decodeManagers,
  encodeManagers,
  entryTime,
  fieldValues,
  isItem,
  pathOf,
  removeAt,
  sameSet,
  showPath,
  trackedPart,
  valueAt,
  type FieldManagerEntry,
  type FieldSet,
} from './managed-fields.js';
import { fieldSchema, itemSchema, listMeta, type SchemaNode } from './patch-meta.js';

type Obj = Record<string, unknown>;

export interface ApplyOptions {
  manager: string;
  force: boolean;
  /** The kind's schema: how lists merge. */
  schema: SchemaNode;
  now: number;
}

/** A field the applier would change that another manager set. */
export interface Conflict {
  manager: string;
  apiVersion: string;
  path: string;
}

/**
 * The object after `config` is applied by `opts.manager`: a new object when there is none
 * (`live` undefined), with its managedFields. Throws a 409 on conflicts unless forced.
 */
export function serverSideApply(live: KObject | undefined, config: Obj, opts: ApplyOptions): KObject {
  const applied = structuredClone(config) as Obj;
  const meta = (isObj(applied.metadata) ? applied.metadata : {}) as Obj;
  delete meta.managedFields;
  const configValues = fieldValues(trackedPart(applied), opts.schema);
  const configSet: FieldSet = new Set(configValues.keys());
  const mine = (m: FieldManagerEntry) => m.manager === opts.manager && m.operation === 'Apply' && !m.subresource;
  const entry = (previous?: FieldManagerEntry): FieldManagerEntry => ({
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: String(applied.apiVersion ?? ''),
    // The time says when the manager's fields last changed: the same set applied again keeps it.
    time: previous?.time && sameSet(previous.fields, configSet) ? previous.time : entryTime(opts.now),
    fields: configSet,
  });
  if (!live) {
    const created = applied as unknown as KObject;
    created.metadata.managedFields = encodeManagers([entry()]);
    return created;
  }
  const managers = decodeManagers(live.metadata.managedFields);
  const liveValues = fieldValues(trackedPart(live), opts.schema);
  const conflicts: Conflict[] = [];
  for (const m of managers) {
    if (mine(m) || m.manager === opts.manager) continue;
    for (const key of m.fields) {
      // A list item itself has no value to disagree on; its fields do.
      if (!configSet.has(key) || isItem(key)) continue;
      if (jsonEqual(liveValues.get(key), configValues.get(key))) continue;
      if (opts.force) m.fields.delete(key);
      else conflicts.push({ manager: m.manager, apiVersion: m.apiVersion, path: showPath(pathOf(key)) });
    }
  }
  if (conflicts.length > 0) throw conflictError(conflicts);
  const merged = mergeApplied(structuredClone(live), applied, opts.schema) as KObject;
  // What this manager applied before and applies no more goes, unless someone else owns it.
  const before = managers.find(mine)?.fields ?? new Set<string>();
  const others = managers.filter((m) => !mine(m));
  const dropped = [...before].filter((k) => !configSet.has(k) && !others.some((m) => m.fields.has(k)));
  // Shallowest first: a list item goes whole, and then its fields are no longer there to remove.
  dropped.sort((a, b) => pathOf(a).length - pathOf(b).length);
  const tracked = trackedPart(merged);
  for (const key of dropped) {
    const path = pathOf(key);
    if (valueAt(tracked, path) === undefined) continue;
    // The tracked part shares its values with the object (metadata aside), so remove from the object.
    removeAt(path[0] === 'f:metadata' ? merged.metadata : merged, path[0] === 'f:metadata' ? path.slice(1) : path);
  }
  // The applier's entry keeps its place among the others: an apply that changes nothing leaves them as they were.
  const previous = managers.find(mine);
  merged.metadata.managedFields = encodeManagers(previous ? managers.map((m) => (m === previous ? entry(previous) : m)) : [...managers, entry()]);
  return merged;
}

/**
 * The live value with the configuration merged in: objects field by field, list maps item by
 * key, sets by value; anything else (a scalar, an atomic list) is the configuration's. A null in
 * the configuration says nothing.
 */
export function mergeApplied(live: unknown, config: unknown, schema: SchemaNode): unknown {
  if (isObj(config)) {
    const out: Obj = isObj(live) ? live : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === null || v === undefined) continue;
      Object.defineProperty(out, k, {
        value: mergeApplied(Object.hasOwn(out, k) ? out[k] : undefined, v, fieldSchema(schema, k)),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (Array.isArray(config)) {
    const meta = listMeta(schema);
    if (meta.listType === 'atomic' || !Array.isArray(live)) return structuredClone(config);
    const out = [...live];
    for (const item of config) {
      if (meta.listType === 'set') {
        if (!out.some((x) => jsonEqual(x, item))) out.push(item);
        continue;
      }
      const key = meta.mergeKey!;
      if (!isObj(item) || item[key] === undefined)
        throw new ApiError('BadRequest', `the list items of an applied configuration need their key: ${JSON.stringify(item)} has no "${key}"`);
      const i = out.findIndex((x) => isObj(x) && jsonEqual(x[key], item[key]));
      if (i >= 0) out[i] = mergeApplied(out[i], item, itemSchema(schema));
      else out.push(structuredClone(item));
    }
    return out;
  }
  return config;
}

/** The 409 the API server answers, in its words: `Apply failed with 1 conflict: conflict with "m" using apps/v1: .spec.replicas`. */
export function conflictError(conflicts: Conflict[]): ApiError {
  const n = conflicts.length;
  const byManager = new Map<string, Conflict[]>();
  for (const c of conflicts) {
    const k = `"${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}`;
    byManager.set(k, [...(byManager.get(k) ?? []), c]);
  }
  let message: string;
  if (n === 1) message = `Apply failed with 1 conflict: conflict with ${[...byManager.keys()][0]}: ${conflicts[0]!.path}`;
  else
    message = `Apply failed with ${n} conflicts: ${[...byManager.entries()]
      .map(([who, cs]) => (cs.length === 1 ? `conflict with ${who}: ${cs[0]!.path}` : `conflicts with ${who}:\n${cs.map((c) => `- ${c.path}`).join('\n')}`))
      .join('\n')}`;
  return new ApiError('Conflict', message, {
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}`,
      field: c.path,
    })),
  });
}
