// Strategic merge patch (`application/strategic-merge-patch+json`), what `kubectl apply` (client
// side), `kubectl edit` and `kubectl patch` send by default: a merge patch whose lists merge item
// by item where the kind's schema declares a merge key (containers by name, ports by
// containerPort), with Kubernetes' directives:
//   null                                  deletes the key
//   {"$patch": "delete"}                  in a list item: deletes the item with that key; in a map: the map
//   {"$patch": "replace"}                 replaces the map, or (as a list item) the whole list
//   "$retainKeys": [k...]                 clears the map's other keys first
//   "$deleteFromPrimitiveList/f": [v...]  removes values from the primitive list f
//   "$setElementOrder/f": [...]           the order of list f's items after the merge

import { isObj, jsonEqual } from '@kip/shared';
import { ApiError } from './errors.js';
import { fieldSchema, itemSchema, listMeta, type SchemaNode } from './patch-meta.js';

type Obj = Record<string, unknown>;

const DELETE_FROM = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';

/** Applies `patch` to `original` (neither is changed) by the merge rules of `schema`, the kind's schema. */
export function applyStrategicMergePatch(original: unknown, patch: unknown, schema: SchemaNode): unknown {
  if (!isObj(patch)) throw new ApiError('BadRequest', 'a strategic merge patch must be a JSON object');
  return mergeMap(isObj(original) ? original : undefined, patch, schema);
}

function mergeValue(original: unknown, patch: unknown, schema: SchemaNode): unknown {
  if (isObj(patch)) return mergeMap(isObj(original) ? original : undefined, patch, schema);
  if (Array.isArray(patch)) return mergeList(Array.isArray(original) ? original : undefined, patch, schema);
  return patch;
}

function setKey(o: Obj, k: string, v: unknown): void {
  // A "__proto__" key from JSON is data, not the prototype.
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function mergeMap(original: Obj | undefined, patch: Obj, schema: SchemaNode): Obj {
  const directive = patch.$patch;
  if (directive === 'replace') {
    const { $patch: _drop, ...rest } = patch;
    return mergeMap(undefined, rest, schema);
  }
  if (directive !== undefined && directive !== 'merge' && directive !== 'delete')
    throw new ApiError('BadRequest', `Unknown patch type: ${JSON.stringify(directive)} (want "merge", "replace" or "delete")`);
  const out: Obj = {};
  for (const [k, v] of Object.entries(original ?? {})) setKey(out, k, v);
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) throw new ApiError('BadRequest', '$retainKeys must be a list of field names');
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      if (!Array.isArray(v)) throw new ApiError('BadRequest', `${k} must be a list of the values to delete`);
      const current = out[field];
      if (Array.isArray(current))
        setKey(
          out,
          field,
          current.filter((x) => !v.some((d) => jsonEqual(d, x))),
        );
      continue;
    }
    if (v === null || (isObj(v) && v.$patch === 'delete')) {
      delete out[k];
      continue;
    }
    setKey(out, k, mergeValue(Object.hasOwn(out, k) ? out[k] : undefined, v, fieldSchema(schema, k)));
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const field = k.slice(SET_ORDER.length);
    if (!Array.isArray(order)) throw new ApiError('BadRequest', `${k} must be a list`);
    const current = out[field];
    if (Array.isArray(current)) setKey(out, field, reorder(current, order, listMeta(fieldSchema(schema, field)).mergeKey));
  }
  return out;
}

function mergeList(original: unknown[] | undefined, patch: unknown[], schema: SchemaNode): unknown[] {
  const meta = listMeta(schema);
  const items = itemSchema(schema);
  const directive = (e: unknown) => (isObj(e) ? e.$patch : undefined);
  // A {"$patch": "replace"} item: the other items are the whole list.
  if (patch.some((e) => directive(e) === 'replace'))
    return patch.filter((e) => !(isObj(e) && Object.keys(e).length === 1 && e.$patch === 'replace')).map((e) => mergeValue(undefined, e, items));
  if (!meta.strategy.includes('merge')) return patch.map((e) => mergeValue(undefined, e, items));
  const out = [...(original ?? [])];
  const key = meta.mergeKey;
  if (!key) {
    // A set of primitives: the patch's values are added.
    for (const e of patch) if (!out.some((x) => jsonEqual(x, e))) out.push(e);
    return out;
  }
  for (const e of patch) {
    if (!isObj(e) || !Object.hasOwn(e, key)) throw new ApiError('BadRequest', `map: ${JSON.stringify(e)} does not contain declared merge key: ${key}`);
    const same = (x: unknown) => isObj(x) && jsonEqual(x[key], e[key]);
    if (e.$patch === 'delete') {
      for (let i = out.length - 1; i >= 0; i--) if (same(out[i])) out.splice(i, 1);
      continue;
    }
    const i = out.findIndex(same);
    if (i >= 0) out[i] = mergeMap(out[i] as Obj, e, items);
    else out.push(mergeMap(undefined, e, items));
  }
  return out;
}

/**
 * Puts a list's items in the order `$setElementOrder` gives (by merge key, or by value for
 * primitives); items the order does not name (added by someone else) keep their relative order after them.
 */
function reorder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const idOf = (x: unknown) => (key && isObj(x) ? x[key] : x);
  const rank = (x: unknown) => {
    const i = order.findIndex((o) => jsonEqual(key && isObj(o) ? o[key] : o, idOf(x)));
    return i < 0 ? order.length : i;
  };
  return list
    .map((x, i) => ({ x, i, r: rank(x) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((e) => e.x);
}
