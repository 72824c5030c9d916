// The CronJob controller, as Kubernetes' cronjob controller (v2): each CronJob is looked at when
// it or one of its Jobs changes and again just after its next scheduled time. A look brings the
// active list up to date with the Jobs, deletes finished Jobs beyond the history limits, and,
// unless suspended, starts the Job of the latest schedule time missed since the last one (within
// startingDeadlineSeconds), named `<cronjob>-<minutes since the epoch>` so that one time never
// starts twice, honouring the concurrency policy. Time comes from the injected clock.

import {
  ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP,
  controllerOf,
  CronSyntaxError,
  isoTime,
  jobFinished,
  jsonEqual,
  keyOf,
  missedScheduleTimes,
  nextScheduleTime,
  ownerReferenceTo,
  parseCronJobSchedule,
  realClock,
  splitKey,
  wallClock,
  type Clock,
  type CronJob,
  type CronJobSchedule,
  type CronJobStatus,
  type Job,
  type Logger,
  type ObjectReference,
} from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { EventRecorder } from '../events.js';
import type { Store, Unsubscribe } from '../store/store.js';
import type { Controller, ControllerDeps, Enqueue, ReconcileResult } from './controller.js';

export const CRONJOB_COMPONENT = 'cronjob-controller';
/** Looked at this long after a scheduled time, so that the time has surely come (Kubernetes' nextScheduleDelta). */
const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed start times than this are not worth walking (Kubernetes warns and starts the latest). */
const MAX_MISSED = 100;

/** The time zone a CronJob without `timeZone` runs in: the control plane process's own, as kube-controller-manager's. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The name of the Job for a scheduled time: the CronJob's name and the time in minutes since the epoch. */
export function cronJobJobName(cronJobName: string, scheduledTime: number): string {
  return `${cronJobName}-${Math.floor(scheduledTime / 60_000)}`;
}

