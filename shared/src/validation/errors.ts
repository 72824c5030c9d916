// Field errors in the API server's words: each names the field by its path
// (`spec.template.spec.containers[0].image`) and says what is wrong with it, and a body's errors
// are all collected, so that a user fixes them in one go instead of one per try.

export interface FieldError {
  /** "" for the body as a whole. */
  field: string;
  message: string;
}

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** A value as a type error names it: `null`, `a list`, `an object`, `string "web"`, `number 3`. */
export function showValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** The path of a field inside another: `spec` + `containers` is `spec.containers`. */
export function child(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

/** The path of a list item: `spec.containers[0]`. */
export function index(parent: string, i: number): string {
  return `${parent}[${i}]`;
}

const quoted = (values: readonly string[]) => values.map((a) => `"${a}"`).join(', ');

/**
 * Collects field errors. The reporters (required, invalid, unsupported, …) word them as
 * Kubernetes' field.Error does; the readers (object, string, …) check a value's type, report a
 * wrong one, and answer the value when it can be used, so that the caller checks on.
 */
export class FieldErrors {
  readonly list: FieldError[] = [];

  get length(): number {
    return this.list.length;
  }

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  addAll(errors: readonly FieldError[]): void {
    this.list.push(...errors);
  }

  /** `Required value`, or `Required value: why`. */
  required(field: string, detail?: string): void {
    this.add(field, detail ? `Required value: ${detail}` : 'Required value');
  }

  /** `Invalid value: "x": why`; without a value, `Invalid value: why`. */
  invalid(field: string, value: unknown, detail: string): void {
    this.add(field, value === undefined ? `Invalid value: ${detail}` : `Invalid value: ${JSON.stringify(value)}: ${detail}`);
  }

  unsupported(field: string, value: unknown, supported: readonly string[]): void {
    this.add(field, `Unsupported value: ${JSON.stringify(value)}: supported values: ${quoted(supported)}`);
  }

  duplicate(field: string, value: unknown): void {
    this.add(field, `Duplicate value: ${JSON.stringify(value)}`);
  }

  forbidden(field: string, detail: string): void {
    this.add(field, `Forbidden: ${detail}`);
  }

  /** `must be a string, not number 3`. */
  wrongType(field: string, expected: string, value: unknown): void {
    this.add(field, `must be ${expected}, not ${showValue(value)}`);
  }

  /**
   * A required value is missing; `expected` says what it should be ("a list"). The API's words
   * leave that to the field's documentation; a collector for hand-written files may say it.
   */
  protected missing(field: string, _expected: string): void {
    this.required(field);
  }

  /** Absent (undefined or null) values pass unless required. */
  private present(v: unknown, field: string, required: boolean, expected: string): boolean {
    if (v !== undefined && v !== null) return true;
    if (required) this.missing(field, expected);
    return false;
  }

  object(v: unknown, field: string, required = false): Obj | undefined {
    if (!this.present(v, field, required, 'an object')) return undefined;
    if (isObj(v)) return v;
    this.wrongType(field, 'an object', v);
    return undefined;
  }

  array(v: unknown, field: string, required = false): unknown[] | undefined {
    if (!this.present(v, field, required, 'a list')) return undefined;
    if (Array.isArray(v)) return v;
    this.wrongType(field, 'a list', v);
    return undefined;
  }

  string(v: unknown, field: string, required = false): string | undefined {
    if (!this.present(v, field, required, 'a string')) return undefined;
    if (typeof v === 'string') return v;
    this.wrongType(field, 'a string', v);
    return undefined;
  }

  integer(v: unknown, field: string, min?: number, max?: number): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isInt(v)) {
      this.wrongType(field, 'an integer', v);
      return undefined;
    }
    if (min !== undefined && v < min) this.add(field, `must be greater than or equal to ${min}`);
    if (max !== undefined && v > max) this.add(field, `must be less than or equal to ${max}`);
    return v;
  }

  boolean(v: unknown, field: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    this.wrongType(field, 'true or false', v);
    return undefined;
  }

  /** One of a fixed set of strings; when required and absent, the message lists them. */
  oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], required = false): T | undefined {
    if (v === undefined || v === null) {
      if (required) this.required(field, `one of ${quoted(allowed)}`);
      return undefined;
    }
    if (typeof v === 'string' && allowed.includes(v as T)) return v as T;
    this.unsupported(field, v, allowed);
    return undefined;
  }

  /** A map of string keys to string values (labels, annotations, node selectors). */
  stringMap(v: unknown, field: string): Record<string, string> | undefined {
    const o = this.object(v, field);
    if (!o) return undefined;
    for (const [k, val] of Object.entries(o)) if (typeof val !== 'string') this.wrongType(child(field, k), 'a string', val);
    return o as Record<string, string>;
  }
}

/** One line per error, as the API server's message lists them. */
export function formatFieldErrors(kind: string, name: string, errors: readonly FieldError[]): string {
  const parts = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  return `${kind} "${name}" is invalid: ${parts.join(', ')}`;
}
