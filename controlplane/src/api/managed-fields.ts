// Managed fields (`metadata.managedFields`): which manager set which fields of an object, by
// which operation, as server-side apply needs to know. A field set is kept as a set of paths;
// its stored form is Kubernetes' FieldsV1 tree (`{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":
// {".":{},"f:image":{}}}}}`): `f:` a field, `k:` a list item by its key, `v:` a value of a set,
// `.` the item itself.
//
// What is tracked is what a user sets: labels, annotations, owner references and finalizers of
// the metadata, and everything else but apiVersion, kind and status, as the API server does. A
// write of the status subresource is recorded apart, in an entry with `subresource: status` that
// owns fields under `f:status` only.

import { isObj, jsonEqual, type KObject, type ManagedFieldsEntry } from '@kip/shared';
import { fieldSchema, itemSchema, listMeta, type SchemaNode } from './patch-meta.js';

type Obj = Record<string, unknown>;

/** A path element: `f:name`, `k:{"name":"web"}` or `v:"value"`. */
export type PathElement = string;
/** A field set: its paths, each joined by SEP (no JSON string holds a raw control character). */
export type FieldSet = Set<string>;

const SEP = '\u0001';

export function pathKey(path: PathElement[]): string {
  return path.join(SEP);
}

export function pathOf(key: string): PathElement[] {
  return key === '' ? [] : key.split(SEP);
}

const TRACKED_METADATA = ['labels', 'annotations', 'ownerReferences', 'finalizers'];

/** The part of an object whose fields managers own. */
export function trackedPart(obj: unknown): Obj {
  if (!isObj(obj)) return {};
  const out: Obj = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status' || k === 'metadata') continue;
    out[k] = v;
  }
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const m: Obj = {};
  for (const k of TRACKED_METADATA) if (meta[k] !== undefined && meta[k] !== null) m[k] = meta[k];
  if (Object.keys(m).length > 0) out.metadata = m;
  return out;
}

/** The element that names a list item: by its merge key in a list map, by value in a set. */
function itemElement(item: unknown, key: string | undefined): PathElement | undefined {
  if (key) return isObj(item) && item[key] !== undefined && item[key] !== null ? `k:${JSON.stringify({ [key]: item[key] })}` : undefined;
  return `v:${JSON.stringify(item)}`;
}

/** The fields a value sets, by the schema's list types: leaves, and list items by key. */
export function fieldSetOf(value: unknown, schema: SchemaNode): FieldSet {
  return new Set(fieldValues(value, schema).keys());
}

/** The fields a value sets, each with its value there (a list item's is the item), found in one walk. */
export function fieldValues(value: unknown, schema: SchemaNode): Map<string, unknown> {
  const out = new Map<string, unknown>();
  walkObject(value, schema, '', out);
  return out;
}

function walkObject(v: unknown, s: SchemaNode, prefix: string, out: Map<string, unknown>): void {
  if (!isObj(v)) return;
  for (const [k, child] of Object.entries(v)) {
    if (child === undefined || child === null) continue;
    const path = join(prefix, `f:${k}`);
    const cs = fieldSchema(s, k);
    if (isObj(child) && Object.keys(child).length > 0) walkObject(child, cs, path, out);
    else if (Array.isArray(child) && child.length > 0 && listMeta(cs).listType !== 'atomic') {
      const meta = listMeta(cs);
      for (const item of child) {
        const e = itemElement(item, meta.listType === 'map' ? meta.mergeKey : undefined);
        if (e === undefined) continue;
        const ip = join(path, e);
        out.set(ip, item);
        if (meta.listType === 'map') walkObject(item, itemSchema(cs), ip, out);
      }
    } else out.set(path, child);
  }
}

function join(prefix: string, e: PathElement): string {
  return prefix === '' ? e : prefix + SEP + e;
}

/** The value at a path, or undefined. */
export function valueAt(root: unknown, path: PathElement[]): unknown {
  let v: unknown = root;
  for (const e of path) {
    if (v === undefined) return undefined;
    v = step(v, e);
  }
  return v;
}

function step(v: unknown, e: PathElement): unknown {
  if (e.startsWith('f:')) return isObj(v) && Object.hasOwn(v, e.slice(2)) ? (v[e.slice(2)] ?? undefined) : undefined;
  if (!Array.isArray(v)) return undefined;
  return v[findItem(v, e)];
}

/** The index of the list item a `k:` or `v:` element names, or -1. */
export function findItem(list: unknown[], e: PathElement): number {
  if (e.startsWith('k:')) {
    const keys = parsed(e.slice(2));
    if (!isObj(keys)) return -1;
    return list.findIndex((item) => isObj(item) && Object.entries(keys).every(([k, want]) => jsonEqual(item[k], want)));
  }
  if (e.startsWith('v:')) {
    const want = parsed(e.slice(2));
    return want === undefined ? -1 : list.findIndex((item) => jsonEqual(item, want));
  }
  return -1;
}

