// Chunked lists (`?limit=N&continue=TOKEN`), as client-go's pager and `kubectl get --chunk-size`
// ask for them. A list is sorted by key (see listKey); a page ends after `limit` items and
// its token names the last key served, so the next page starts after it. kip keeps no snapshot of
// the first page's resourceVersion, so a later page shows objects as they are when it is asked
// for (what the API server calls an inconsistent continuation): an object that did not change is
// never listed twice nor skipped.

import { byteOrder, type KObject } from '@kip/shared';
import { ApiError } from './errors.js';

interface ContinueToken {
  /** resourceVersion of the first page */
  rv: string;
  /** the last key (namespace/name) served */
  start: string;
}

/**
 * An object's key in a list, namespace/name (etcd's key without the resource prefix). Lists are
 * in the byte order of these keys, as etcd keeps them: namespace "app-dev" comes before "app",
 * since "-" is before "/". Tokens count on that order, so sortByKey is the one way to sort a list.
 */
export const listKey = (o: KObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Sorts in place into list order (see listKey); each key is made once, not per comparison. */
export function sortByKey<T extends KObject>(items: T[]): T[] {
  const keyed = items.map((o) => ({ key: listKey(o), o }));
  keyed.sort((a, b) => byteOrder(a.key, b.key));
  for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.o;
  return items;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'kip/v1', ...t })).toString('base64url');
}

export function decodeContinue(token: string): ContinueToken {
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    t = undefined;
  }
  const o = t as Record<string, unknown> | undefined;
  if (o?.v !== 'kip/v1' || typeof o.rv !== 'string' || typeof o.start !== 'string')
    throw new ApiError('BadRequest', 'continue key is not valid: it must be a token from a previous list of this resource');
  return { rv: o.rv, start: o.start };
}

/** Parses `limit`: absent or 0 means everything, as the API server reads it. */
export function parseLimit(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ApiError('BadRequest', `limit must be a non-negative integer, not "${value}"`);
  return n === 0 ? undefined : n;
}

/** One page of a sorted list, and the list metadata that says whether (and how) it goes on. */
export function pageOf<T extends KObject>(
  items: T[],
  resourceVersion: string,
  opts: { limit?: number; continue?: string },
): { items: T[]; metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number } } {
  const token = opts.continue ? decodeContinue(opts.continue) : undefined;
  const rest = token ? items.filter((o) => listKey(o) > token.start) : items;
  const rv = token?.rv ?? resourceVersion;
  if (opts.limit === undefined || rest.length <= opts.limit) return { items: rest, metadata: { resourceVersion: rv } };
  const page = rest.slice(0, opts.limit);
  return {
    items: page,
    metadata: { resourceVersion: rv, continue: encodeContinue({ rv, start: listKey(page[page.length - 1]!) }), remainingItemCount: rest.length - page.length },
  };
}