/** RFC 3339 with the zone's offset: the scheduled-timestamp annotation. */
export function rfc3339InZone(instant: number, tz: string): string {
  const offsetMin = Math.round((wallClock(instant, tz) - Math.floor(instant / 60_000) * 60_000) / 60_000);
  const local = new Date(instant + offsetMin * 60_000).toISOString().replace(/\.\d{3}Z$/, '');
  if (offsetMin === 0) return `${local}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.trunc(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

function jobRef(job: Job): ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    namespace: job.metadata.namespace,
    name: job.metadata.name,
    uid: job.metadata.uid,
    resourceVersion: job.metadata.resourceVersion,
  };
}

export interface CronJobControllerOptions {
  /** The zone of CronJobs without `timeZone`; the process's own by default. */
  defaultTimeZone?: string;
}

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly defaultTimeZone: string;

  constructor(deps: ControllerDeps, opts: CronJobControllerOptions = {}) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.recorder = deps.recorder;
    this.log = deps.log.child('cronjob');
    this.clock = deps.clock ?? realClock;
    this.defaultTimeZone = opts.defaultTimeZone ?? localTimeZone();
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    const owner = (job: Job | undefined) => {
      const ref = job ? controllerOf(job) : undefined;
      if (job && ref?.kind === 'CronJob') enqueue(`${job.metadata.namespace}/${ref.name}`);
    };
    return [
      this.store.watch({ kind: 'CronJob' }, (ev) => {
        if (ev.type !== 'DELETED') enqueue(keyOf(ev.object));
      }),
      this.store.watch({ kind: 'Job' }, (ev) => {
        owner(ev.object as Job);
        owner(ev.oldObject as Job | undefined);
      }),
    ];
  }

  resyncKeys(): string[] {
    return this.store.list('CronJob').items.map(keyOf);
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const cj = this.store.get<CronJob>('CronJob', namespace, name);
    if (!cj || cj.metadata.deletionTimestamp) return;
    const now = this.clock.now();
    const jobs = this.store.list<Job>('Job', { namespace, filter: (o) => controllerOf(o)?.uid === cj.metadata.uid }).items;
    const status = structuredClone(cj.status ?? {}) as CronJobStatus;
    this.syncActive(cj, jobs, status);
    this.cleanupFinished(cj, jobs);
    let result: ReconcileResult | undefined;
    let failure: unknown;
    try {
      result = this.schedule(cj, jobs, status, now);
    } catch (err) {
      failure = err;
    }
    if (status.active?.length === 0) delete status.active;
    if (!jsonEqual(cj.status ?? {}, status)) {
      const next = structuredClone(cj);
      next.status = status;
      this.registry.updateStatus(next);
    }
    if (failure !== undefined) throw failure;
    return result;
  }

  /** The active list follows the Jobs: finished ones leave it (the last success noted), lost ones too. */
  private syncActive(cj: CronJob, jobs: Job[], status: CronJobStatus): void {
    let active = [...(status.active ?? [])];
    for (const job of jobs) {
      const finished = jobFinished(job);
      const listed = active.some((r) => r.uid === job.metadata.uid);
      if (!finished && !listed) {
        // Not taken into the active list, as in Kubernetes: a Job made by hand (kip create job
        // --from) runs beside the schedule, not in its place.
        this.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata.name}`);
      } else if (finished && listed) {
        active = active.filter((r) => r.uid !== job.metadata.uid);
        this.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${finished}`);
        const done = job.status?.completionTime;
        if (finished === 'Complete' && done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime)))
          status.lastSuccessfulTime = done;
      }
    }
    for (const ref of [...active]) {
      if (jobs.some((j) => j.metadata.uid === ref.uid)) continue;
      this.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      active = active.filter((r) => r.uid !== ref.uid);
    }
    status.active = active;
  }

  /** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit. */
  private cleanupFinished(cj: CronJob, jobs: Job[]): void {
    const start = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata.creationTimestamp ?? '') || 0;
    for (const [result, limit] of [
      ['Complete', cj.spec.successfulJobsHistoryLimit],
      ['Failed', cj.spec.failedJobsHistoryLimit],
    ] as const) {
      if (limit === undefined) continue;
      const done = jobs.filter((j) => jobFinished(j) === result && !j.metadata.deletionTimestamp).sort((a, b) => start(a) - start(b));
      for (const job of done.slice(0, Math.max(0, done.length - limit))) this.deleteJob(cj, job);
    }
  }

  private deleteJob(cj: CronJob, job: Job): void {
    try {
      this.registry.delete('Job', job.metadata.namespace, job.metadata.name, { preconditions: { uid: job.metadata.uid }, propagationPolicy: 'Background' });
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return;
      this.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${errorMessage(err)}`);
      throw err;
    }
    this.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
  }

  /** Starts the Job of the latest missed schedule time, if one is due; answers when to look again. */
  private schedule(cj: CronJob, jobs: Job[], status: CronJobStatus, now: number): ReconcileResult {
    if (cj.spec.suspend) return;
    let sched: CronJobSchedule;
    try {
      sched = parseCronJobSchedule(cj.spec.schedule);
    } catch (err) {
      if (!(err instanceof CronSyntaxError)) throw err;
      this.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec.schedule)} : ${err.message}`);
      return;
    }
    const tz = cj.spec.timeZone ?? this.defaultTimeZone;
    const deadline = cj.spec.startingDeadlineSeconds;
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
    if (deadline !== undefined) earliest = Math.max(earliest, now - deadline * 1000);
    const next = nextScheduleTime(sched, now, tz);
    const again: ReconcileResult = next === undefined ? undefined : { requeueAfterMs: next - now + NEXT_SCHEDULE_DELTA_MS };
    const missed = missedScheduleTimes(sched, earliest, now, tz, MAX_MISSED);
    if (missed.count > MAX_MISSED)
      this.event(
        cj,
        'Warning',
        'TooManyMissedTimes',
        `too many missed start times: ${missed.count}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
      );
    const scheduled = missed.last;
    if (scheduled === undefined) return again;
    if (deadline !== undefined && scheduled + deadline * 1000 < now) {
      this.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc3339InZone(scheduled, tz)}`);
      return again;
    }
    const jobName = cronJobJobName(cj.metadata.name, scheduled);
    if (jobs.some((j) => j.metadata.name === jobName)) return again;
    const active = status.active ?? [];
    if (cj.spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
      // Not noted as scheduled: once the running one finishes, this time may still start, as in Kubernetes.
      this.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return again;
    }
    if (cj.spec.concurrencyPolicy === 'Replace') {
      for (const ref of active) {
        const job = jobs.find((j) => j.metadata.uid === ref.uid);
        if (job) this.deleteJob(cj, job);
      }
      status.active = [];
    }
    const created = this.createJob(cj, jobName, scheduled, tz);
    status.active = [...(status.active ?? []), jobRef(created)];
    status.lastScheduleTime = isoTime(scheduled);
    return again;
  }

  private createJob(cj: CronJob, name: string, scheduled: number, tz: string): Job {
    const tpl = cj.spec.jobTemplate;
    const job: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        labels: { ...tpl.metadata?.labels },
        annotations: { ...tpl.metadata?.annotations, [ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP]: rfc3339InZone(scheduled, tz) },
        ownerReferences: [ownerReferenceTo(cj)],
      },
      spec: structuredClone(tpl.spec),
    };
    if (Object.keys(job.metadata.labels ?? {}).length === 0) delete job.metadata.labels;
    let created: Job;
    try {
      created = this.registry.create<Job>(job);
    } catch (err) {
      this.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(err)}`);
      throw err;
    }
    this.log.info('created job', { cronjob: keyOf(cj), job: name, scheduledTime: isoTime(scheduled) });
    this.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    return created;
  }

  private event(cj: CronJob, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.record(cj, type, reason, message, { component: CRONJOB_COMPONENT });
  }
}
