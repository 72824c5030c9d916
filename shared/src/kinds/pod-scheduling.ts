// The parts of the pod spec that say where a pod may go relative to other pods: inter-pod
// affinity and anti-affinity, topology spread constraints and the preemption policy, with the
// API server's checks (pkg/apis/core/validation: validatePodAffinityTerm,
// validateTopologySpreadConstraints) in its words.

import { Type, type Static } from '@sinclair/typebox';
import { isLabelKey } from '../api/selector.js';
import { child, index, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { StringEnum, withCheck } from '../validation/schema.js';
import { LabelSelector } from './meta.js';

/** Checks a topologyKey or a matchLabelKeys entry: required, and a valid label key. */
function checkLabelKey(v: unknown, field: string, errors: FieldErrors): void {
  if (typeof v !== 'string') return;
  if (v === '') errors.required(field, 'can not be empty');
  else if (!isLabelKey(v))
    errors.invalid(field, v, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
}

/** matchLabelKeys: valid keys, no repeats, and none the labelSelector already names (Kubernetes forbids the overlap). */
function checkMatchLabelKeys(o: Obj, field: string, errors: FieldErrors): void {
  const keys = Array.isArray(o.matchLabelKeys) ? o.matchLabelKeys : [];
  const sel = isObj(o.labelSelector) ? o.labelSelector : undefined;
  const selectorKeys = new Set<string>(Object.keys(isObj(sel?.matchLabels) ? sel.matchLabels : {}));
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    const f = index(child(field, 'matchLabelKeys'), i);
    checkLabelKey(k, f, errors);
    if (typeof k !== 'string') return;
    if (seen.has(k)) errors.duplicate(f, k);
    seen.add(k);
    if (selectorKeys.has(k)) errors.invalid(f, k, 'exists in both matchLabelKeys and labelSelector');
  });
  if (keys.length > 0 && !sel) errors.forbidden(child(field, 'matchLabelKeys'), 'must not be specified when labelSelector is not set');
}

export const PodAffinityTerm = withCheck(
  Type.Object({
    labelSelector: Type.Optional(LabelSelector),
    namespaces: Type.Optional(Type.Array(Type.String())),
    namespaceSelector: Type.Optional(LabelSelector),
    topologyKey: Type.String(),
    matchLabelKeys: Type.Optional(Type.Array(Type.String())),
  }),
  (t: Obj, field, errors) => {
    checkLabelKey(t.topologyKey, child(field, 'topologyKey'), errors);
    checkMatchLabelKeys(t, field, errors);
  },
);
export type PodAffinityTerm = Static<typeof PodAffinityTerm>;

export const WeightedPodAffinityTerm = withCheck(Type.Object({ weight: Type.Integer(), podAffinityTerm: PodAffinityTerm }), (t: Obj, field, errors) => {
  if (typeof t.weight === 'number' && (t.weight < 1 || t.weight > 100)) errors.invalid(child(field, 'weight'), t.weight, 'must be in the range 1-100');
});
export type WeightedPodAffinityTerm = Static<typeof WeightedPodAffinityTerm>;

/** podAffinity and podAntiAffinity have the same shape. */
const podAffinityShape = () =>
  Type.Object({
    requiredDuringSchedulingIgnoredDuringExecution: Type.Optional(Type.Array(PodAffinityTerm)),
    preferredDuringSchedulingIgnoredDuringExecution: Type.Optional(Type.Array(WeightedPodAffinityTerm)),
  });

export const PodAffinity = podAffinityShape();
export type PodAffinity = Static<typeof PodAffinity>;
export const PodAntiAffinity = podAffinityShape();
export type PodAntiAffinity = Static<typeof PodAntiAffinity>;

export const UNSATISFIABLE_CONSTRAINT_ACTIONS = ['DoNotSchedule', 'ScheduleAnyway'] as const;
export const NODE_INCLUSION_POLICIES = ['Honor', 'Ignore'] as const;

export const TopologySpreadConstraint = withCheck(
  Type.Object({
    maxSkew: Type.Integer(),
    topologyKey: Type.String(),
    whenUnsatisfiable: StringEnum(UNSATISFIABLE_CONSTRAINT_ACTIONS),
    labelSelector: Type.Optional(LabelSelector),
    minDomains: Type.Optional(Type.Integer()),
    nodeAffinityPolicy: Type.Optional(StringEnum(NODE_INCLUSION_POLICIES)),
    nodeTaintsPolicy: Type.Optional(StringEnum(NODE_INCLUSION_POLICIES)),
    matchLabelKeys: Type.Optional(Type.Array(Type.String())),
  }),
  (c: Obj, field, errors) => {
    if (typeof c.maxSkew === 'number' && c.maxSkew <= 0) errors.invalid(child(field, 'maxSkew'), c.maxSkew, 'must be greater than zero');
    checkLabelKey(c.topologyKey, child(field, 'topologyKey'), errors);
    if (typeof c.minDomains === 'number') {
      if (c.minDomains <= 0) errors.invalid(child(field, 'minDomains'), c.minDomains, 'must be greater than zero');
      else if (c.whenUnsatisfiable !== 'DoNotSchedule')
        errors.invalid(
          child(field, 'minDomains'),
          c.minDomains,
          `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${String(c.whenUnsatisfiable)}`,
        );
    }
    checkMatchLabelKeys(c, field, errors);
  },
);
export type TopologySpreadConstraint = Static<typeof TopologySpreadConstraint>;

/** As Kubernetes: no two constraints may share a topologyKey and whenUnsatisfiable. */
export const TopologySpreadConstraints = withCheck(Type.Array(TopologySpreadConstraint), (list: unknown[], field, errors) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (!isObj(c) || typeof c.topologyKey !== 'string' || typeof c.whenUnsatisfiable !== 'string') return;
    const pair = `{${c.topologyKey} ${c.whenUnsatisfiable}}`;
    if (seen.has(pair)) errors.duplicate(index(field, i), pair);
    seen.add(pair);
  });
});

export const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'] as const;
export const PreemptionPolicy = StringEnum(PREEMPTION_POLICIES);
export type PreemptionPolicy = Static<typeof PreemptionPolicy>;
