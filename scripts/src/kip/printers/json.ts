// `-o json`: objects as kubectl prints them, four-space indented; several objects as a `List`.

import type { KObject } from '@kip/shared';

export function printJSON(value: unknown): string {
  return JSON.stringify(value, null, 4) + '\n';
}

/** The `List` kubectl prints for more than one object, or for a collection. */
export function asList(items: readonly KObject[]): { apiVersion: 'v1'; kind: 'List'; metadata: Record<string, never>; items: KObject[] } {
  return { apiVersion: 'v1', kind: 'List', metadata: {}, items: [...items] };
}