/** The JSON in a path element, or undefined: managedFields may come from a client, whatever it wrote. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Removes the field or list item at a path, if it is there. */
export function removeAt(root: unknown, path: PathElement[]): void {
  const parent = valueAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (last === undefined) return;
  if (last.startsWith('f:') && isObj(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const i = findItem(parent, last);
    if (i >= 0) parent.splice(i, 1);
  }
}

/** A path as a person reads it, as in the API server's conflict messages: `.spec.containers[name="web"].image`. */
export function showPath(path: PathElement[]): string {
  return path
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`;
      if (e.startsWith('k:') && isObj(parsed(e.slice(2))))
        return `[${Object.entries(parsed(e.slice(2)) as Obj)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      return `[${e.slice(2)}]`;
    })
    .join('');
}

/** The FieldsV1 tree of a field set. */
export function toFieldsV1(set: FieldSet): Obj {
  const tree: Obj = {};
  for (const key of set) {
    let node = tree;
    for (const e of pathOf(key)) {
      if (!isObj(node[e])) node[e] = {};
      node = node[e] as Obj;
    }
    node['.'] = {};
  }
  // A leaf is `{}`; `.` stays only beside children (an item that has fields of its own).
  const tidy = (node: Obj): void => {
    for (const [k, child] of Object.entries(node)) {
      if (k === '.' || !isObj(child)) continue;
      const keys = Object.keys(child);
      if (keys.length === 1 && keys[0] === '.') node[k] = {};
      else tidy(child);
    }
  };
  tidy(tree);
  return tree;
}

/** The field set of a FieldsV1 tree. */
export function fromFieldsV1(tree: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, prefix: PathElement[]) => {
    if (!isObj(node)) return;
    for (const [k, child] of Object.entries(node)) {
      if (k === '.') {
        out.add(pathKey(prefix));
        continue;
      }
      const path = [...prefix, k];
      if (isObj(child) && Object.keys(child).length > 0) walk(child, path);
      else out.add(pathKey(path));
    }
  };
  walk(tree, []);
  return out;
}

/** A managed-fields entry as it is worked on: the stored entry with its set decoded. */
export interface FieldManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
  /** The stored tree it was decoded from: written back as it is when the set has not changed. */
  stored?: Record<string, unknown>;
}

// Stored trees are frozen and shared from one version of an object to the next: each is decoded once.
const decoded = new WeakMap<object, FieldSet>();

function decodeTree(tree: unknown): FieldSet {
  if (!isObj(tree)) return new Set();
  let set = decoded.get(tree);
  if (!set) {
    set = fromFieldsV1(tree);
    if (Object.isFrozen(tree)) decoded.set(tree, set);
  }
  return new Set(set);
}

export function decodeManagers(entries: readonly ManagedFieldsEntry[] | undefined): FieldManagerEntry[] {
  return (entries ?? []).map((e) => ({
    manager: e.manager ?? '',
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: e.apiVersion ?? '',
    ...(e.time ? { time: e.time } : {}),
    ...(e.subresource ? { subresource: e.subresource } : {}),
    fields: decodeTree(e.fieldsV1),
    ...(isObj(e.fieldsV1) ? { stored: e.fieldsV1 } : {}),
  }));
}

/** The stored entries; a manager that owns nothing any more is left out. */
export function encodeManagers(managers: readonly FieldManagerEntry[]): ManagedFieldsEntry[] {
  return managers
    .filter((m) => m.fields.size > 0)
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1' as const,
      fieldsV1: m.stored && sameSet(m.fields, decodeTree(m.stored)) ? m.stored : toFieldsV1(m.fields),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

export function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a) if (!b.has(k)) return false;
  return true;
}

/** The time of an entry, to the second as Kubernetes writes it. */
export function entryTime(now: number): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A list item's marker path ends in `k:` or `v:`: it changes only when the item comes or goes. */
export function isItem(key: string): boolean {
  const last = key.slice(key.lastIndexOf(SEP) + 1);
  return last.startsWith('k:') || last.startsWith('v:');
}

/** The part of an object a write of its status subresource changes. */
function statusPart(obj: KObject): Obj {
  const status = (obj as { status?: unknown }).status;
  return isObj(status) ? { status } : {};
}

/**
 * An ordinary write (create, update, patch) by `manager`: it takes the fields it changed from
 * whoever had them, without conflicts, as the API server's Update operation does; fields the
 * write removed leave every set. A write of the status subresource counts only the status, in the
 * manager's entry for that subresource.
 */
export function recordUpdate(
  old: KObject | undefined,
  next: KObject,
  manager: string,
  schema: SchemaNode,
  now: number,
  subresource?: 'status',
): ManagedFieldsEntry[] {
  const part = subresource === 'status' ? statusPart : trackedPart;
  const oldValues = old ? fieldValues(part(old), schema) : new Map<string, unknown>();
  const newValues = fieldValues(part(next), schema);
  const changed = new Set<string>();
  for (const [key, value] of newValues) {
    if (!oldValues.has(key)) changed.add(key);
    else if (!isItem(key) && !jsonEqual(oldValues.get(key), value)) changed.add(key);
  }
  const removed = [...oldValues.keys()].filter((k) => !newValues.has(k));
  const managers = decodeManagers(next.metadata.managedFields);
  let mine = managers.find((m) => m.manager === manager && m.operation === 'Update' && m.subresource === subresource);
  for (const m of managers) {
    for (const k of removed) m.fields.delete(k);
    if (m !== mine) for (const k of changed) m.fields.delete(k);
  }
  if (changed.size > 0) {
    if (!mine) {
      mine = { manager, operation: 'Update', apiVersion: next.apiVersion, fields: new Set(), ...(subresource ? { subresource } : {}) };
      managers.push(mine);
    }
    for (const k of changed) mine.fields.add(k);
    mine.time = entryTime(now);
    mine.apiVersion = next.apiVersion;
  }
  return encodeManagers(managers);
}
