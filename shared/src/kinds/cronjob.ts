// CronJob (batch/v1): creates a Job from its template at the times of a cron schedule, in a
// time zone, keeping a few finished ones as history. The schema with the schedule and time zone
// checked as Kubernetes checks them, defaults, and kubectl's table and describe.

import { Type, type Static } from '@sinclair/typebox';
import { fromLabelSelector, selectorToString } from '../api/selector.js';
import { child, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { ageSince } from './age.js';
import { CronSyntaxError, isKnownTimeZone, parseCronJobSchedule } from './cron-schedule.js';
import { NONE, writeAnnotations, writeEvents, writeLabels, writePodTemplate } from './describe.js';
import { JobTemplateSpec } from './job.js';
import { defineKind } from './kind.js';
import { ObjectMeta, ObjectReference } from './meta.js';
import { defaultPodTemplate, dropTemplateZeroes } from './pod-spec.js';
import { containerImages, containerNames } from './workload.js';

export const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1;
/** The annotation a CronJob's Job carries: the time it was scheduled for, in the CronJob's zone. */
export const ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

function checkCronJobSpec(spec: Obj, field: string, errors: FieldErrors): void {
  if (typeof spec.schedule === 'string') {
    try {
      parseCronJobSchedule(spec.schedule);
    } catch (err) {
      if (!(err instanceof CronSyntaxError)) throw err;
      errors.invalid(child(field, 'schedule'), spec.schedule, err.message);
    }
  }
  const tz = spec.timeZone;
  if (typeof tz === 'string') {
    const f = child(field, 'timeZone');
    if (tz === '') errors.invalid(f, tz, 'timeZone must be nil or non-empty string');
    else if (tz.toLowerCase() === 'local') errors.invalid(f, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones');
    else if (!isKnownTimeZone(tz)) errors.invalid(f, tz, `unknown time zone ${tz}`);
  }
}

export const CronJobSpec = withCheck(
  Type.Object({
    schedule: Type.String({ minLength: 1 }),
    timeZone: Type.Optional(Type.String()),
    startingDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    concurrencyPolicy: Type.Optional(StringEnum(['Allow', 'Forbid', 'Replace'])),
    suspend: Type.Optional(Type.Boolean()),
    jobTemplate: JobTemplateSpec,
    successfulJobsHistoryLimit: Type.Optional(Type.Integer({ minimum: 0 })),
    failedJobsHistoryLimit: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  checkCronJobSpec,
);
export type CronJobSpec = Static<typeof CronJobSpec>;

export const CronJobStatus = Type.Object(
  {
    active: Type.Optional(Type.Array(ObjectReference)),
    lastScheduleTime: Type.Optional(Type.String()),
    lastSuccessfulTime: Type.Optional(Type.String()),
  },
  READ_ONLY,
);
export type CronJobStatus = Static<typeof CronJobStatus>;

/** A Job's name adds 11 characters (`-` and the minutes) to the CronJob's, and must stay a 63-character label value. */
export const MAX_CRONJOB_NAME_LENGTH = 52;

export const CronJob = withCheck(
  Type.Object({
    apiVersion: Type.Literal('batch/v1'),
    kind: Type.Literal('CronJob'),
    metadata: ObjectMeta,
    spec: CronJobSpec,
    status: Type.Optional(CronJobStatus),
  }),
  (cj: Obj, field, errors) => {
    const name = isObj(cj.metadata) ? cj.metadata.name : undefined;
    if (typeof name === 'string' && name.length > MAX_CRONJOB_NAME_LENGTH)
      errors.invalid(child(field, 'metadata.name'), name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`);
  },
);
export type CronJob = Static<typeof CronJob>;

const boolText = (b: boolean | undefined) => (b ? 'True' : 'False');

export const cronJobKind = defineKind<CronJob>({
  resource: { kind: 'CronJob', plural: 'cronjobs', singular: 'cronjob', shortNames: ['cj'], group: 'batch', version: 'v1', namespaced: true },
  schema: CronJob,
  defaults: (cj) => {
    cj.spec.concurrencyPolicy ??= 'Allow';
    cj.spec.suspend ??= false;
    cj.spec.successfulJobsHistoryLimit ??= DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT;
    cj.spec.failedJobsHistoryLimit ??= DEFAULT_FAILED_JOBS_HISTORY_LIMIT;
    dropTemplateZeroes(cj.spec.jobTemplate.metadata as { creationTimestamp?: unknown } | undefined);
    defaultPodTemplate(cj.spec.jobTemplate.spec.template);
  },
  status: { subresource: true, onCreate: 'drop' },
  generation: true,
  columns: {
    nameColumn: true,
    headers: ['SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (cj, now) => [
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? NONE,
      boolText(cj.spec?.suspend),
      String(cj.status?.active?.length ?? 0),
      cj.status?.lastScheduleTime ? ageSince(cj.status.lastScheduleTime, now) : NONE,
      ageSince(cj.metadata.creationTimestamp, now),
    ],
    wideCells: (cj) => {
      const tpl = cj.spec?.jobTemplate?.spec?.template;
      return [containerNames(tpl), containerImages(tpl), selectorToString(fromLabelSelector(cj.spec?.jobTemplate?.spec?.selector)) || NONE];
    },
  },
  describe: {
    write(w, cj, { events }) {
      const spec = cj.spec;
      const jobSpec = spec?.jobTemplate?.spec;
      w.field(0, 'Name', cj.metadata.name);
      w.field(0, 'Namespace', cj.metadata.namespace ?? '');
      writeLabels(w, '', 'Labels', cj.metadata.labels);
      writeAnnotations(w, '', 'Annotations', cj.metadata.annotations);
      w.field(0, 'Schedule', spec?.schedule ?? '');
      if (spec?.timeZone) w.field(0, 'Time Zone', spec.timeZone);
      w.field(0, 'Concurrency Policy', spec?.concurrencyPolicy ?? 'Allow');
      w.field(0, 'Suspend', boolText(spec?.suspend));
      w.field(0, 'Successful Job History Limit', spec?.successfulJobsHistoryLimit ?? '<unset>');
      w.field(0, 'Failed Job History Limit', spec?.failedJobsHistoryLimit ?? '<unset>');
      w.field(0, 'Starting Deadline Seconds', spec?.startingDeadlineSeconds !== undefined ? `${spec.startingDeadlineSeconds}s` : '<unset>');
      w.field(0, 'Selector', jobSpec?.selector ? selectorToString(fromLabelSelector(jobSpec.selector)) || NONE : '<unset>');
      w.field(0, 'Parallelism', jobSpec?.parallelism ?? '<unset>');
      w.field(0, 'Completions', jobSpec?.completions ?? '<unset>');
      if (jobSpec?.activeDeadlineSeconds !== undefined) w.field(0, 'Active Deadline Seconds', `${jobSpec.activeDeadlineSeconds}s`);
      writePodTemplate(w, jobSpec?.template);
      w.field(0, 'Last Schedule Time', cj.status?.lastScheduleTime ? w.date(cj.status.lastScheduleTime) : '<unset>');
      const active = (cj.status?.active ?? []).map((r) => r.name);
      w.field(0, 'Active Jobs', active.length ? active.join(', ') : NONE);
      writeEvents(w, events);
    },
  },
});
