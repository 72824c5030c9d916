// Label selectors: the string form users type (`app=web,tier in (a,b),!canary`), the structured
// form in manifests (matchLabels / matchExpressions), and node selector terms for node affinity.

import type { LabelSelector, NodeSelectorRequirement, NodeSelectorTerm } from '../kinds/index.js';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** A compiled selector: every requirement must hold. An empty selector matches everything. */
export type Selector = readonly Requirement[];

export class SelectorError extends Error {
  readonly code = 'InvalidSelector';
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const INTEGER = /^[-+]?\d+$/;

export function isLabelKey(k: string): boolean {
  return k.length > 0 && k.length <= 316 && KEY.test(k) && (k.split('/').pop()?.length ?? 0) <= 63;
}
export function isLabelValue(v: string): boolean {
  return v.length <= 63 && VALUE.test(v);
}

/** Parses the string form, as `kubectl get -l` accepts it. */
export function parseSelector(text: string): Selector {
  const out: Requirement[] = [];
  const s = text.trim();
  if (s === '') return out;
  let i = 0;
  const fail = (why: string): never => {
    throw new SelectorError(`invalid label selector "${text}": ${why}`);
  };
  const skipWs = () => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const readWord = () => {
    skipWs();
    const start = i;
    while (i < s.length && !' ,=!()'.includes(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipWs();
    let negate = false;
    if (s[i] === '!') {
      negate = true;
      i++;
    }
    const key = readWord();
    if (!key) fail(`expected a label key at position ${i}`);
    if (!isLabelKey(key)) fail(`"${key}" is not a valid label key`);
    skipWs();
    if (negate) {
      out.push({ key, operator: 'DoesNotExist', values: [] });
    } else if (s.startsWith('==', i) || s.startsWith('!=', i) || s[i] === '=') {
      const op = s.startsWith('!=', i) ? 'NotIn' : 'In';
      i += s.startsWith('==', i) || s.startsWith('!=', i) ? 2 : 1;
      const value = readWord();
      if (!isLabelValue(value)) fail(`"${value}" is not a valid label value`);
      out.push({ key, operator: op, values: [value] });
    } else if (/^(in|notin)\s*\(/.test(s.slice(i))) {
      const op = s.startsWith('notin', i) ? 'NotIn' : 'In';
      i = s.indexOf('(', i) + 1;
      const close = s.indexOf(')', i);
      if (close < 0) fail('missing ")"');
      const values = s
        .slice(i, close)
        .split(',')
        .map((v) => v.trim());
      for (const v of values) if (!isLabelValue(v)) fail(`"${v}" is not a valid label value`);
      out.push({ key, operator: op, values });
      i = close + 1;
    } else if (i >= s.length || s[i] === ',') {
      out.push({ key, operator: 'Exists', values: [] });
    } else {
      fail(`unexpected "${s[i]}" at position ${i}`);
    }
    skipWs();
    if (i < s.length) {
      if (s[i] !== ',') fail(`expected "," at position ${i}`);
      i++;
      skipWs();
      if (i >= s.length) fail(`expected a label key after "," at position ${i}`);
    }
  }
  return out;
}

/** Compiles the structured form used by ReplicaSets and Deployments. */
export function fromLabelSelector(sel: LabelSelector | undefined): Selector {
  const out: Requirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) out.push({ key, operator: 'In', values: [value] });
  for (const e of sel?.matchExpressions ?? []) out.push({ key: e.key, operator: e.operator, values: e.values ?? [] });
  return out;
}

/** A selector that matches exactly these labels (as `spec.selector` of a Service). */
export function fromLabels(labels: Record<string, string> | undefined): Selector {
  return Object.entries(labels ?? {}).map(([key, value]) => ({ key, operator: 'In' as const, values: [value] }));
}

function holds(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(v!);
    case 'NotIn':
      return !has || !r.values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      // Whole integers only, as Kubernetes' ParseInt: "8x" or "1.5" is no number and never matches.
      if (!has || r.values.length !== 1 || !INTEGER.test(v!) || !INTEGER.test(r.values[0]!)) return false;
      const a = Number(v);
      const b = Number(r.values[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
  }
}

export function matches(sel: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) if (!holds(r, l)) return false;
  return true;
}

export function selectorToString(sel: Selector): string {
  return sel
    .map((r) => {
      switch (r.operator) {
        case 'In':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'Gt':
          return `${r.key}>${r.values[0]}`;
        case 'Lt':
          return `${r.key}<${r.values[0]}`;
      }
    })
    .join(',');
}

/** A node selector term: all its expressions must hold on the node's labels, all fields on its fields. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, labels: Record<string, string> | undefined, fields: Record<string, string>): boolean {
  const exprs = term.matchExpressions ?? [];
  const flds = term.matchFields ?? [];
  if (exprs.length === 0 && flds.length === 0) return false; // an empty term matches nothing, as in Kubernetes
  const req = (e: NodeSelectorRequirement): Requirement => ({ key: e.key, operator: e.operator, values: e.values ?? [] });
  return exprs.every((e) => holds(req(e), labels ?? {})) && flds.every((e) => holds(req(e), fields));
}
