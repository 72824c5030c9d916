// PodDisruptionBudget (policy/v1): how many of a set of pods must stay up, or may be down, while
// pods are evicted on purpose (a drain). The disruption controller keeps its status; the eviction
// API refuses an eviction the status does not allow.

import { Type, type Static } from '@sinclair/typebox';
import { fromLabelSelector, selectorToString } from '../api/selector.js';
import { child, type Obj } from '../validation/errors.js';
import { IntOrString, READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { writeEvents } from './describe.js';
import { checkIntOrPercent } from './int-or-percent.js';
import { defineKind } from './kind.js';
import { ConditionStatus, LabelSelector, ObjectMeta } from './meta.js';

/** The condition the disruption controller keeps: whether an eviction may happen now. */
export const CONDITION_DISRUPTION_ALLOWED = 'DisruptionAllowed';

export const PodDisruptionBudgetSpec = withCheck(
  Type.Object({
    minAvailable: Type.Optional(IntOrString()),
    maxUnavailable: Type.Optional(IntOrString()),
    selector: Type.Optional(LabelSelector),
    unhealthyPodEvictionPolicy: Type.Optional(StringEnum(['IfHealthyBudget', 'AlwaysAllow'])),
  }),
  (spec: Obj, field, errors) => {
    if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
      errors.invalid(field, undefined, 'minAvailable and maxUnavailable cannot be both set');
    checkIntOrPercent(spec.minAvailable, child(field, 'minAvailable'), errors);
    checkIntOrPercent(spec.maxUnavailable, child(field, 'maxUnavailable'), errors);
  },
);
export type PodDisruptionBudgetSpec = Static<typeof PodDisruptionBudgetSpec>;

export const PodDisruptionBudgetCondition = Type.Object({
  type: Type.String(),
  status: ConditionStatus,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  observedGeneration: Type.Optional(Type.Integer()),
  lastTransitionTime: Type.Optional(Type.String()),
});
export type PodDisruptionBudgetCondition = Static<typeof PodDisruptionBudgetCondition>;

export const PodDisruptionBudgetStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    /** Pods evicted but not yet gone, by name, with the time of the eviction. */
    disruptedPods: Type.Optional(Type.Record(Type.String(), Type.String())),
    disruptionsAllowed: Type.Integer(),
    currentHealthy: Type.Integer(),
    desiredHealthy: Type.Integer(),
    expectedPods: Type.Integer(),
    conditions: Type.Optional(Type.Array(PodDisruptionBudgetCondition)),
  },
  READ_ONLY,
);
export type PodDisruptionBudgetStatus = Static<typeof PodDisruptionBudgetStatus>;

export const PodDisruptionBudget = Type.Object({
  apiVersion: Type.Literal('policy/v1'),
  kind: Type.Literal('PodDisruptionBudget'),
  metadata: ObjectMeta,
  spec: PodDisruptionBudgetSpec,
  status: Type.Optional(PodDisruptionBudgetStatus),
});
export type PodDisruptionBudget = Static<typeof PodDisruptionBudget>;

const NOT_SET = 'N/A';

export const podDisruptionBudgetKind = defineKind<PodDisruptionBudget>({
  resource: {
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    shortNames: ['pdb'],
    group: 'policy',
    version: 'v1',
    namespaced: true,
  },
  schema: PodDisruptionBudget,
  // Until the controller has looked, nothing may be disrupted: an eviction must not slip through
  // between the budget's creation and its first status.
  status: {
    subresource: true,
    onCreate: () => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
  },
  generation: true,
  columns: {
    nameColumn: true,
    headers: ['MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE'],
    wideHeaders: [],
    cells: (pdb, now) => [
      pdb.spec?.minAvailable !== undefined ? String(pdb.spec.minAvailable) : NOT_SET,
      pdb.spec?.maxUnavailable !== undefined ? String(pdb.spec.maxUnavailable) : NOT_SET,
      String(pdb.status?.disruptionsAllowed ?? 0),
      ageSince(pdb.metadata.creationTimestamp, now),
    ],
    wideCells: () => [],
  },
  describe: {
    write(w, pdb, { events }) {
      const st = pdb.status;
      w.field(0, 'Name', pdb.metadata.name);
      w.field(0, 'Namespace', pdb.metadata.namespace ?? '');
      if (pdb.spec?.minAvailable !== undefined) w.field(0, 'Min available', String(pdb.spec.minAvailable));
      else if (pdb.spec?.maxUnavailable !== undefined) w.field(0, 'Max unavailable', String(pdb.spec.maxUnavailable));
      w.field(0, 'Selector', pdb.spec?.selector ? selectorToString(fromLabelSelector(pdb.spec.selector)) || '<none>' : '<unset>');
      w.write(0, 'Status:\n');
      w.field(2, 'Allowed disruptions', st?.disruptionsAllowed ?? 0);
      w.field(2, 'Current', st?.currentHealthy ?? 0);
      w.field(2, 'Desired', st?.desiredHealthy ?? 0);
      w.field(2, 'Total', st?.expectedPods ?? 0);
      writeEvents(w, events);
    },
  },
});
