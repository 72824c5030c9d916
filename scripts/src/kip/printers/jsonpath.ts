// kubectl's JSONPath templates, for `-o jsonpath=...` and `-o custom-columns=...`: text with
// `{.path}` expressions, `{range .items[*]}...{end}` loops and `{"\n"}` literals. Paths take
// `.field`, `['field']`, `[0]`, `[-1]`, `[1:3]`, `[*]`, `.*`, `..field` (recursive) and filters
// `[?(@.type=="Ready")]`. A missing field prints nothing, as with kubectl's default
// --allow-missing-template-keys.

import { UsageError } from '../errors.js';

type Segment =
  | { kind: 'field'; name: string }
  | { kind: 'recursive'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number }
  | { kind: 'filter'; path: Segment[]; op?: string; value?: unknown };

interface PathExpr {
  fromRoot: boolean;
  segments: Segment[];
}

type TemplateNode = { kind: 'text'; text: string } | { kind: 'expr'; path: PathExpr } | { kind: 'range'; path: PathExpr; body: TemplateNode[] };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(template: string, why: string): never {
  throw new UsageError(`error parsing jsonpath ${template}: ${why}`);
}

/** Parses `.a.b[0]['c'][?(@.x=="y")]`, relative to the current item unless it starts with `$`. */
export function parsePath(text: string, template = text): PathExpr {
  let s = text.trim();
  let fromRoot = false;
  if (s.startsWith('$')) {
    fromRoot = true;
    s = s.slice(1);
  } else if (s.startsWith('@')) s = s.slice(1);
  const segments: Segment[] = [];
  let i = 0;
  const ident = () => {
    const m = /^[A-Za-z0-9_\-/]+|^\*/.exec(s.slice(i));
    if (!m) fail(template, `expected a field name at "${s.slice(i)}"`);
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    if (s.startsWith('..', i)) {
      i += 2;
      segments.push({ kind: 'recursive', name: ident() });
    } else if (s[i] === '.') {
      i++;
      if (i >= s.length) break; // "." alone is the current item
      const name = ident();
      segments.push(name === '*' ? { kind: 'wildcard' } : { kind: 'field', name });
    } else if (s[i] === '[') {
      const close = matchingBracket(s, i, template);
      segments.push(parseBracket(s.slice(i + 1, close).trim(), template));
      i = close + 1;
    } else fail(template, `unexpected "${s[i]}" in "${text}"`);
  }
  return { fromRoot, segments };
}

function matchingBracket(s: string, open: number, template: string): number {
  let depth = 0;
  let quote = '';
  for (let j = open; j < s.length; j++) {
    const c = s[j]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0 && c === ']') return j;
    }
  }
  return fail(template, `unclosed "[" in "${s}"`);
}

function literal(text: string): unknown {
  const t = text.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

function parseBracket(inner: string, template: string): Segment {
  if (inner === '*') return { kind: 'wildcard' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const slice = /^(-?\d*):(-?\d*)$/.exec(inner);
  if (slice) return { kind: 'slice', ...(slice[1] ? { start: Number(slice[1]) } : {}), ...(slice[2] ? { end: Number(slice[2]) } : {}) };
  if (/^(['"]).*\1$/.test(inner)) return { kind: 'field', name: inner.slice(1, -1) };
  const filter = /^\?\((.*)\)$/.exec(inner);
  if (filter) {
    const m = /^(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(filter[1]!.trim());
    if (m) return { kind: 'filter', path: parsePath(m[1]!, template).segments, op: m[2]!, value: literal(m[3]!) };
    return { kind: 'filter', path: parsePath(filter[1]!.trim(), template).segments };
  }
  return fail(template, `unsupported subscript "[${inner}]"`);
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObj(v)) return Object.values(v);
  return [];
}

function recursiveFind(v: unknown, name: string, out: unknown[]): void {
  if (isObj(v) && name in v) out.push(v[name]);
  for (const c of children(v)) recursiveFind(c, name, out);
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b || (typeof a !== 'object' && String(a) === String(b));
    case '!=':
      return !(a === b || (typeof a !== 'object' && String(a) === String(b)));
    default: {
      const x = Number(a);
      const y = Number(b);
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
    }
  }
}

function apply(values: unknown[], segments: readonly Segment[]): unknown[] {
  let cur = values;
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (seg.kind) {
        case 'field':
          if (isObj(v) && v[seg.name] !== undefined) next.push(v[seg.name]);
          break;
        case 'recursive':
          recursiveFind(v, seg.name, next);
          break;
        case 'wildcard':
          next.push(...children(v));
          break;
        case 'index':
          if (Array.isArray(v)) {
            const item = v[seg.index < 0 ? v.length + seg.index : seg.index];
            if (item !== undefined) next.push(item);
          }
          break;
        case 'slice':
          if (Array.isArray(v)) next.push(...v.slice(seg.start, seg.end));
          break;
        case 'filter':
          for (const item of children(v)) {
            const found = apply([item], seg.path);
            if (seg.op === undefined ? found.length > 0 : found.some((f) => compare(f, seg.op!, seg.value))) next.push(item);
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

/** The values a path selects from `current` (or from `root` for `$` paths). */
export function evaluatePath(path: PathExpr, current: unknown, root: unknown = current): unknown[] {
  return apply([path.fromRoot ? root : current], path.segments);
}

function unquote(s: string): string {
  return s.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c));
}

/** Parses a whole template into text, expressions and range blocks. */
export function parseTemplate(template: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: TemplateNode[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      stack.at(-1)!.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) stack.at(-1)!.push({ kind: 'text', text: template.slice(i, open) });
    let close = open + 1;
    let quote = '';
    for (; close < template.length; close++) {
      const c = template[close]!;
      if (quote) {
        if (c === '\\') close++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (close >= template.length) fail(template, 'unclosed "{"');
    const inner = template.slice(open + 1, close).trim();
    i = close + 1;
    if (/^(['"]).*\1$/s.test(inner)) stack.at(-1)!.push({ kind: 'text', text: unquote(inner) });
    else if (inner.startsWith('range ')) {
      const node: TemplateNode = { kind: 'range', path: parsePath(inner.slice(6), template), body: [] };
      stack.at(-1)!.push(node);
      stack.push(node.body);
    } else if (inner === 'end') {
      if (stack.length === 1) fail(template, 'an {end} without a {range}');
      stack.pop();
    } else stack.at(-1)!.push({ kind: 'expr', path: parsePath(inner, template) });
  }
  if (stack.length > 1) fail(template, 'a {range} without an {end}');
  return root;
}

export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function render(nodes: readonly TemplateNode[], current: unknown, root: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'expr') out += evaluatePath(n.path, current, root).map(formatValue).join(' ');
    else for (const item of evaluatePath(n.path, current, root)) out += render(n.body, item, root);
  }
  return out;
}

/** Executes a template against one value (an object, or a List of them). */
export function executeTemplate(template: string, value: unknown): string {
  return render(parseTemplate(template), value, value);
}
