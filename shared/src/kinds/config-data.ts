// What ConfigMaps and Secrets share: their keys (file names in a volume, variable names in
// envFrom), as Kubernetes checks them (IsConfigMapKey), the 1 MiB size limit, and base64 values.

import { child, type FieldErrors, type Obj } from '../validation/errors.js';

/** A key is a file name: letters, digits, '-', '_' and '.', at most 253, and not '.' or '..' or starting with '..'. */
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Kubernetes' limit on the data of one ConfigMap or Secret (etcd's request limit, less overhead). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export function checkConfigKey(key: string, field: string, errors: FieldErrors): void {
  const f = child(field, key);
  if (key.length > 253) errors.invalid(f, key, 'must be no more than 253 characters');
  if (!CONFIG_KEY.test(key))
    errors.invalid(
      f,
      key,
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  else if (key === '.' || key === '..' || key.startsWith('..'))
    errors.invalid(f, key, key.startsWith('..') && key.length > 2 ? "must not start with '..'" : `must not be '${key}'`);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Where a value stops being standard padded base64, as Go's decoder words it, or undefined when it is fine. */
export function base64Error(s: string): string | undefined {
  if (s.length % 4 === 0 && BASE64.test(s)) return undefined;
  let i = 0;
  while (i < s.length && /[A-Za-z0-9+/]/.test(s[i]!)) i++;
  // A valid prefix ending early is cut in the middle of a quantum.
  const at = i < s.length ? i : s.length - (s.length % 4);
  return `illegal base64 data at input byte ${at}`;
}

/** Checks a map's keys, and with `base64`, that its values decode. Answers the decoded bytes. */
export function checkDataMap(m: Obj, field: string, errors: FieldErrors, base64: boolean): number {
  let bytes = 0;
  for (const [k, v] of Object.entries(m)) {
    checkConfigKey(k, field, errors);
    if (typeof v !== 'string') continue;
    if (base64) {
      const bad = base64Error(v);
      if (bad) errors.invalid(child(field, k), '<secret contents redacted>', bad);
      else bytes += Buffer.byteLength(v, 'base64');
    } else bytes += Buffer.byteLength(v);
  }
  return bytes;
}
