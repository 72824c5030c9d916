// A Job's policies beyond backoffLimit, as batch/v1 has them in Kubernetes 1.32: the pod failure
// policy (what a failed pod's exit codes or conditions mean: fail the Job, fail its index,
// ignore the failure, or count it), the success policy of an Indexed Job (which succeeded indexes
// are enough), and the backoff limit per index. The schemas, and the checks the API server makes
// (ValidateJobSpec), in its words.

import { Type, type Static } from '@sinclair/typebox';
import { child, index, isInt, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { StringEnum } from '../validation/schema.js';
import { ConditionStatus } from './meta.js';

/** Kubernetes' caps on the rules and their lists. */
export const MAX_POLICY_RULES = 20;
export const MAX_EXIT_CODE_VALUES = 255;
/** backoffLimit when backoffLimitPerIndex is set and backoffLimit is not: no global limit. */
export const UNLIMITED_BACKOFF = 2_147_483_647;

export const PodFailurePolicyAction = StringEnum(['FailJob', 'FailIndex', 'Ignore', 'Count']);
export type PodFailurePolicyAction = Static<typeof PodFailurePolicyAction>;

export const PodFailurePolicyOnExitCodes = Type.Object({
  containerName: Type.Optional(Type.String()),
  operator: StringEnum(['In', 'NotIn']),
  values: Type.Array(Type.Integer()),
});
export type PodFailurePolicyOnExitCodes = Static<typeof PodFailurePolicyOnExitCodes>;

export const PodFailurePolicyOnPodConditionsPattern = Type.Object({
  type: Type.String(),
  status: Type.Optional(ConditionStatus),
});
export type PodFailurePolicyOnPodConditionsPattern = Static<typeof PodFailurePolicyOnPodConditionsPattern>;

export const PodFailurePolicyRule = Type.Object({
  action: PodFailurePolicyAction,
  onExitCodes: Type.Optional(PodFailurePolicyOnExitCodes),
  onPodConditions: Type.Optional(Type.Array(PodFailurePolicyOnPodConditionsPattern)),
});
export type PodFailurePolicyRule = Static<typeof PodFailurePolicyRule>;

export const PodFailurePolicy = Type.Object({ rules: Type.Array(PodFailurePolicyRule) });
export type PodFailurePolicy = Static<typeof PodFailurePolicy>;

export const SuccessPolicyRule = Type.Object({
  succeededIndexes: Type.Optional(Type.String()),
  succeededCount: Type.Optional(Type.Integer()),
});
export type SuccessPolicyRule = Static<typeof SuccessPolicyRule>;

export const SuccessPolicy = Type.Object({ rules: Type.Array(SuccessPolicyRule) });
export type SuccessPolicy = Static<typeof SuccessPolicy>;

/** The schema fields the policies add to a Job's spec. */
export const jobPolicyFields = {
  podFailurePolicy: Type.Optional(PodFailurePolicy),
  successPolicy: Type.Optional(SuccessPolicy),
  backoffLimitPerIndex: Type.Optional(Type.Integer({ minimum: 0 })),
  maxFailedIndexes: Type.Optional(Type.Integer({ minimum: 0 })),
  podReplacementPolicy: Type.Optional(StringEnum(['TerminatingOrFailed', 'Failed'])),
};

/**
 * An index list as an Indexed Job's status and success policy write it ("0,2-3"), checked:
 * ascending, not overlapping, each below `completions`. Answers the intervals, or an error.
 */
export function parseIndexList(text: string, completions: number): { first: number; last: number }[] | string {
  const out: { first: number; last: number }[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return `error parsing index "${part}"`;
    const first = Number(m[1]);
    const last = m[2] !== undefined ? Number(m[2]) : first;
    if (last < first) return `non-increasing order, previous: ${first}, current: ${last}`;
    if (last >= completions) return `too large: ${last}`;
    const prev = out[out.length - 1];
    if (prev && first <= prev.last) return `overlapping intervals, previous: ${prev.last}, current: ${first}`;
    out.push({ first, last });
  }
  return out;
}

/** The Job spec's policy checks, as ValidateJobSpec; called from the Job kind's own check. */
export function checkJobPolicies(spec: Obj, field: string, errors: FieldErrors): void {
  const indexed = spec.completionMode === 'Indexed';
  const completions = isInt(spec.completions) ? spec.completions : undefined;
  const perIndex = spec.backoffLimitPerIndex;
  if (perIndex !== undefined && !indexed) errors.invalid(child(field, 'backoffLimitPerIndex'), perIndex, 'requires indexed completion mode');
  if (spec.maxFailedIndexes !== undefined) {
    if (perIndex === undefined) errors.required(child(field, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified');
    else if (completions !== undefined && isInt(spec.maxFailedIndexes) && spec.maxFailedIndexes > completions)
      errors.invalid(child(field, 'maxFailedIndexes'), spec.maxFailedIndexes, 'must be less than or equal to completions');
  }
  if (isObj(spec.podFailurePolicy)) checkPodFailurePolicy(spec, child(field, 'podFailurePolicy'), errors);
  if (isObj(spec.successPolicy)) checkSuccessPolicy(spec.successPolicy, indexed, completions, child(field, 'successPolicy'), errors);
}

function checkPodFailurePolicy(spec: Obj, field: string, errors: FieldErrors): void {
  const policy = spec.podFailurePolicy as Obj;
  const tpl = spec.template;
  const rp = isObj(tpl) && isObj(tpl.spec) ? tpl.spec.restartPolicy : undefined;
  if (rp !== undefined && rp !== 'Never')
    errors.invalid('spec.template.spec.restartPolicy', rp, 'only "Never" is supported when podFailurePolicy is specified');
  const rules = Array.isArray(policy.rules) ? policy.rules : [];
  if (rules.length > MAX_POLICY_RULES) errors.add(child(field, 'rules'), `Too many: ${rules.length}: must have at most ${MAX_POLICY_RULES} items`);
  rules.forEach((rule, i) => {
    if (!isObj(rule)) return;
    const at = index(child(field, 'rules'), i);
    if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex === undefined)
      errors.invalid(child(at, 'action'), rule.action, 'requires the backoffLimitPerIndex to be set');
    const hasCodes = rule.onExitCodes !== undefined;
    const hasConditions = rule.onPodConditions !== undefined;
    if (hasCodes && hasConditions) errors.invalid(at, undefined, 'specifying both OnExitCodes and OnPodConditions is not supported');
    else if (!hasCodes && !hasConditions) errors.invalid(at, undefined, 'specifying one of OnExitCodes and OnPodConditions is required');
    if (isObj(rule.onExitCodes)) checkOnExitCodes(rule.onExitCodes, child(at, 'onExitCodes'), errors);
    if (Array.isArray(rule.onPodConditions)) {
      if (rule.onPodConditions.length > MAX_POLICY_RULES)
        errors.add(child(at, 'onPodConditions'), `Too many: ${rule.onPodConditions.length}: must have at most ${MAX_POLICY_RULES} items`);
      rule.onPodConditions.forEach((p, j) => {
        if (isObj(p) && (typeof p.type !== 'string' || p.type === '')) errors.required(child(index(child(at, 'onPodConditions'), j), 'type'));
      });
    }
  });
}

function checkOnExitCodes(req: Obj, field: string, errors: FieldErrors): void {
  const values = Array.isArray(req.values) ? req.values : [];
  if (values.length === 0) errors.required(child(field, 'values'), 'at least one value is required');
  if (values.length > MAX_EXIT_CODE_VALUES) errors.add(child(field, 'values'), `Too many: ${values.length}: must have at most ${MAX_EXIT_CODE_VALUES} items`);
  values.forEach((v, i) => {
    if (!isInt(v)) return;
    const at = index(child(field, 'values'), i);
    if (req.operator === 'In' && v === 0) errors.invalid(at, v, 'must not be 0 for the In operator');
    const prev = values[i - 1];
    if (i > 0 && isInt(prev)) {
      if (v === prev) errors.duplicate(at, v);
      else if (v < prev) errors.invalid(at, v, 'must be ordered');
    }
  });
}

function checkSuccessPolicy(policy: Obj, indexed: boolean, completions: number | undefined, field: string, errors: FieldErrors): void {
  if (!indexed) errors.invalid(field, undefined, 'requires indexed completion mode');
  const rules = Array.isArray(policy.rules) ? policy.rules : [];
  if (rules.length === 0) errors.required(child(field, 'rules'), 'at least one rules must be specified when the successPolicy is specified');
  if (rules.length > MAX_POLICY_RULES) errors.add(child(field, 'rules'), `Too many: ${rules.length}: must have at most ${MAX_POLICY_RULES} items`);
  rules.forEach((rule, i) => {
    if (!isObj(rule)) return;
    const at = index(child(field, 'rules'), i);
    if (rule.succeededIndexes === undefined && rule.succeededCount === undefined) {
      errors.required(at, 'at least one of succeededCount or succeededIndexes must be specified');
      return;
    }
    let ruleIndexes: number | undefined;
    if (typeof rule.succeededIndexes === 'string' && completions !== undefined) {
      const parsed = parseIndexList(rule.succeededIndexes, completions);
      if (typeof parsed === 'string') errors.invalid(child(at, 'succeededIndexes'), rule.succeededIndexes, parsed);
      else ruleIndexes = parsed.reduce((n, r) => n + r.last - r.first + 1, 0);
    }
    if (isInt(rule.succeededCount)) {
      const count = rule.succeededCount;
      if (count < 0) errors.invalid(child(at, 'succeededCount'), count, 'must be greater than or equal to 0');
      else if (completions !== undefined && count > completions)
        errors.invalid(child(at, 'succeededCount'), count, `must be less than or equal to ${completions} (the number of specified completions)`);
      else if (ruleIndexes !== undefined && count > ruleIndexes)
        errors.invalid(
          child(at, 'succeededCount'),
          count,
          `must be less than or equal to ${ruleIndexes} (the number of indexes in the specified succeededIndexes field)`,
        );
    }
  });
}
