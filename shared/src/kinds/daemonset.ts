// DaemonSet: one pod of a template on every node the template may run on. The DaemonSet
// controller decides which nodes those are and rolls template changes out node by node.

import { Type, type Static } from '@sinclair/typebox';
import { controllerOf } from '../api/meta.js';
import { jsonEqual } from '../json-equal.js';
import { fromLabelSelector, selectorToString } from '../api/selector.js';
import { child, isObj, type Obj } from '../validation/errors.js';
import { IntOrString, READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels, writePodTemplate } from './describe.js';
import { checkIntOrPercent, isZeroIntOrPercent } from './int-or-percent.js';
import { defineKind } from './kind.js';
import { ConditionStatus, ObjectMeta, WorkloadSelector } from './meta.js';
import type { Pod } from './pod.js';
import { defaultPodTemplate, PodTemplateSpec } from './pod-spec.js';
import { podPhaseCounts } from './replicaset.js';
import { checkWorkloadSpec, containerImages, containerNames, selectorText } from './workload.js';

/** The label (on pods) naming the template revision a pod was made from, as Kubernetes' ControllerRevision hash. */
export const LABEL_CONTROLLER_REVISION_HASH = 'controller-revision-hash';

export const DaemonSetUpdateStrategy = withCheck(
  Type.Object({
    type: Type.Optional(StringEnum(['RollingUpdate', 'OnDelete'])),
    rollingUpdate: Type.Optional(Type.Object({ maxUnavailable: Type.Optional(IntOrString()), maxSurge: Type.Optional(IntOrString()) })),
  }),
  (s: Obj, field, errors) => {
    const ru = s.rollingUpdate;
    if (!isObj(ru)) return;
    const f = child(field, 'rollingUpdate');
    if (s.type === 'OnDelete') errors.forbidden(f, "may not be specified when strategy `type` is 'OnDelete'");
    checkIntOrPercent(ru.maxUnavailable, child(f, 'maxUnavailable'), errors);
    checkIntOrPercent(ru.maxSurge, child(f, 'maxSurge'), errors);
    // Both zero would let the rollout replace nothing (maxSurge defaults to 0, maxUnavailable to 1).
    const unavailable = ru.maxUnavailable ?? 1;
    if (isZeroIntOrPercent(unavailable) && (ru.maxSurge === undefined || isZeroIntOrPercent(ru.maxSurge)))
      errors.invalid(child(f, 'maxUnavailable'), unavailable, 'may not be 0 when `maxSurge` is 0');
  },
);
export type DaemonSetUpdateStrategy = Static<typeof DaemonSetUpdateStrategy>;

