// Field selectors (`spec.nodeName=node-1,status.phase!=Running`): equality on dotted paths of the
// object, as `kubectl get --field-selector` sends them.

import type { KObject } from '@kip/shared';
import { ApiError } from './errors.js';

export interface FieldRequirement {
  path: string[];
  value: string;
  negate: boolean;
}

export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  if (!text) return [];
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((term) => {
      const m = /^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
      if (!m) throw new ApiError('BadRequest', `invalid field selector "${text}": "${term}" is not of the form field=value or field!=value`);
      return { path: m[1]!.split('.'), value: m[3]!, negate: m[2] === '!=' };
    });
}

function valueAt(obj: unknown, path: string[]): string {
  let v: unknown = obj;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return '';
    v = (v as Record<string, unknown>)[p];
  }
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : String(v);
}

export function fieldsMatch(reqs: FieldRequirement[], obj: KObject): boolean {
  for (const r of reqs) {
    const equal = valueAt(obj, r.path) === r.value;
    if (equal === r.negate) return false;
  }
  return true;
}
