// Collects every problem in a hand-written file, each with the path of the field it is in
// (`timeline[2].fault.spec.action`), in the API server's words ("Required value", "Invalid
// value"), so a user fixes them all in one go instead of one per run. A file has no schema
// document to look up, so its messages say what a field should be: `Required value: a list`,
// `Invalid value: must be a string, not number 3`.

import { FieldErrors, parseDuration, showValue, type FieldError } from '@kip/shared';

export { isObj, type Obj } from '@kip/shared';

export type FieldProblem = FieldError;

export class FieldChecker extends FieldErrors {
  get problems(): FieldProblem[] {
    return this.list;
  }

  protected override missing(field: string, expected: string): void {
    this.required(field, expected);
  }

  override wrongType(field: string, expected: string, value: unknown): void {
    this.invalid(field, undefined, `must be ${expected}, not ${showValue(value)}`);
  }

  /** A string, and not an empty one. */
  override string(v: unknown, field: string, required = false): string | undefined {
    const s = super.string(v, field, required);
    if (s !== '') return s;
    this.invalid(field, '', 'must not be empty');
    return undefined;
  }

  /** "10s", "1m30s", "500ms", or a bare number of seconds; returns milliseconds. */
  duration(v: unknown, field: string, required = false): number | undefined {
    if (v === undefined || v === null) {
      if (required) this.required(field, 'a duration such as 30s');
      return undefined;
    }
    if (typeof v === 'number' && v < 0) {
      this.invalid(field, v, 'must not be negative');
      return undefined;
    }
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
    if (ms === undefined) {
      const shown = typeof v === 'string' ? `"${v}"` : showValue(v);
      this.add(field, `Invalid value: ${shown}: must be a duration such as 500ms, 10s or 1m30s`);
    }
    return ms;
  }

  /** Flags fields the format does not have: a typo (`duraton`) must not be silently ignored. */
  noUnknown(o: Record<string, unknown>, field: string, known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (known.includes(k)) continue;
      this.add(field ? `${field}.${k}` : k, `Unknown field: known fields here are ${known.join(', ')}`);
    }
  }
}