export const DaemonSetSpec = withCheck(
  Type.Object({
    selector: WorkloadSelector,
    template: PodTemplateSpec,
    updateStrategy: Type.Optional(DaemonSetUpdateStrategy),
    minReadySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    revisionHistoryLimit: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  checkWorkloadSpec,
);
export type DaemonSetSpec = Static<typeof DaemonSetSpec>;

export const DaemonSetCondition = Type.Object({
  type: Type.String(),
  status: ConditionStatus,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
});

export const DaemonSetStatus = Type.Object(
  {
    currentNumberScheduled: Type.Integer(),
    numberMisscheduled: Type.Integer(),
    desiredNumberScheduled: Type.Integer(),
    numberReady: Type.Integer(),
    observedGeneration: Type.Optional(Type.Integer()),
    updatedNumberScheduled: Type.Optional(Type.Integer()),
    numberAvailable: Type.Optional(Type.Integer()),
    numberUnavailable: Type.Optional(Type.Integer()),
    collisionCount: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(DaemonSetCondition)),
  },
  READ_ONLY,
);
export type DaemonSetStatus = Static<typeof DaemonSetStatus>;

export const DaemonSet = Type.Object({
  apiVersion: Type.Literal('apps/v1'),
  kind: Type.Literal('DaemonSet'),
  metadata: ObjectMeta,
  spec: DaemonSetSpec,
  status: Type.Optional(DaemonSetStatus),
});
export type DaemonSet = Static<typeof DaemonSet>;

/** `k=v,k2=v2` sorted by key, as kubectl's labels.FormatLabels prints a node selector. */
function formatNodeSelector(sel: Record<string, string> | undefined): string {
  const entries = Object.entries(sel ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : NONE;
}

export const daemonSetKind = defineKind<DaemonSet>({
  resource: { kind: 'DaemonSet', plural: 'daemonsets', singular: 'daemonset', shortNames: ['ds'], group: 'apps', version: 'v1', namespaced: true },
  schema: DaemonSet,
  defaults: (ds) => {
    ds.spec.updateStrategy ??= {};
    ds.spec.updateStrategy.type ??= 'RollingUpdate';
    if (ds.spec.updateStrategy.type === 'RollingUpdate') {
      ds.spec.updateStrategy.rollingUpdate ??= {};
      ds.spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
      ds.spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
    }
    ds.spec.minReadySeconds ??= 0;
    ds.spec.revisionHistoryLimit ??= 10;
    defaultPodTemplate(ds.spec.template);
  },
  status: { subresource: true, onCreate: 'drop' },
  generation: true,
  // As apps/v1: the selector says which pods are the DaemonSet's; changing it would orphan them.
  validateUpdate: (next, old) =>
    jsonEqual(next.spec?.selector, old.spec?.selector)
      ? []
      : [{ field: 'spec.selector', message: `Invalid value: ${JSON.stringify(next.spec?.selector)}: field is immutable` }],
  columns: {
    nameColumn: true,
    headers: ['DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (ds, now) => [
      String(ds.status?.desiredNumberScheduled ?? 0),
      String(ds.status?.currentNumberScheduled ?? 0),
      String(ds.status?.numberReady ?? 0),
      String(ds.status?.updatedNumberScheduled ?? 0),
      String(ds.status?.numberAvailable ?? 0),
      formatNodeSelector(ds.spec?.template?.spec?.nodeSelector),
      ageSince(ds.metadata.creationTimestamp, now),
    ],
    wideCells: (ds) => [containerNames(ds.spec?.template), containerImages(ds.spec?.template), selectorText(ds)],
  },
  describe: {
    related: (ds) => ({ pods: { kind: 'Pod', namespace: ds.metadata.namespace } }),
    write(w, ds, { events, objects }) {
      const st = ds.status;
      const pods = ((objects.pods ?? []) as Pod[]).filter((p) => controllerOf(p)?.uid === ds.metadata.uid);
      w.field(0, 'Name', ds.metadata.name);
      w.field(0, 'Namespace', ds.metadata.namespace ?? '');
      w.field(0, 'Selector', selectorToString(fromLabelSelector(ds.spec?.selector)) || NONE);
      w.field(0, 'Node-Selector', formatNodeSelector(ds.spec?.template?.spec?.nodeSelector));
      writeLabels(w, '', 'Labels', ds.metadata.labels);
      writeAnnotations(w, '', 'Annotations', ds.metadata.annotations);
      w.field(0, 'Desired Number of Nodes Scheduled', st?.desiredNumberScheduled ?? 0);
      w.field(0, 'Current Number of Nodes Scheduled', st?.currentNumberScheduled ?? 0);
      w.field(0, 'Number of Nodes Scheduled with Up-to-date Pods', st?.updatedNumberScheduled ?? 0);
      w.field(0, 'Number of Nodes Scheduled with Available Pods', st?.numberAvailable ?? 0);
      w.field(0, 'Number of Nodes Misscheduled', st?.numberMisscheduled ?? 0);
      const c = podPhaseCounts(pods);
      w.field(0, 'Pods Status', `${c.running} Running / ${c.waiting} Waiting / ${c.succeeded} Succeeded / ${c.failed} Failed`);
      writePodTemplate(w, ds.spec?.template);
      writeEvents(w, events);
    },
  },
});
