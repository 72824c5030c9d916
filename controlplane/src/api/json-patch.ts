// JSON patch (RFC 6902, `application/json-patch+json`), what `kubectl patch --type=json` sends: a
// list of operations (add, remove, replace, move, copy, test) on JSON pointers (RFC 6901), applied
// in order to a copy; the first that cannot apply fails the whole patch and nothing is changed.
// A malformed patch is a 400; one that does not apply to this object is a 422, as the API server answers.

import { isObj, jsonEqual } from '@kip/shared';
import { ApiError } from './errors.js';

type Container = Record<string, unknown> | unknown[];

const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new ApiError('BadRequest', 'a JSON patch must be a list of operations');
  // The root holds the document, so that a pointer to "" (the whole document) is one more key.
  const root: { doc: unknown } = { doc: structuredClone(document) };
  patch.forEach((op, i) => applyOperation(root, op, i));
  return root.doc;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function checkOperation(op: unknown, i: number): Operation {
  const where = `operation ${i}`;
  if (!isObj(op)) throw new ApiError('BadRequest', `${where}: must be an object with "op" and "path"`);
  if (typeof op.op !== 'string' || !OPS.includes(op.op))
    throw new ApiError('BadRequest', `${where}: Unsupported value: ${JSON.stringify(op.op)}: supported values: ${OPS.map((o) => `"${o}"`).join(', ')}`);
  if (typeof op.path !== 'string') throw new ApiError('BadRequest', `${where} (${op.op}): path: Required value`);
  if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') throw new ApiError('BadRequest', `${where} (${op.op}): from: Required value`);
  if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !Object.hasOwn(op, 'value'))
    throw new ApiError('BadRequest', `${where} (${op.op}): value: Required value`);
  return op as unknown as Operation;
}

/** A JSON pointer's reference tokens, unescaped (~1 is "/", ~0 is "~"). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new ApiError('BadRequest', `invalid JSON pointer ${JSON.stringify(pointer)}: it must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function unprocessable(message: string): ApiError {
  return new ApiError('Invalid', message);
}

/** The container a pointer's last token is in, and that token ("doc" for the whole document). */
function locate(root: { doc: unknown }, pointer: string, op: string): { parent: Container; key: string } {
  const tokens = ['doc', ...parsePointer(pointer)];
  let parent: unknown = root;
  for (const t of tokens.slice(0, -1)) {
    const next = childOf(parent, t);
    if (next === undefined) throw unprocessable(`${op} operation does not apply: doc is missing path: "${pointer}"`);
    parent = next;
  }
  if (!isObj(parent) && !Array.isArray(parent))
    throw unprocessable(`${op} operation does not apply: "${pointer}" is inside a value that is neither an object nor a list`);
  return { parent, key: tokens[tokens.length - 1]! };
}

function childOf(container: unknown, token: string): unknown {
  if (Array.isArray(container)) {
    const i = arrayIndex(token, container.length - 1);
    return i === undefined ? undefined : container[i];
  }
  if (isObj(container)) return Object.hasOwn(container, token) ? container[token] : undefined;
  return undefined;
}

/** A list index token: digits without leading zeros, at most `max`. */
function arrayIndex(token: string, max: number): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i <= max ? i : undefined;
}

function get(root: { doc: unknown }, pointer: string, op: string): unknown {
  const { parent, key } = locate(root, pointer, op);
  const v = childOf(parent, key);
  if (v === undefined) throw unprocessable(`${op} operation does not apply: doc is missing key: "${pointer}"`);
  return v;
}

function add(root: { doc: unknown }, pointer: string, value: unknown, op: string): void {
  const { parent, key } = locate(root, pointer, op);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : arrayIndex(key, parent.length);
    if (i === undefined) throw unprocessable(`${op} operation does not apply: index "${key}" is out of bounds of the list at "${pointer}"`);
    parent.splice(i, 0, value);
  } else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

function remove(root: { doc: unknown }, pointer: string, op: string): unknown {
  const { parent, key } = locate(root, pointer, op);
  if (Array.isArray(parent)) {
    const i = arrayIndex(key, parent.length - 1);
    if (i === undefined) throw unprocessable(`${op} operation does not apply: doc is missing key: "${pointer}"`);
    return parent.splice(i, 1)[0];
  }
  if (!Object.hasOwn(parent, key)) throw unprocessable(`${op} operation does not apply: doc is missing key: "${pointer}"`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function applyOperation(root: { doc: unknown }, raw: unknown, i: number): void {
  const o = checkOperation(raw, i);
  switch (o.op) {
    case 'add':
      return add(root, o.path, structuredClone(o.value), 'add');
    case 'remove':
      if (o.path === '') throw unprocessable('remove operation does not apply: the whole document cannot be removed');
      remove(root, o.path, 'remove');
      return;
    case 'replace': {
      get(root, o.path, 'replace');
      const { parent, key } = locate(root, o.path, 'replace');
      if (Array.isArray(parent)) parent[Number(key)] = structuredClone(o.value);
      else Object.defineProperty(parent, key, { value: structuredClone(o.value), enumerable: true, writable: true, configurable: true });
      return;
    }
    case 'move': {
      if (o.path !== o.from && o.path.startsWith(`${o.from!}/`))
        throw unprocessable(`move operation does not apply: "${o.from}" cannot be moved into its own child "${o.path}"`);
      const v = get(root, o.from!, 'move');
      remove(root, o.from!, 'move');
      return add(root, o.path, v, 'move');
    }
    case 'copy':
      return add(root, o.path, structuredClone(get(root, o.from!, 'copy')), 'copy');
    case 'test': {
      const { parent, key } = locate(root, o.path, 'test');
      const v = childOf(parent, key);
      if (v === undefined || !jsonEqual(v, o.value)) throw unprocessable(`testing value ${o.path} failed: test failed`);
      return;
    }
  }
}
