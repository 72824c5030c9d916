// Deployment: rolls a pod template out through ReplicaSets, one per template revision.

import { Type, type Static } from '@sinclair/typebox';
import { jsonEqual } from '../json-equal.js';
import { controllerOf } from '../api/meta.js';
import { ANNOTATION_REVISION, LABEL_POD_TEMPLATE_HASH } from '../api/names.js';
import { fromLabelSelector, selectorToString } from '../api/selector.js';
import { child, isInt, type Obj } from '../validation/errors.js';
import { IntOrString, READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { mergeByKey, RETAIN_KEYS } from '../validation/patch-keys.js';
import { ageSince } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels, writePodTemplate } from './describe.js';
import { defineKind } from './kind.js';
import { ConditionStatus, ObjectMeta } from './meta.js';
import { defaultPodTemplate, type PodTemplateSpec } from './pod-spec.js';
import type { ReplicaSet } from './replicaset.js';
import { containerImages, containerNames, defaultReplicas, selectorText, workloadSpec } from './workload.js';

const isIntOrPercent = (v: unknown) => (isInt(v) && v >= 0) || (typeof v === 'string' && /^\d+%$/.test(v));

export const DeploymentStrategy = withCheck(
  Type.Object(
    {
      type: Type.Optional(StringEnum(['RollingUpdate', 'Recreate'])),
      rollingUpdate: Type.Optional(Type.Object({ maxSurge: Type.Optional(IntOrString()), maxUnavailable: Type.Optional(IntOrString()) })),
    },
    RETAIN_KEYS,
  ),
  (strategy: Obj, field, errors) => {
    const ru = strategy.rollingUpdate as Obj | undefined;
    if (ru === undefined || ru === null || typeof ru !== 'object') return;
    const f = child(field, 'rollingUpdate');
    if (strategy.type === 'Recreate') errors.forbidden(f, "may not be specified when strategy `type` is 'Recreate'");
    for (const k of ['maxSurge', 'maxUnavailable'] as const)
      if (ru[k] !== undefined && !isIntOrPercent(ru[k])) errors.invalid(child(f, k), ru[k], 'must be a non-negative integer or a percentage such as "25%"');
    const zero = (x: unknown) => x === 0 || x === '0%';
    if (zero(ru.maxSurge) && zero(ru.maxUnavailable)) errors.invalid(child(f, 'maxUnavailable'), undefined, 'may not be 0 when `maxSurge` is 0');
  },
);
export type DeploymentStrategy = Static<typeof DeploymentStrategy>;

export const DeploymentCondition = Type.Object({
  type: StringEnum(['Available', 'Progressing', 'ReplicaFailure']),
  status: ConditionStatus,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastUpdateTime: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
});
export type DeploymentCondition = Static<typeof DeploymentCondition>;

export const DeploymentSpec = workloadSpec({
  strategy: Type.Optional(DeploymentStrategy),
  revisionHistoryLimit: Type.Optional(Type.Integer({ minimum: 0 })),
  paused: Type.Optional(Type.Boolean()),
});
export type DeploymentSpec = Static<typeof DeploymentSpec>;

export const DeploymentStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    replicas: Type.Optional(Type.Integer()),
    updatedReplicas: Type.Optional(Type.Integer()),
    readyReplicas: Type.Optional(Type.Integer()),
    availableReplicas: Type.Optional(Type.Integer()),
    unavailableReplicas: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(DeploymentCondition, mergeByKey('type'))),
  },
  READ_ONLY,
);
export type DeploymentStatus = Static<typeof DeploymentStatus>;

export const Deployment = Type.Object({
  apiVersion: Type.Literal('apps/v1'),
  kind: Type.Literal('Deployment'),
  metadata: ObjectMeta,
  spec: DeploymentSpec,
  status: Type.Optional(DeploymentStatus),
});
export type Deployment = Static<typeof Deployment>;

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  if (!t) return undefined;
  const copy = structuredClone(t);
  if (copy.metadata?.labels) delete copy.metadata.labels[LABEL_POD_TEMPLATE_HASH];
  return copy;
}

/**
 * The deployment's new ReplicaSet (the one whose template is the deployment's, the hash label
 * aside, or failing that the one at the deployment's revision) and the old ones that still have pods.
 */
