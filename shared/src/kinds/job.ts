// Job (batch/v1): runs pods of one template until a number of them have succeeded, retrying
// failed ones up to a limit. The schema, its checks (the template's restartPolicy, Indexed
// needs completions, a manual selector must select the template), defaults as Kubernetes'
// SetDefaults_Job, `kip get` and `kip describe` as kubectl prints Jobs. The selector and the
// pod labels that name the Job's uid are set on create by the API server (controlplane
// api/job-selector.ts), which alone knows the uid.

import { Type, type Static } from '@sinclair/typebox';
import { controllerOf } from '../api/meta.js';
import { fromLabelSelector, selectorToString } from '../api/selector.js';
import { jsonEqual } from '../json-equal.js';
import { child, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { ageSince, humanDuration } from './age.js';
import { NONE, writeAnnotations, writeEvents, writeLabels, writePodTemplate } from './describe.js';
import { checkJobPolicies, jobPolicyFields, UNLIMITED_BACKOFF } from './job-policies.js';
import { defineKind } from './kind.js';
import { ConditionStatus, LabelSelector, ObjectMeta, selectorMatches, TemplateMeta } from './meta.js';
import { defaultPodTemplate, PodTemplateSpec } from './pod-spec.js';
import { containerImages, containerNames, selectorText } from './workload.js';

/** The labels the API server puts on a Job's pod template (and its selector selects by the first). */
export const LABEL_JOB_CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';
export const LEGACY_LABEL_JOB_CONTROLLER_UID = 'controller-uid';
export const LEGACY_LABEL_JOB_NAME = 'job-name';
/** An Indexed Job's pod's index, as annotation and label; the pod also gets it as JOB_COMPLETION_INDEX. */
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** Kubernetes' cap on an Indexed Job's completions and parallelism. */
export const MAX_INDEXED_COMPLETIONS = 100_000;
export const DEFAULT_BACKOFF_LIMIT = 6;

/** Job pods run to completion: a pod that restarts Always would never finish. */
export function checkJobTemplate(tpl: unknown, field: string, errors: FieldErrors): void {
  if (!isObj(tpl)) return;
  const rp = isObj(tpl.spec) ? (tpl.spec.restartPolicy ?? 'Always') : undefined;
  // Left out, it would default to Always, which Kubernetes then refuses by that name.
  if (rp !== undefined && rp !== 'OnFailure' && rp !== 'Never') errors.unsupported(child(field, 'spec.restartPolicy'), rp, ['OnFailure', 'Never']);
}

function checkJobSpec(spec: Obj, field: string, errors: FieldErrors): void {
  checkJobTemplate(spec.template, child(field, 'template'), errors);
  if (spec.completionMode === 'Indexed') {
    if (spec.completions === undefined || spec.completions === null) errors.required(child(field, 'completions'), 'when completion mode is Indexed');
    else if (typeof spec.completions === 'number' && spec.completions > MAX_INDEXED_COMPLETIONS)
      errors.invalid(child(field, 'completions'), spec.completions, `must be less than or equal to ${MAX_INDEXED_COMPLETIONS} when completion mode is Indexed`);
    if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_INDEXED_COMPLETIONS)
      errors.invalid(child(field, 'parallelism'), spec.parallelism, `must be less than or equal to ${MAX_INDEXED_COMPLETIONS} when completion mode is Indexed`);
  }
  checkJobPolicies(spec, field, errors);
  if (spec.manualSelector === true) {
    if (!isObj(spec.selector)) errors.required(child(field, 'selector'), 'when `manualSelector` is true');
    else {
      const tpl = spec.template;
      const labels = isObj(tpl) && isObj(tpl.metadata) ? tpl.metadata.labels : undefined;
      if (!selectorMatches(spec.selector, labels)) errors.add(child(field, 'template.metadata.labels'), '`selector` does not match template `labels`');
    }
  }
}

const jobSpecFields = {
  parallelism: Type.Optional(Type.Integer({ minimum: 0 })),
  completions: Type.Optional(Type.Integer({ minimum: 0 })),
  activeDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  backoffLimit: Type.Optional(Type.Integer({ minimum: 0 })),
  selector: Type.Optional(LabelSelector),
  manualSelector: Type.Optional(Type.Boolean()),
  template: PodTemplateSpec,
  ttlSecondsAfterFinished: Type.Optional(Type.Integer({ minimum: 0 })),
  completionMode: Type.Optional(StringEnum(['NonIndexed', 'Indexed'])),
  suspend: Type.Optional(Type.Boolean()),
  ...jobPolicyFields,
};

