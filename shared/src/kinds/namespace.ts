// Namespace: a scope for names. Deleting one turns it Terminating until the namespace controller
// has deleted what is in it.

import { Type, type Static } from '@sinclair/typebox';
import { isObj, type Obj } from '../validation/errors.js';
import { isDNS1123Label } from '../validation/names.js';
import { READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { defineKind } from './kind.js';
import { ObjectMeta } from './meta.js';

export const Namespace = withCheck(
  Type.Object({
    apiVersion: Type.Literal('v1'),
    kind: Type.Literal('Namespace'),
    metadata: ObjectMeta,
    spec: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    status: Type.Optional(Type.Object({ phase: Type.Optional(StringEnum(['Active', 'Terminating'])) }, READ_ONLY)),
  }),
  (ns: Obj, _field, errors) => {
    const name = isObj(ns.metadata) ? ns.metadata.name : undefined;
    if (typeof name === 'string' && name && !isDNS1123Label(name))
      errors.invalid('metadata.name', name, 'a namespace name must be a lowercase RFC 1123 label (at most 63 characters)');
  },
);
export type Namespace = Static<typeof Namespace>;

/** Namespaces that always exist and cannot be deleted. */
export const PERMANENT_NAMESPACES = ['default', 'kube-system'];

export const namespaceKind = defineKind<Namespace>({
  resource: { kind: 'Namespace', plural: 'namespaces', singular: 'namespace', shortNames: ['ns'], group: '', version: 'v1', namespaced: false },
  schema: Namespace,
  status: { subresource: false, onCreate: () => ({ phase: 'Active' }) },
  // As in Kubernetes, a namespace turns Terminating, the namespace controller deletes everything
  // in it, and then the namespace itself goes.
  deletion: {
    forbidden: (ns) => (PERMANENT_NAMESPACES.includes(ns.metadata.name) ? 'this namespace may not be deleted' : undefined),
    terminate: (ns) => {
      ns.status = { ...ns.status, phase: 'Terminating' };
    },
  },
  columns: {
    nameColumn: true,
    headers: ['STATUS', 'AGE'],
    wideHeaders: [],
    cells: (n, now) => [n.status?.phase ?? 'Active', ageSince(n.metadata.creationTimestamp, now)],
    wideCells: () => [],
  },
});
