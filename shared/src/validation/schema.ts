// Checks a value against a kind's schema, reporting every error with its field path. The schemas
// are plain JSON Schema (TypeBox), the same ones the OpenAPI document serves; what JSON Schema
// cannot say (a name is a DNS label, a selector matches the template's labels) is a check
// attached to the schema node it is about, run after the node's fields, so errors come out in the
// order of the fields.

import { Type, type SchemaOptions, type TObject, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { child, index, isInt, isObj, type FieldErrors } from './errors.js';

/** What a check may need to know beyond the value: whether the object lives in a namespace. */
export interface CheckContext {
  namespaced: boolean;
}

export type Check = (value: never, field: string, errors: FieldErrors, ctx: CheckContext) => void;

// A symbol, so that the check stays out of the schema's JSON.
const CHECK = Symbol.for('kip.validation.check');

/**
 * Attaches a check to a schema node. It runs only when the node's own type is right (an object
 * is an object), after its fields were checked; the fields themselves may still be wrong, so
 * the check looks at them with care.
 */
export function withCheck<S extends TSchema, V = unknown>(schema: S, check: (value: V, field: string, errors: FieldErrors, ctx: CheckContext) => void): S {
  (schema as unknown as Record<symbol, unknown>)[CHECK] = check;
  return schema;
}

/** A string from a fixed set, as JSON Schema's `enum` (which OpenAPI v2 understands, unlike anyOf). */
export function StringEnum<const T extends string>(values: readonly T[], options: SchemaOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, type: 'string', enum: [...values] });
}

/**
 * An integer or a string (a port number or name, `25%`), as Kubernetes' IntOrString. The schema
 * does not say which strings or numbers are right: the field's owner checks that, in its own words.
 */
export function IntOrString(options: SchemaOptions = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({ ...options, 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
}

/** Server-set fields (status, uid, resourceVersion): served and stored, never checked on input. */
export const READ_ONLY = { readOnly: true } as const;

type Node = Record<string, unknown> & { [CHECK]?: Check };

/** Checks `value` at `field` against `schema`, adding every error found. */
export function checkSchema(schema: TSchema, value: unknown, field: string, errors: FieldErrors, ctx: CheckContext = { namespaced: true }): void {
  walk(schema as unknown as Node, value, field, errors, ctx);
}

function walk(s: Node, v: unknown, field: string, errors: FieldErrors, ctx: CheckContext): void {
  if (s.readOnly === true) return;
  if (Array.isArray(s.enum)) {
    // An absent choice is fine, but null is no choice.
    if (v !== undefined && !(s.enum as unknown[]).includes(v)) errors.unsupported(field, v, s.enum as string[]);
    return;
  }
  if (v === undefined || v === null) return;
  const ok = typeOk(s, v, field, errors);
  if (!ok) return;
  if (s.type === 'object') walkObject(s, v as Record<string, unknown>, field, errors, ctx);
  else if (s.type === 'array' && s.items) {
    const items = s.items as Node;
    (v as unknown[]).forEach((item, i) => {
      const f = index(field, i);
      // A list item cannot be left out: a missing object is required, a missing string is the wrong type.
      if ((item === undefined || item === null) && items.type !== 'string') errors.required(f);
      else if (item === null && items.type === 'string') errors.wrongType(f, 'a string', null);
      else walk(items, item, f, errors, ctx);
    });
  }
  const check = s[CHECK];
  if (check) check(v as never, field, errors, ctx);
}

function typeOk(s: Node, v: unknown, field: string, errors: FieldErrors): boolean {
  switch (s.type) {
    case 'object':
      if (isObj(v)) return true;
      errors.wrongType(field, 'an object', v);
      return false;
    case 'array':
      if (Array.isArray(v)) return true;
      errors.wrongType(field, 'a list', v);
      return false;
    case 'string':
      if (typeof v !== 'string') {
        errors.wrongType(field, 'a string', v);
        return false;
      }
      // An empty string where one is needed is a missing value, in Kubernetes' words.
      if (v === '' && typeof s.minLength === 'number' && s.minLength > 0) {
        errors.required(field);
        return false;
      }
      return true;
    case 'boolean':
      if (typeof v === 'boolean') return true;
      errors.wrongType(field, 'true or false', v);
      return false;
    case 'integer':
      if (!isInt(v)) {
        errors.wrongType(field, 'an integer', v);
        return false;
      }
      if (typeof s.minimum === 'number' && v < s.minimum) errors.add(field, `must be greater than or equal to ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) errors.add(field, `must be less than or equal to ${s.maximum}`);
      return true;
    case 'number':
      if (typeof v === 'number') return true;
      errors.wrongType(field, 'a number', v);
      return false;
    default:
      // No type (IntOrString, Unknown): the owner's check decides.
      return true;
  }
}

function walkObject(s: Node, o: Record<string, unknown>, field: string, errors: FieldErrors, ctx: CheckContext): void {
  const required = new Set((s.required as string[] | undefined) ?? []);
  for (const [name, prop] of Object.entries((s.properties as Record<string, Node> | undefined) ?? {})) {
    const v = o[name];
    const f = child(field, name);
    if (required.has(name) && (v === undefined || (v === null && !Array.isArray(prop.enum)))) {
      errors.required(f);
      continue;
    }
    walk(prop, v, f, errors, ctx);
  }
  // A map (Type.Record): every entry is checked against the value schema.
  for (const [pattern, prop] of Object.entries((s.patternProperties as Record<string, Node> | undefined) ?? {})) {
    const re = new RegExp(pattern);
    for (const [k, v] of Object.entries(o)) if (re.test(k)) walk(prop, v, child(field, k), errors, ctx);
  }
}

/**
 * Leaves fields out of an object schema's `required` list while its TypeScript type keeps them:
 * for fields a request may leave out because the server fills them (a name from generateName),
 * or whose absence the node's check reports in its own words.
 */
export function notRequiredOnInput<S extends TObject>(schema: S, ...names: string[]): S {
  const required = (schema.required ?? []).filter((n) => !names.includes(n));
  const copy = { ...schema, required } as S;
  if (required.length === 0) delete (copy as { required?: string[] }).required;
  return copy;
}

/**
 * The fields of `value` its schema does not declare, as paths (`spec.foo`,
 * `spec.containers[0].bar`): what fieldValidation=Strict refuses and Warn warns about. Maps
 * (patternProperties), nodes that keep any field (`x-kubernetes-preserve-unknown-fields`, no
 * type) and server-set parts (readOnly) have none. Keys starting with `$` are patch directives
 * (`$patch`, `$setElementOrder/containers`), not fields.
 */
export function unknownFields(schema: TSchema, value: unknown, field = ''): string[] {
  const out: string[] = [];
  findUnknown(schema as unknown as Node, value, field, out);
  return out;
}

function findUnknown(s: Node, v: unknown, field: string, out: string[]): void {
  if (s.readOnly === true || s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (s.type === 'array' && Array.isArray(v) && s.items) {
    v.forEach((item, i) => findUnknown(s.items as Node, item, index(field, i), out));
    return;
  }
  if (s.type !== 'object' || !isObj(v)) return;
  const props = s.properties as Record<string, Node> | undefined;
  const patterns = Object.entries((s.patternProperties as Record<string, Node> | undefined) ?? {}).map(([p, n]) => [new RegExp(p), n] as const);
  for (const [k, item] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    const f = child(field, k);
    const prop = props && Object.hasOwn(props, k) ? props[k] : patterns.find(([re]) => re.test(k))?.[1];
    if (prop) findUnknown(prop, item, f, out);
    else if (props) out.push(f);
  }
}