export const JobSpec = withCheck(Type.Object(jobSpecFields), checkJobSpec);
export type JobSpec = Static<typeof JobSpec>;

export const JobConditionType = StringEnum(['Complete', 'Failed', 'Suspended', 'FailureTarget', 'SuccessCriteriaMet']);
export type JobConditionType = Static<typeof JobConditionType>;

export const JobCondition = Type.Object({
  type: JobConditionType,
  status: ConditionStatus,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastProbeTime: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
});
export type JobCondition = Static<typeof JobCondition>;

export const JobStatus = Type.Object(
  {
    conditions: Type.Optional(Type.Array(JobCondition)),
    startTime: Type.Optional(Type.String()),
    completionTime: Type.Optional(Type.String()),
    active: Type.Optional(Type.Integer()),
    succeeded: Type.Optional(Type.Integer()),
    failed: Type.Optional(Type.Integer()),
    terminating: Type.Optional(Type.Integer()),
    ready: Type.Optional(Type.Integer()),
    /** Indexed Jobs: the succeeded indexes, as "1,3-5,7". */
    completedIndexes: Type.Optional(Type.String()),
    /** Indexed Jobs with backoffLimitPerIndex: the indexes that failed for good, as completedIndexes. */
    failedIndexes: Type.Optional(Type.String()),
  },
  READ_ONLY,
);
export type JobStatus = Static<typeof JobStatus>;

export const Job = withCheck(
  Type.Object({
    apiVersion: Type.Literal('batch/v1'),
    kind: Type.Literal('Job'),
    metadata: ObjectMeta,
    spec: JobSpec,
    status: Type.Optional(JobStatus),
  }),
  (job: Obj, field, errors) => {
    // The name becomes the value of the job-name label its pods carry.
    const name = isObj(job.metadata) ? job.metadata.name : undefined;
    const manual = isObj(job.spec) && job.spec.manualSelector === true;
    if (!manual && typeof name === 'string' && name.length > 63)
      errors.invalid(child(field, 'spec.template.labels'), name, 'must be no more than 63 characters');
  },
);
export type Job = Static<typeof Job>;

/** A Job's spec as SetDefaults_Job leaves it; the CronJob's job template is not defaulted so. */
export function defaultJobSpec(spec: JobSpec): void {
  // Neither given: one pod to one success. Parallelism alone: a work queue, done when one succeeds.
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  // With a limit per index, the global one only applies when given.
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? UNLIMITED_BACKOFF : DEFAULT_BACKOFF_LIMIT;
  if (spec.podFailurePolicy) for (const rule of spec.podFailurePolicy.rules) for (const p of rule.onPodConditions ?? []) p.status ??= 'True';
  // A pod is replaced once it has failed, not while it terminates, when a failure policy may still judge it.
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
}

export function jobCondition(job: Job, type: JobConditionType): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** Whether the Job has finished: Complete or Failed, as IsJobFinished. */
export function jobFinished(job: Job): 'Complete' | 'Failed' | undefined {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  return undefined;
}

