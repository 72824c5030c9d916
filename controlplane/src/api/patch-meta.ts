// What a kind's schema says about merging the value at a path: the merge key and strategy of a
// list (strategic merge patch) and its list type (server-side apply), read from the vendor
// extensions the kinds declare (shared/src/validation/patch-keys.ts) and the OpenAPI documents serve.

type Node = Record<string, unknown>;

/** A schema node, or undefined where the schema says nothing (an unknown field, a free-form map). */
export type SchemaNode = Node | undefined;

/** How a list merges. */
export interface ListMeta {
  /** The item field that identifies an item (containers: name). */
  mergeKey?: string;
  /** patchStrategy: "merge", "retainKeys", or both; empty means the list is replaced whole. */
  strategy: string[];
  /** x-kubernetes-list-type: map (items by key), set (distinct primitives), atomic (replaced whole). */
  listType: 'map' | 'set' | 'atomic';
}

/** A nullable union (`anyOf` with null) stands for its non-null member. */
function resolve(s: SchemaNode): SchemaNode {
  if (!s) return undefined;
  const anyOf = s.anyOf as Node[] | undefined;
  if (Array.isArray(anyOf) && s.type === undefined) return anyOf.find((a) => a.type === 'object' || a.type === 'array') ?? s;
  return s;
}

/** The schema of field `key` of an object node, or of a map's values. */
export function fieldSchema(s: SchemaNode, key: string): SchemaNode {
  const n = resolve(s);
  if (!n) return undefined;
  const props = n.properties as Record<string, Node> | undefined;
  if (props && Object.hasOwn(props, key)) return props[key];
  const patterns = n.patternProperties as Record<string, Node> | undefined;
  if (patterns) return Object.values(patterns)[0];
  if (typeof n.additionalProperties === 'object' && n.additionalProperties !== null) return n.additionalProperties as Node;
  return undefined;
}

/** The schema of a list's items. */
export function itemSchema(s: SchemaNode): SchemaNode {
  const n = resolve(s);
  return n && typeof n.items === 'object' ? (n.items as Node) : undefined;
}

export function listMeta(s: SchemaNode): ListMeta {
  const n = resolve(s) ?? {};
  const strategy = typeof n['x-kubernetes-patch-strategy'] === 'string' ? (n['x-kubernetes-patch-strategy'] as string).split(',') : [];
  const mergeKey = typeof n['x-kubernetes-patch-merge-key'] === 'string' ? (n['x-kubernetes-patch-merge-key'] as string) : undefined;
  const declared = n['x-kubernetes-list-type'];
  const listType = declared === 'map' && mergeKey ? 'map' : declared === 'set' ? 'set' : 'atomic';
  return { mergeKey, strategy, listType };
}

/** Whether an object node's keys are one choice whose other keys a patch clears (`$retainKeys`). */
export function retainsKeys(s: SchemaNode): boolean {
  const v = resolve(s)?.['x-kubernetes-patch-strategy'];
  return typeof v === 'string' && v.split(',').includes('retainKeys');
}
