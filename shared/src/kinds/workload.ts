// What ReplicaSets and Deployments share: a selector, a pod template it must select, replicas.

import { Type, type TProperties } from '@sinclair/typebox';
import { fromLabelSelector, selectorToString } from '../api/selector.js';
import { child, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { withCheck } from '../validation/schema.js';
import { NONE } from './describe.js';
import { selectorMatches, WorkloadSelector } from './meta.js';
import { PodTemplateSpec } from './pod-spec.js';

/** The spec fields of both, then the kind's own; checked as one, then by the kind's own check if it has one. */
export function workloadSpec<P extends TProperties>(own: P, ownCheck?: (spec: Obj, field: string, errors: FieldErrors) => void) {
  return withCheck(
    Type.Object({
      replicas: Type.Optional(Type.Integer({ minimum: 0 })),
      minReadySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
      selector: WorkloadSelector,
      template: PodTemplateSpec,
      ...own,
    }),
    (spec: Obj, field: string, errors: FieldErrors) => {
      checkWorkloadSpec(spec, field, errors);
      ownCheck?.(spec, field, errors);
    },
  );
}

/** Template pods restart Always (a workload replaces pods, it does not rerun them), and the selector must select them. */
export function checkWorkloadSpec(spec: Obj, field: string, errors: FieldErrors): void {
  const tpl = spec.template;
  if (!isObj(tpl)) return;
  const rp = isObj(tpl.spec) ? tpl.spec.restartPolicy : undefined;
  if (rp !== undefined && rp !== 'Always') errors.unsupported(child(field, 'template.spec.restartPolicy'), rp, ['Always']);
  const labels = isObj(tpl.metadata) ? tpl.metadata.labels : undefined;
  if (isObj(spec.selector) && !selectorMatches(spec.selector, labels))
    errors.add(child(field, 'template.metadata.labels'), '`selector` does not match template `labels`');
}

export function defaultReplicas(spec: { replicas?: number; minReadySeconds?: number }): void {
  spec.replicas ??= 1;
  spec.minReadySeconds ??= 0;
}

export function containerNames(t: PodTemplateSpec | undefined): string {
  return (t?.spec?.containers ?? []).map((c) => c.name).join(',') || NONE;
}
export function containerImages(t: PodTemplateSpec | undefined): string {
  return (t?.spec?.containers ?? []).map((c) => c.image ?? (c.command ?? []).join(' ')).join(',') || NONE;
}
export function selectorText(obj: { spec?: { selector?: Parameters<typeof fromLabelSelector>[0] } }): string {
  return selectorToString(fromLabelSelector(obj.spec?.selector)) || NONE;
}