export function splitReplicaSets(d: Deployment, all: readonly ReplicaSet[]): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
  const owned = all.filter((rs) => {
    const owner = controllerOf(rs);
    return owner?.kind === 'Deployment' && (d.metadata.uid ? owner.uid === d.metadata.uid : owner.name === d.metadata.name);
  });
  const want = withoutHash(d.spec?.template);
  const revision = d.metadata.annotations?.[ANNOTATION_REVISION];
  const newRS =
    owned.find((rs) => jsonEqual(withoutHash(rs.spec?.template), want)) ??
    (revision ? owned.find((rs) => rs.metadata.annotations?.[ANNOTATION_REVISION] === revision) : undefined);
  const oldRSs = owned.filter((rs) => rs !== newRS && ((rs.spec?.replicas ?? 0) > 0 || (rs.status?.replicas ?? 0) > 0));
  return newRS ? { newRS, oldRSs } : { oldRSs };
}

function rsSummary(rs: ReplicaSet): string {
  return `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
}

export const deploymentKind = defineKind<Deployment>({
  resource: { kind: 'Deployment', plural: 'deployments', singular: 'deployment', shortNames: ['deploy'], group: 'apps', version: 'v1', namespaced: true },
  schema: Deployment,
  defaults: (d) => {
    defaultReplicas(d.spec);
    d.spec.revisionHistoryLimit ??= 10;
    d.spec.strategy ??= {};
    d.spec.strategy.type ??= 'RollingUpdate';
    if (d.spec.strategy.type === 'RollingUpdate') {
      d.spec.strategy.rollingUpdate ??= {};
      d.spec.strategy.rollingUpdate.maxSurge ??= '25%';
      d.spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    }
    defaultPodTemplate(d.spec.template);
  },
  status: { subresource: true, onCreate: 'drop' },
  generation: true,
  subresources: ['scale'],
  columns: {
    nameColumn: true,
    headers: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (d, now) => [
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      String(d.status?.updatedReplicas ?? 0),
      String(d.status?.availableReplicas ?? 0),
      ageSince(d.metadata.creationTimestamp, now),
    ],
    wideCells: (d) => [containerNames(d.spec?.template), containerImages(d.spec?.template), selectorText(d)],
  },
  describe: {
    related: (d) => ({ replicaSets: { kind: 'ReplicaSet', namespace: d.metadata.namespace } }),
    write(w, d, { events, objects }) {
      const st = d.status ?? {};
      w.field(0, 'Name', d.metadata.name);
      w.field(0, 'Namespace', d.metadata.namespace ?? '');
      w.field(0, 'CreationTimestamp', w.date(d.metadata.creationTimestamp));
      writeLabels(w, '', 'Labels', d.metadata.labels);
      writeAnnotations(w, '', 'Annotations', d.metadata.annotations);
      w.field(0, 'Selector', selectorToString(fromLabelSelector(d.spec?.selector)) || NONE);
      w.field(
        0,
        'Replicas',
        `${d.spec?.replicas ?? 0} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
      );
      const strategy = d.spec?.strategy?.type ?? 'RollingUpdate';
      w.field(0, 'StrategyType', strategy);
      w.field(0, 'MinReadySeconds', d.spec?.minReadySeconds ?? 0);
      if (strategy === 'RollingUpdate') {
        const ru = d.spec?.strategy?.rollingUpdate ?? {};
        w.field(0, 'RollingUpdateStrategy', `${ru.maxUnavailable ?? '25%'} max unavailable, ${ru.maxSurge ?? '25%'} max surge`);
      }
      writePodTemplate(w, d.spec?.template);
      if (st.conditions?.length) {
        w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
        w.write(1, '----\t------\t------\n');
        for (const c of st.conditions) w.write(1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
      }
      const { newRS, oldRSs } = splitReplicaSets(d, (objects.replicaSets ?? []) as ReplicaSet[]);
      w.field(0, 'OldReplicaSets', oldRSs.length ? oldRSs.map(rsSummary).join(', ') : NONE);
      w.field(0, 'NewReplicaSet', newRS ? rsSummary(newRS) : NONE);
      writeEvents(w, events);
    },
  },
});