/** The STATUS column, as kubectl's printJob. */
export function jobDisplayStatus(job: Job): string {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (jobCondition(job, 'Suspended')) return 'Suspended';
  if (jobCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (jobCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** COMPLETIONS: `2/3`, or for a work queue of several pods `0/1 of 4`. */
export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const { completions, parallelism } = job.spec ?? {};
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  if (parallelism !== undefined && parallelism > 1) return `${succeeded}/1 of ${parallelism}`;
  return `${succeeded}/1`;
}

/** DURATION: from start to completion, or to now while running; empty before it starts. */
export function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime ? Date.parse(job.status.startTime) : Number.NaN;
  if (Number.isNaN(start)) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(end - start);
}

/** Fields a Job's owner may not change once it exists, as ValidateJobSpecUpdate. */
function validateJobUpdate(next: Job, old: Job) {
  const errors: { field: string; message: string }[] = [];
  const immutable = (field: string, a: unknown, b: unknown) => {
    if (!jsonEqual(a, b)) errors.push({ field, message: `Invalid value: ${JSON.stringify(a ?? null)}: field is immutable` });
  };
  immutable('spec.selector', next.spec.selector, old.spec.selector);
  immutable('spec.completions', next.spec.completions, old.spec.completions);
  immutable('spec.completionMode', next.spec.completionMode, old.spec.completionMode);
  if (!jsonEqual(next.spec.template, old.spec.template)) errors.push({ field: 'spec.template', message: 'Invalid value: field is immutable' });
  return errors;
}

/** A re-applied manifest leaves out what the API server generated: keep it. */
function keepGenerated(next: Job, old: Job): void {
  if (!next.spec) return;
  next.spec.selector ??= old.spec.selector;
  const oldLabels = old.spec.template?.metadata?.labels ?? {};
  const generated = [LABEL_JOB_CONTROLLER_UID, LABEL_JOB_NAME, LEGACY_LABEL_JOB_CONTROLLER_UID, LEGACY_LABEL_JOB_NAME];
  if (next.spec.template) {
    for (const k of generated) {
      const v = oldLabels[k];
      if (v === undefined || next.spec.template.metadata?.labels?.[k] !== undefined) continue;
      next.spec.template.metadata ??= {};
      next.spec.template.metadata.labels = { ...next.spec.template.metadata.labels, [k]: v };
    }
  }
}

export const jobKind = defineKind<Job>({
  resource: { kind: 'Job', plural: 'jobs', singular: 'job', shortNames: [], group: 'batch', version: 'v1', namespaced: true },
  schema: Job,
  defaults: (job) => {
    defaultJobSpec(job.spec);
    defaultPodTemplate(job.spec.template);
  },
  status: { subresource: true, onCreate: 'drop' },
  generation: true,
  prepareForUpdate: keepGenerated,
  validateUpdate: validateJobUpdate,
  columns: {
    nameColumn: true,
    headers: ['STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (job, now) => [jobDisplayStatus(job), jobCompletions(job), jobDuration(job, now), ageSince(job.metadata.creationTimestamp, now)],
    wideCells: (job) => [containerNames(job.spec?.template), containerImages(job.spec?.template), selectorText(job)],
  },
  describe: {
    write(w, job, { events }) {
      const spec = job.spec ?? ({} as JobSpec);
      const st = job.status ?? {};
      w.field(0, 'Name', job.metadata.name);
      w.field(0, 'Namespace', job.metadata.namespace ?? '');
      w.field(0, 'Selector', selectorToString(fromLabelSelector(spec.selector)) || NONE);
      writeLabels(w, '', 'Labels', job.metadata.labels);
      writeAnnotations(w, '', 'Annotations', job.metadata.annotations);
      const owner = controllerOf(job);
      if (owner) w.field(0, 'Controlled By', `${owner.kind}/${owner.name}`);
      if (spec.parallelism !== undefined) w.field(0, 'Parallelism', spec.parallelism);
      w.field(0, 'Completions', spec.completions ?? '<unset>');
      if (spec.completionMode) w.field(0, 'Completion Mode', spec.completionMode);
      if (spec.suspend !== undefined) w.field(0, 'Suspend', spec.suspend);
      if (spec.backoffLimit !== undefined) w.field(0, 'Backoff Limit', spec.backoffLimit);
      if (spec.backoffLimitPerIndex !== undefined) w.field(0, 'Backoff Limit Per Index', spec.backoffLimitPerIndex);
      if (spec.maxFailedIndexes !== undefined) w.field(0, 'Max Failed Indexes', spec.maxFailedIndexes);
      if (spec.ttlSecondsAfterFinished !== undefined) w.field(0, 'TTL Seconds After Finished', spec.ttlSecondsAfterFinished);
      if (st.startTime) w.field(0, 'Start Time', w.date(st.startTime));
      if (st.completionTime) w.field(0, 'Completed At', w.date(st.completionTime));
      if (st.startTime && st.completionTime) w.field(0, 'Duration', humanDuration(Date.parse(st.completionTime) - Date.parse(st.startTime)));
      if (spec.activeDeadlineSeconds !== undefined) w.field(0, 'Active Deadline Seconds', `${spec.activeDeadlineSeconds}s`);
      w.field(0, 'Pods Statuses', `${st.active ?? 0} Active (${st.ready ?? 0} Ready) / ${st.succeeded ?? 0} Succeeded / ${st.failed ?? 0} Failed`);
      if (spec.completionMode === 'Indexed') w.field(0, 'Completed Indexes', st.completedIndexes || NONE);
      if (spec.backoffLimitPerIndex !== undefined) w.field(0, 'Failed Indexes', st.failedIndexes || NONE);
      writePodTemplate(w, spec.template);
      writeEvents(w, events);
    },
  },
});

/** The job template of a CronJob: a Job's spec, not defaulted as a Job's is. */
export const JobTemplateSpec = Type.Object({ metadata: Type.Optional(TemplateMeta), spec: JobSpec });
export type JobTemplateSpec = Static<typeof JobTemplateSpec>;
