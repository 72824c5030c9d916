// PriorityClass (scheduling.k8s.io/v1): a name for a pod priority. Pods name a class in
// spec.priorityClassName and admission turns it into spec.priority; the scheduler places higher
// priorities first and lets them preempt lower ones. Cluster-scoped; the two system classes
// always exist and names starting with "system-" are reserved for them, as in Kubernetes.

import { Type, type Static } from '@sinclair/typebox';
import { FieldErrors, isObj, type FieldError, type Obj } from '../validation/errors.js';
import { withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { defineKind } from './kind.js';
import { ObjectMeta } from './meta.js';
import { PreemptionPolicy } from './pod-scheduling.js';

/** Kubernetes' HighestUserDefinablePriority: values above it belong to system classes. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
export const SYSTEM_CLUSTER_CRITICAL = 'system-cluster-critical';
export const SYSTEM_NODE_CRITICAL = 'system-node-critical';

/** The classes every cluster has (Kubernetes' SystemPriorityClasses), by name and value. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, { value: number; description: string }>> = Object.freeze({
  [SYSTEM_CLUSTER_CRITICAL]: {
    value: 2 * HIGHEST_USER_DEFINABLE_PRIORITY,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
  [SYSTEM_NODE_CRITICAL]: {
    value: 2 * HIGHEST_USER_DEFINABLE_PRIORITY + 1000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
});

export const PriorityClass = withCheck(
  Type.Object({
    apiVersion: Type.Literal('scheduling.k8s.io/v1'),
    kind: Type.Literal('PriorityClass'),
    metadata: ObjectMeta,
    value: Type.Integer({ minimum: -2147483648, maximum: 2147483647 }),
    globalDefault: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String()),
    preemptionPolicy: Type.Optional(PreemptionPolicy),
  }),
  (pc: Obj, _field, errors) => {
    const name = isObj(pc.metadata) ? pc.metadata.name : undefined;
    if (typeof name !== 'string' || typeof pc.value !== 'number') return;
    if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
      const known = SYSTEM_PRIORITY_CLASSES[name];
      const why = !known
        ? `${name} is not a known system priority class`
        : known.value !== pc.value
          ? `value of ${name} PriorityClass must be ${known.value}`
          : pc.globalDefault
            ? `globalDefault of ${name} PriorityClass must be false`
            : undefined;
      if (why)
        errors.forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`);
    } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
      errors.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`);
    }
  },
);
export type PriorityClass = Static<typeof PriorityClass>;

/** As Kubernetes' ValidatePriorityClassUpdate: the value and the preemption policy are fixed at creation. */
function validatePriorityClassUpdate(next: PriorityClass, old: PriorityClass): FieldError[] {
  const errors = new FieldErrors();
  if (next.value !== old.value) errors.forbidden('value', 'may not be changed in an update.');
  if ((next.preemptionPolicy ?? 'PreemptLowerPriority') !== (old.preemptionPolicy ?? 'PreemptLowerPriority'))
    errors.invalid('preemptionPolicy', next.preemptionPolicy, 'field is immutable');
  return errors.list;
}

export const priorityClassKind = defineKind<PriorityClass>({
  resource: {
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    singular: 'priorityclass',
    shortNames: ['pc'],
    group: 'scheduling.k8s.io',
    version: 'v1',
    namespaced: false,
  },
  schema: PriorityClass,
  defaults: (pc) => {
    pc.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  status: { subresource: false, onCreate: 'keep' },
  validateUpdate: validatePriorityClassUpdate,
  deletion: {
    forbidden: (pc) => (SYSTEM_PRIORITY_CLASSES[pc.metadata.name] ? 'this is a system priority class and cannot be deleted' : undefined),
  },
  columns: {
    nameColumn: true,
    headers: ['VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY'],
    wideHeaders: [],
    cells: (pc, now) => [
      String(pc.value),
      String(!!pc.globalDefault),
      ageSince(pc.metadata.creationTimestamp, now),
      pc.preemptionPolicy ?? 'PreemptLowerPriority',
    ],
    wideCells: () => [],
  },
});
