// How a list or a map in a kind's schema merges, as Kubernetes' types declare it with
// `patchMergeKey`/`patchStrategy` (strategic merge patch) and `listType`/`listMapKeys` (server-side
// apply). The schema carries them as the vendor extensions the OpenAPI documents serve, so kubectl,
// which reads them from /openapi/v3 to compute a client-side apply, and the server's merges agree.

import type { ArrayOptions, ObjectOptions } from '@sinclair/typebox';

/** A list of objects merged item by item, matched by `key` (containers by name, ports by containerPort). */
export function mergeByKey(key: string, opts: { retainKeys?: boolean } = {}): ArrayOptions {
  return {
    'x-kubernetes-patch-merge-key': key,
    'x-kubernetes-patch-strategy': opts.retainKeys ? 'merge,retainKeys' : 'merge',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': [key],
  };
}

/** A list of strings merged as a set (finalizers): a patch adds to it; `$deleteFromPrimitiveList` removes. */
export const MERGE_SET: ArrayOptions = { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' };

/** An object whose fields are one choice (a deployment's strategy): a patch names the keys to keep with `$retainKeys`. */
export const RETAIN_KEYS: ObjectOptions = { 'x-kubernetes-patch-strategy': 'retainKeys' };
