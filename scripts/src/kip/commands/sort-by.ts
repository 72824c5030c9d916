// --sort-by: order objects by a field path, `.metadata.name`, `{.status.startTime}`,
// `.spec.containers[0].name`, comparing numbers as numbers and quantities by value.

import { parseQuantity, type KObject } from '@kip/shared';
import { UsageError } from '../errors.js';

export function parseFieldPath(expr: string): (string | number)[] {
  let e = expr.trim();
  if (e.startsWith('{') && e.endsWith('}')) e = e.slice(1, -1).trim();
  if (!e.startsWith('.')) throw new UsageError(`invalid sort-by field "${expr}": a field path starts with a dot, e.g. .metadata.name`);
  const parts: (string | number)[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(e)) !== null) {
    parts.push(m[1] !== undefined ? m[1] : Number(m[2]));
    pos = re.lastIndex;
  }
  if (pos !== e.length || parts.length === 0)
    throw new UsageError(`invalid sort-by field "${expr}": expected a path such as .metadata.name or .spec.containers[0].name`);
  return parts;
}

export function valueAt(obj: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = obj;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function rank(v: unknown): { n?: number; s?: string } {
  if (v === undefined || v === null) return {};
  if (typeof v === 'number') return { n: v };
  if (typeof v === 'boolean') return { n: v ? 1 : 0 };
  if (typeof v === 'string') {
    // Timestamps compare as text (RFC 3339 sorts); "250m" and "1Gi" compare by value.
    if (!/^\d{4}-\d\d-\d\dT/.test(v)) {
      const q = parseQuantity(v);
      if (q !== undefined) return { n: q };
    }
    return { s: v };
  }
  return { s: JSON.stringify(v) };
}

/** A comparator for Array.sort; objects without the field sort first, as kubectl sorts them. */
export function compareByPath(expr: string): (a: KObject, b: KObject) => number {
  const path = parseFieldPath(expr);
  return (a, b) => {
    const ra = rank(valueAt(a, path));
    const rb = rank(valueAt(b, path));
    const emptyA = ra.n === undefined && ra.s === undefined;
    const emptyB = rb.n === undefined && rb.s === undefined;
    if (emptyA || emptyB) return emptyA === emptyB ? 0 : emptyA ? -1 : 1;
    if (ra.n !== undefined && rb.n !== undefined) return ra.n - rb.n;
    const sa = ra.s ?? String(ra.n);
    const sb = rb.s ?? String(rb.n);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  };
}
