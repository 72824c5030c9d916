// Collects every problem in a hand-written file, each with the path of the field it is in
// (`timeline[2].fault.spec.action`), in the API server's words ("Required value", "Invalid
// value"), so a user fixes them all in one go instead of one per run.

import { parseDuration } from '@kip/shared';

export interface FieldProblem {
  /** "" for the document as a whole */
  field: string;
  message: string;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export class FieldChecker {
  readonly problems: FieldProblem[] = [];

  add(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  private required(v: unknown, field: string, required: boolean, what: string): boolean {
    if (v !== undefined && v !== null) return true;
    if (required) this.add(field, `Required value: ${what}`);
    return false;
  }

  object(v: unknown, field: string, required = false): Obj | undefined {
    if (!this.required(v, field, required, 'an object')) return undefined;
    if (isObj(v)) return v;
    this.add(field, `Invalid value: must be an object, not ${describe(v)}`);
    return undefined;
  }

  array(v: unknown, field: string, required = false): unknown[] | undefined {
    if (!this.required(v, field, required, 'a list')) return undefined;
    if (Array.isArray(v)) return v;
    this.add(field, `Invalid value: must be a list, not ${describe(v)}`);
    return undefined;
  }

  string(v: unknown, field: string, required = false): string | undefined {
    if (!this.required(v, field, required, 'a string')) return undefined;
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'string') this.add(field, 'Invalid value: "": must not be empty');
    else this.add(field, `Invalid value: must be a string, not ${describe(v)}`);
    return undefined;
  }

  /** "10s", "1m30s", "500ms", or a bare number of seconds; returns milliseconds. */
  duration(v: unknown, field: string, required = false): number | undefined {
    if (!this.required(v, field, required, 'a duration such as 30s')) return undefined;
    if (typeof v === 'number' && v < 0) {
      this.add(field, `Invalid value: ${v}: must not be negative`);
      return undefined;
    }
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
    if (ms === undefined) {
      const shown = typeof v === 'string' ? `"${v}"` : describe(v);
      this.add(field, `Invalid value: ${shown}: must be a duration such as 500ms, 10s or 1m30s`);
    }
    return ms;
  }

  /** A map of string keys to string values (labels, node selectors). */
  stringMap(v: unknown, field: string): Record<string, string> | undefined {
    const o = this.object(v, field);
    if (!o) return undefined;
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) {
      if (typeof val === 'string') out[k] = val;
      else this.add(`${field}.${k}`, `Invalid value: must be a string, not ${describe(val)}`);
    }
    return out;
  }

  /** Flags fields the format does not have: a typo (`duraton`) must not be silently ignored. */
  noUnknown(o: Obj, field: string, known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (known.includes(k)) continue;
      this.add(field ? `${field}.${k}` : k, `Unknown field: known fields here are ${known.join(', ')}`);
    }
  }
}
