// Valid objects of real kinds and their mutations: the bodies the HTTP fuzzer sends start as a
// Pod, Deployment or Service the API accepts and get a few fields broken, so that they reach past
// the JSON parser into defaults, validation, admission and the controllers.
//
// Whatever the mutation, a body never asks a node to run a command: makeSafe() removes every
// `command` and `args` anywhere in it and makes every `image` the pause image, and pods carry a
// node selector no node has, so that most of them never run at all.

import type { Gen } from './gen.js';
import { NASTY_STRINGS } from './gen.js';

export const FUZZ_LABEL = 'kip.dev/fuzz';
/** No node has this label: pods that keep it stay Pending and start no process. */
export const NOWHERE = { [FUZZ_LABEL]: 'nowhere' };

type Json = Record<string, unknown>;

function podSpec(gen: Gen): Json {
  return {
    nodeSelector: { ...NOWHERE },
    terminationGracePeriodSeconds: 0,
    containers: [
      {
        name: 'c',
        image: 'pause',
        ports: [{ containerPort: 8080, name: 'http' }],
        resources: { requests: { cpu: '10m', memory: '8Mi' } },
        env: [{ name: 'A', value: gen.name() }],
      },
    ],
  };
}

export function basePod(gen: Gen): Json {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `fuzz-${gen.name(8)}`, labels: { app: 'fuzz', [FUZZ_LABEL]: 'yes' } }, spec: podSpec(gen) };
}

export function baseDeployment(gen: Gen): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `fuzz-${gen.name(8)}`, labels: { [FUZZ_LABEL]: 'yes' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'fuzz' } },
      template: { metadata: { labels: { app: 'fuzz', [FUZZ_LABEL]: 'yes' } }, spec: podSpec(gen) },
    },
  };
}

export function baseService(gen: Gen): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `fuzz-${gen.name(8)}`, labels: { [FUZZ_LABEL]: 'yes' } },
    spec: { selector: { app: 'fuzz' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

export const KINDS = [
  { kind: 'Pod', path: '/api/v1/namespaces/default/pods', make: basePod },
  { kind: 'Deployment', path: '/apis/apps/v1/namespaces/default/deployments', make: baseDeployment },
  { kind: 'Service', path: '/api/v1/namespaces/default/services', make: baseService },
] as const;

/** Stands for a value nested too deep to build as an object; deepText() writes it out. */
const DEEP = 'kip-fuzz-deep';

/** Replaces each deep-nesting placeholder in JSON or YAML text with that many nested arrays or objects. */
export function deepText(text: string): string {
  return text.replace(new RegExp(`"?${DEEP}-(\\d+)-([ao])"?`, 'g'), (_m, n: string, k: string) => {
    const levels = Number(n);
    return k === 'a' ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  });
}

/** Every path to a value inside an object, e.g. ['spec', 'containers', 0, 'image'], down to 30 levels. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof v !== 'object' || v === null || prefix.length >= 30) return out;
  for (const [k, child] of Object.entries(v)) {
    const p = [...prefix, Array.isArray(v) && /^\d+$/.test(k) ? Number(k) : k];
    out.push(p);
    paths(child, p, out);
  }
  return out;
}

/** Sets an own property, "__proto__" included (which plain assignment would treat as the prototype). */
function setOwn(o: object, key: string | number, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Breaks `count` fields of `obj` in place: wrong types, huge or nasty strings, deep nesting, nulls, prototype keys. */
export function mutate(gen: Gen, obj: Json, count = gen.between(1, 4)): Json {
  for (let i = 0; i < count; i++) {
    const all = paths(obj);
    const path = all.length && gen.chance(0.9) ? gen.pick(all) : [];
    const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], obj) as Record<string | number, unknown>;
    const key = path[path.length - 1];
    const target = key === undefined ? obj : parent;
    const op = gen.int(9);
    if (key === undefined || op === 0) {
      // a new key, often one that means something to JavaScript objects
      const where = typeof target[key ?? ''] === 'object' && target[key ?? ''] !== null && key !== undefined ? (target[key] as object) : obj;
      setOwn(
        where,
        gen.chance(0.5) ? gen.pick(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toJSON', 'valueOf']) : gen.string(),
        gen.chance(0.5) ? { polluted: true, toString: 'x' } : gen.json(2),
      );
      continue;
    }
    switch (op) {
      case 1:
        delete target[key];
        break;
      case 2:
        target[key] = null;
        break;
      case 3:
        target[key] = gen.json(3);
        break;
      case 4:
        target[key] = gen.string();
        break;
      case 5:
        target[key] = gen.number();
        break;
      case 6: {
        // the wrong container: a value in a list, a list in an object, an object in a string's place
        const v = target[key];
        target[key] = Array.isArray(v) ? { 0: v[0] } : typeof v === 'object' ? [v] : { value: v };
        break;
      }
      case 7:
        // Deeper than JSON.stringify can go, as text: see deepText.
        target[key] = gen.chance(0.5) ? gen.deep(gen.pick([20, 100])) : `${DEEP}-${gen.pick([5000, 100_000])}-${gen.pick(['a', 'o'])}`;
        break;
      default:
        target[key] = gen.pick(NASTY_STRINGS);
    }
  }
  return obj;
}

/**
 * Makes a fuzzed object harmless to the host, whatever the mutations did: no `command` or `args`
 * anywhere, every `image` the pause image, and no more than 2 replicas of anything.
 */
export function makeSafe<T>(value: T): T {
  // A loop, not recursion: fuzzed values nest thousands of levels deep.
  const todo: unknown[] = [value];
  while (todo.length) {
    const v = todo.pop();
    if (typeof v !== 'object' || v === null) continue;
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (key === 'command' || key === 'args') delete o[key];
      else if (key === 'image') o[key] = 'pause';
      else if (key === 'replicas') todo.push((o[key] = fewReplicas(o[key])));
      else todo.push(o[key]);
    }
  }
  return value;
}

/** Keeps a fuzzed replica count's type-breaking values, but never more than 2 pods' worth. */
function fewReplicas(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) && v > 2 ? 2 : v;
  if (typeof v === 'string' && /^\s*\d/.test(v) && Number(v) > 2) return '2';
  return v;
}
