// Schemas every kind shares: object metadata, references, labels and selectors, resource lists.

import { Type, type Static } from '@sinclair/typebox';
import { fromLabelSelector, matches } from '../api/selector.js';
import { isQuantity, parseQuantity } from '../api/quantity.js';
import { checkLabels, isDNS1123Label, isDNS1123Subdomain } from '../validation/names.js';
import { child, isObj, type Obj } from '../validation/errors.js';
import { notRequiredOnInput, READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { MERGE_SET, mergeByKey } from '../validation/patch-keys.js';

export const ConditionStatus = StringEnum(['True', 'False', 'Unknown']);
export type ConditionStatus = Static<typeof ConditionStatus>;

/** A map of labels: keys and values checked as Kubernetes checks them. */
export const Labels = withCheck(Type.Record(Type.String(), Type.String()), (m: Obj, field, errors) => checkLabels(m, field, errors));
export const StringMap = Type.Record(Type.String(), Type.String());

export const OwnerReference = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  uid: Type.String(),
  controller: Type.Optional(Type.Boolean()),
  blockOwnerDeletion: Type.Optional(Type.Boolean()),
});
export type OwnerReference = Static<typeof OwnerReference>;

/** One manager's fields (server-side apply): who, by which operation, at which version, and the set itself in FieldsV1. */
export const ManagedFieldsEntry = Type.Object({
  manager: Type.Optional(Type.String()),
  operation: Type.Optional(StringEnum(['Apply', 'Update'])),
  apiVersion: Type.Optional(Type.String()),
  time: Type.Optional(Type.String()),
  fieldsType: Type.Optional(StringEnum(['FieldsV1'])),
  fieldsV1: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  subresource: Type.Optional(Type.String()),
});
export type ManagedFieldsEntry = Static<typeof ManagedFieldsEntry>;

const metaFields = {
  name: Type.String(),
  generateName: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  uid: Type.Optional(Type.String(READ_ONLY)),
  resourceVersion: Type.Optional(Type.String(READ_ONLY)),
  generation: Type.Optional(Type.Integer(READ_ONLY)),
  creationTimestamp: Type.Optional(Type.String(READ_ONLY)),
  deletionTimestamp: Type.Optional(Type.String(READ_ONLY)),
  deletionGracePeriodSeconds: Type.Optional(Type.Integer(READ_ONLY)),
  labels: Type.Optional(Labels),
  annotations: Type.Optional(StringMap),
  ownerReferences: Type.Optional(Type.Array(OwnerReference, mergeByKey('uid'))),
  // Kept as given; nothing in kip finalizes, so an object with finalizers is deleted as any other.
  finalizers: Type.Optional(Type.Array(Type.String(), MERGE_SET)),
  // Kept by the server for server-side apply; a write may reset it, as in Kubernetes.
  managedFields: Type.Optional(Type.Array(ManagedFieldsEntry)),
};

/**
 * An object's metadata. The name is not required by the schema: a name or a generateName is,
 * which only the check can say.
 */
export const ObjectMeta = withCheck(notRequiredOnInput(Type.Object(metaFields), 'name'), (meta: Obj, field, errors, ctx) => {
  const name = typeof meta.name === 'string' ? meta.name : undefined;
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : undefined;
  if (!name && !generateName) errors.required(child(field, 'name'), 'name or generateName is required');
  if (name && !isDNS1123Subdomain(name))
    errors.invalid(
      child(field, 'name'),
      name,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    );
  if (generateName && !isDNS1123Subdomain(`${generateName}a`)) errors.invalid(child(field, 'generateName'), generateName, 'must be a valid name prefix');
  const ns = meta.namespace;
  if (typeof ns === 'string' && ctx.namespaced && !isDNS1123Label(ns))
    errors.invalid(child(field, 'namespace'), ns, 'a namespace must be a lowercase RFC 1123 label');
});
export type ObjectMeta = Static<typeof ObjectMeta>;

/** A pod template's metadata: its labels are what a selector matches. */
export const TemplateMeta = Type.Partial(Type.Object(metaFields));

export const ObjectReference = Type.Object({
  apiVersion: Type.Optional(Type.String()),
  kind: Type.String(),
  namespace: Type.Optional(Type.String()),
  name: Type.String(),
  uid: Type.Optional(Type.String()),
  resourceVersion: Type.Optional(Type.String()),
  fieldPath: Type.Optional(Type.String()),
});
export type ObjectReference = Static<typeof ObjectReference>;

export const LabelSelectorRequirement = Type.Object({
  key: Type.String(),
  operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: Type.Optional(Type.Array(Type.String())),
});
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirement>;

export const LabelSelector = Type.Object({
  matchLabels: Type.Optional(Labels),
  matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirement)),
});
export type LabelSelector = Static<typeof LabelSelector>;

/** A workload's selector: an empty one would select every pod in the namespace. */
export const WorkloadSelector = withCheck(Type.Object(LabelSelector.properties), (s: Obj, field, errors) => {
  if (Object.keys(isObj(s.matchLabels) ? s.matchLabels : {}).length === 0 && (Array.isArray(s.matchExpressions) ? s.matchExpressions : []).length === 0)
    errors.invalid(field, undefined, 'empty selector is invalid for a workload; it would select every pod');
});

/** Whether a selector (checked already) selects these labels; a selector that cannot compile does not. */
export function selectorMatches(selector: unknown, labels: unknown): boolean {
  try {
    return matches(fromLabelSelector(selector as never), (isObj(labels) ? labels : {}) as Record<string, string>);
  } catch {
    // errors in the selector itself were reported where it is
    return true;
  }
}

const RESOURCE_NAMES = ['cpu', 'memory', 'ephemeral-storage', 'pods'];

/** "cpu" in cores or millicores ("500m"), "memory" in bytes with suffixes ("128Mi"), "pods" a count. */
export const ResourceList = withCheck(
  // A quantity may be written as a number (`cpu: 1`), as Kubernetes' Quantity may.
  Type.Record(Type.String(), Type.Unsafe<string>({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] })),
  (list: Obj, field, errors) => {
    for (const [name, q] of Object.entries(list)) {
      const f = child(field, name);
      if (!RESOURCE_NAMES.includes(name)) errors.add(f, `Unsupported value: "${name}": supported resources: "cpu", "memory"`);
      else if (!isQuantity(q)) errors.invalid(f, q, 'must be a quantity such as "250m", "0.5", "128Mi" or "1Gi"');
      else if ((parseQuantity(q as string) ?? 0) < 0) errors.invalid(f, q, 'must be greater than or equal to 0');
    }
  },
);
export type ResourceList = Static<typeof ResourceList>;

export const ResourceRequirements = withCheck(
  Type.Object({ requests: Type.Optional(ResourceList), limits: Type.Optional(ResourceList) }),
  (res: Obj, field, errors) => {
    const req = isObj(res.requests) ? res.requests : {};
    const lim = isObj(res.limits) ? res.limits : {};
    for (const name of Object.keys(req)) {
      if (lim[name] === undefined || !isQuantity(req[name]) || !isQuantity(lim[name])) continue;
      if (parseQuantity(req[name] as string)! > parseQuantity(lim[name] as string)!)
        errors.invalid(child(field, 'requests'), String(req[name]), `must be less than or equal to ${name} limit of ${String(lim[name])}`);
    }
  },
);
export type ResourceRequirements = Static<typeof ResourceRequirements>;

export const TaintEffect = StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
export type TaintEffect = Static<typeof TaintEffect>;
