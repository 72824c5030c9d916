// The consistency options of a list or watch, as client-go's reflector and informers send them:
// resourceVersion with resourceVersionMatch (Exact, NotOlderThan), sendInitialEvents (a watch that
// starts with the current state, then a bookmark saying the state is complete) and
// allowWatchBookmarks. Checked as the API server's ValidateListOptions checks them, and answered
// with its words: an invalid combination is a 422 on ListOptions.meta.k8s.io.

import type { KObject, ResourceType } from '@kip/shared';
import { ApiError } from './errors.js';

export type ResourceVersionMatch = 'Exact' | 'NotOlderThan';

export interface ListQueryOptions {
  resourceVersion?: string;
  resourceVersionMatch?: ResourceVersionMatch;
  /** Set only when the query names it (true or false), as the API server's *bool. */
  sendInitialEvents?: boolean;
  allowWatchBookmarks: boolean;
  continue?: string;
}

/** The annotation of the bookmark that ends a watch's initial events. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

function flag(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0' || v === '') return false;
  throw new ApiError('BadRequest', `invalid boolean value "${v}": must be true or false`);
}

/** Reads and checks a list's or watch's options; throws the API server's 422 for invalid combinations. */
export function parseListOptions(q: URLSearchParams, watch: boolean): ListQueryOptions {
  const resourceVersion = q.get('resourceVersion') || undefined;
  const match = q.get('resourceVersionMatch') || undefined;
  const sendInitialEvents = flag(q.get('sendInitialEvents'));
  const allowWatchBookmarks = flag(q.get('allowWatchBookmarks')) ?? false;
  const cont = q.get('continue') || undefined;
  const errors: string[] = [];
  const forbidden = (field: string, why: string) => errors.push(`${field}: Forbidden: ${why}`);
  if (watch) {
    if (sendInitialEvents !== undefined) {
      if (match !== 'NotOlderThan') forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
      if (!allowWatchBookmarks) forbidden('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks to true');
    }
    if (match !== undefined) {
      if (sendInitialEvents === undefined)
        forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
      if (match !== 'NotOlderThan') errors.push(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "NotOlderThan"`);
      if (cont !== undefined) forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
    }
  } else {
    if (match !== undefined) {
      if (resourceVersion === undefined) forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (cont !== undefined) forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
      if (match !== 'Exact' && match !== 'NotOlderThan')
        errors.push(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan", ""`);
      if (match === 'Exact' && resourceVersion === '0') forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    if (sendInitialEvents !== undefined) forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list');
  }
  if (errors.length > 0) throw new ApiError('Invalid', `ListOptions.meta.k8s.io "" is invalid: ${errors.join(', ')}`, { kind: 'ListOptions' });
  return {
    resourceVersion,
    resourceVersionMatch: match as ResourceVersionMatch | undefined,
    sendInitialEvents,
    allowWatchBookmarks,
    continue: cont,
  };
}

function revision(rv: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw new ApiError('BadRequest', `resourceVersion: Invalid value: "${rv}": must be a number`);
  return n;
}

/**
 * Whether a list at resourceVersion `current` satisfies what the options ask: kip keeps no past
 * states, so Exact is served only at the current version (older is 410, as a compacted one is), and
 * a version newer than the store's is the API server's "Too large resource version" 504.
 */
export function checkListVersion(opts: ListQueryOptions, current: string): void {
  const rv = opts.resourceVersion;
  if (rv === undefined || (rv === '0' && opts.resourceVersionMatch !== 'Exact')) return;
  const want = revision(rv);
  const now = revision(current);
  if (want > now)
    throw new ApiError('Timeout', `Too large resource version: ${want}, current: ${now}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    });
  if (opts.resourceVersionMatch === 'Exact' && want < now) throw new ApiError('Expired', `The resourceVersion for the provided list is too old.`);
}

/** A BOOKMARK's object: only the kind, its apiVersion and the resourceVersion, and annotations if any. */
export function bookmarkObject(resource: ResourceType, resourceVersion: string, annotations?: Record<string, string>): KObject {
  return {
    kind: resource.kind,
    apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
    metadata: { resourceVersion, ...(annotations ? { annotations } : {}) },
  } as KObject;
}
