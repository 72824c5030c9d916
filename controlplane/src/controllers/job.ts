// The Job controller: runs a Job's pods until enough have succeeded, as Kubernetes' job
// controller does. It keeps up to `parallelism` pods running (fewer when fewer completions are
// left; for an Indexed Job one pod per index not yet done), counts each pod that finishes once,
// waits longer after each failure before replacing a pod (10 s doubling, capped; a tenth of that
// in the fast profile), and gives up past backoffLimit failures or activeDeadlineSeconds. A Job
// that has reached its end first gets SuccessCriteriaMet or FailureTarget and has its remaining
// pods deleted; Complete or Failed follows once none of its pods runs, as in Kubernetes 1.32.
//
// Kubernetes keeps a finished pod in the store until it is counted (a finalizer); kip counts
// from its own memory instead: the pods already counted and those seen running, per Job. A pod
// seen running that is gone without finishing, deleted by someone else, counts as failed.
// After a restart the counts resume from the Job's status.

import {
  controllerOf,
  fromLabelSelector,
  isoTime,
  JOB_COMPLETION_INDEX,
  JOB_COMPLETION_INDEX_ENV,
  jobFinished,
  keyOf,
  ownerReferenceTo,
  PROFILES,
  realClock,
  setCondition,
  splitKey,
  jsonEqual,
  type Clock,
  type Job,
  type JobCondition,
  type JobConditionType,
  type JobStatus,
  type Logger,
  type Pod,
} from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { EventRecorder } from '../events.js';
import type { Store, Unsubscribe } from '../store/store.js';
import { claimObjects, enqueueOwners } from './claim.js';
import { COALESCE_MS, type Controller, type ControllerDeps, type Enqueue, type ReconcileResult } from './controller.js';
import { compressIndexes, parseIndexes, podIndex } from './job-indexes.js';
import {
  INDEX_FAILURE_COUNT,
  INDEX_IGNORED_FAILURE_COUNT,
  indexFailureCount,
  indexIgnoredFailureCount,
  matchPodFailurePolicy,
  matchSuccessPolicy,
} from './job-policies.js';
import { podsToDelete } from './pod-deletion-rank.js';
import { BURST_REPLICAS } from './replicaset.js';

export const JOB_COMPONENT = 'job-controller';

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What the controller remembers of one Job between reconciles (see the file comment). */
interface JobMemory {
  /** Finished pods already counted in the status. */
  counted: Set<string>;
  /** Pods seen not finished, as last seen: one that vanishes is judged by what it was. */
  running: Map<string, Pod>;
  /** Pods this controller deleted: their going is not a failure. */
  deletedByUs: Set<string>;
  /** Failures since the last success, and when the last one was: the replacement backoff. */
  failuresSinceSuccess: number;
  lastFailureAt: number;
  /** The message of the pod failure policy's FailJob rule a pod matched, once one has. */
  failJob?: string;
  /** Jobs with backoffLimitPerIndex: each index's failures so far, and the indexes failed for good. */
  indexFailures: Map<number, IndexFailures>;
  failedIndexes: Set<number>;
}

interface IndexFailures {
  counted: number;
  ignored: number;
  lastFailureAt: number;
}

/** How the Job ends, once it is known; the first condition is set at once, the second when no pod runs. */
interface Ending {
  interim: 'SuccessCriteriaMet' | 'FailureTarget';
  final: 'Complete' | 'Failed';
  reason: string;
  message: string;
}

const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

function finishedAt(pod: Pod, fallback: number): number {
  let t = 0;
  for (const cs of pod.status?.containerStatuses ?? []) t = Math.max(t, Date.parse(cs.state?.terminated?.finishedAt ?? '') || 0);
  return t || fallback;
}

export interface JobControllerOptions {
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export class JobController implements Controller {
  readonly name = 'job';
  readonly coalesceMs = COALESCE_MS;
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  /** Job uid -> what is remembered of it. */
  private readonly memory = new Map<string, JobMemory>();

  constructor(deps: ControllerDeps, opts: JobControllerOptions = {}) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.recorder = deps.recorder;
    this.log = deps.log.child('job');
    this.clock = deps.clock ?? realClock;
    const timing = deps.timing ?? PROFILES.fast;
    this.backoffInitialMs = opts.backoffInitialMs ?? timing.jobBackoffInitialMs;
    this.backoffMaxMs = opts.backoffMaxMs ?? timing.jobBackoffMaxMs;
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    return [
      this.store.watch({ kind: 'Job' }, (ev) => {
        if (ev.type === 'DELETED' && ev.object.metadata.uid) this.memory.delete(ev.object.metadata.uid);
        else enqueue(keyOf(ev.object));
      }),
      this.store.watch({ kind: 'Pod' }, (ev) => enqueueOwners(this.store, ev, 'Job', enqueue, (o) => !isTerminal(o as Pod))),
    ];
  }

  resyncKeys(): string[] {
    const jobs = this.store.list('Job').items;
    // Forget Jobs deleted while no watch was there to say so.
    const live = new Set(jobs.map((j) => j.metadata.uid));
    for (const uid of this.memory.keys()) if (!live.has(uid)) this.memory.delete(uid);
    return jobs.map(keyOf);
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const job = this.store.get<Job>('Job', namespace, name);
    if (!job || job.metadata.deletionTimestamp || jobFinished(job)) return;
    const candidates = this.store.list<Pod>('Pod', { namespace }).items;
    const pods = claimObjects(this.registry, job, fromLabelSelector(job.spec.selector), candidates).claimed;
    const now = this.clock.now();
    const status = structuredClone(job.status ?? {}) as JobStatus;
    const mem = this.remember(job, pods, status);
    this.count(job, pods, mem, status, now);

    const running = pods.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
    // With podReplacementPolicy Failed, a terminating pod keeps its place until it has failed.
    const occupied = job.spec.podReplacementPolicy === 'Failed' ? pods.filter((p) => !isTerminal(p)) : running;
    const suspended = job.spec.suspend === true;
    let requeueMs: number | undefined;
    let firstError: unknown;
    const attempt = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        firstError ??= err;
      }
    };

    if (!suspended) {
      if (suspendedCondition(status)) {
        status.conditions = this.condition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
        status.startTime = isoTime(now);
        this.recorder.record(job, 'Normal', 'Resumed', 'Job resumed', { component: JOB_COMPONENT });
      }
      status.startTime ??= isoTime(now);
    }

    const ending = this.pendingEnding(status) ?? this.ending(job, pods, running, status, mem, now);
    if (ending) {
      if (!hasTrue(status, ending.interim)) status.conditions = this.condition(status, ending.interim, 'True', ending.reason, ending.message, now);
      attempt(() => this.deletePods(job, running, mem));
    } else if (suspended) {
      if (!suspendedCondition(status)) {
        status.conditions = this.condition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
        this.recorder.record(job, 'Normal', 'Suspended', 'Job suspended', { component: JOB_COMPONENT });
      }
      attempt(() => this.deletePods(job, running, mem));
    } else {
      attempt(() => {
        requeueMs = this.manage(job, pods, running, occupied, mem, status, now);
      });
      const deadline = job.spec.activeDeadlineSeconds;
      if (deadline !== undefined && status.startTime) {
        const left = Date.parse(status.startTime) + deadline * 1000 - now;
        requeueMs = Math.min(requeueMs ?? Infinity, Math.max(1, left));
      }
    }

    // Status last, from the pods as stored now (our own creates and deletes included).
    const after = this.store.list<Pod>('Pod', { namespace, filter: (o) => controllerOf(o)?.uid === job.metadata.uid }).items;
    this.track(mem, after);
    const active = after.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
    const terminating = after.filter((p) => !isTerminal(p) && p.metadata.deletionTimestamp).length;
    status.active = active.length;
    status.ready = active.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    status.terminating = terminating;
    if (job.spec.completionMode === 'Indexed') {
      const done = compressIndexes(this.succeededIndexes(job, after));
      if (done) status.completedIndexes = done;
    }
    if (job.spec.backoffLimitPerIndex !== undefined) status.failedIndexes = compressIndexes(mem.failedIndexes);
    if (ending && active.length === 0 && terminating === 0) this.finish(job, ending, status, now);
    this.writeStatus(job, status);
    if (firstError !== undefined) throw firstError;
    return requeueMs === undefined || !Number.isFinite(requeueMs) ? undefined : { requeueAfterMs: Math.max(1, requeueMs) };
  }

  /** The memory of a Job, begun from its status and pods when the controller first sees it. */
  private remember(job: Job, pods: Pod[], status: JobStatus): JobMemory {
    const uid = job.metadata.uid!;
    let mem = this.memory.get(uid);
    if (mem) return mem;
    mem = {
      counted: new Set(),
      running: new Map(),
      deletedByUs: new Set(),
      failuresSinceSuccess: 0,
      lastFailureAt: 0,
      indexFailures: new Map(),
      failedIndexes: new Set(parseIndexes(status.failedIndexes)),
    };
    // What is already finished is in the status (or is counted now, if the status is behind).
    const finished = pods.filter(isTerminal).sort((a, b) => finishedAt(a, 0) - finishedAt(b, 0));
    for (const p of finished) {
      mem.counted.add(p.metadata.uid!);
      if (p.status?.phase === 'Succeeded') mem.failuresSinceSuccess = 0;
      else {
        mem.failuresSinceSuccess++;
        mem.lastFailureAt = Math.max(mem.lastFailureAt, finishedAt(p, 0));
        const index = podIndex(p);
        if (index !== undefined) this.noteIndexFailure(mem, index, indexFailureCount(p) + 1, indexIgnoredFailureCount(p), finishedAt(p, 0));
      }
    }
    const succeeded = finished.filter((p) => p.status?.phase === 'Succeeded').length;
    status.succeeded = Math.max(status.succeeded ?? 0, succeeded);
    status.failed = Math.max(status.failed ?? 0, finished.length - succeeded);
    this.track(mem, pods);
    this.memory.set(uid, mem);
    return mem;
  }

  private track(mem: JobMemory, pods: Pod[]): void {
    mem.running = new Map(pods.filter((p) => !isTerminal(p)).map((p) => [p.metadata.uid!, p]));
  }

  /** Keeps the latest failure counts of an index (a later pod of it carries the higher ones). */
  private noteIndexFailure(mem: JobMemory, index: number, counted: number, ignored: number, at: number): void {
    const prev = mem.indexFailures.get(index);
    if (prev && prev.counted + prev.ignored > counted + ignored) return;
    mem.indexFailures.set(index, { counted, ignored, lastFailureAt: Math.max(at, prev?.lastFailureAt ?? 0) });
  }

  /** Counts pods that finished since the last look, and pods that vanished while running. */
  private count(job: Job, pods: Pod[], mem: JobMemory, status: JobStatus, now: number): void {
    status.succeeded ??= 0;
    status.failed ??= 0;
    const present = new Set(pods.map((p) => p.metadata.uid!));
    for (const p of pods) {
      const uid = p.metadata.uid!;
      if (!isTerminal(p) || mem.counted.has(uid)) continue;
      mem.counted.add(uid);
      // A pod this controller stopped (suspended, surplus, or the Job ended) did not fail on its own.
      if (mem.deletedByUs.has(uid)) continue;
      if (p.status?.phase === 'Succeeded') {
        status.succeeded++;
        mem.failuresSinceSuccess = 0;
      } else {
        this.countFailure(job, p, mem, status, finishedAt(p, now));
      }
    }
    for (const [uid, last] of mem.running) {
      if (present.has(uid)) continue;
      if (mem.deletedByUs.delete(uid)) continue;
      this.log.info('pod of job gone before it finished; counted as failed', { job: keyOf(job), pod: last.metadata.name });
      this.countFailure(job, last, mem, status, now);
    }
  }

  /**
   * A pod that failed (or vanished while it ran, judged as it was last seen): the pod failure
   * policy says whether it fails the Job or its index, is ignored, or counts towards the limits.
   */
  private countFailure(job: Job, pod: Pod, mem: JobMemory, status: JobStatus, at: number): void {
    const match = matchPodFailurePolicy(job.spec.podFailurePolicy, pod);
    const index = job.spec.backoffLimitPerIndex !== undefined ? podIndex(pod) : undefined;
    if (match.action === 'FailJob') mem.failJob ??= match.message;
    if (!match.countFailed) {
      if (index !== undefined) this.noteIndexFailure(mem, index, indexFailureCount(pod), indexIgnoredFailureCount(pod) + 1, at);
      return;
    }
    status.failed = (status.failed ?? 0) + 1;
    mem.failuresSinceSuccess++;
    mem.lastFailureAt = Math.max(mem.lastFailureAt, at);
    if (index === undefined) return;
    const failures = indexFailureCount(pod) + 1;
    this.noteIndexFailure(mem, index, failures, indexIgnoredFailureCount(pod), at);
    if (match.action === 'FailIndex' || failures > (job.spec.backoffLimitPerIndex ?? 0)) mem.failedIndexes.add(index);
  }

  /** An ending decided on an earlier reconcile, waiting for the pods to stop. */
  private pendingEnding(status: JobStatus): Ending | undefined {
    for (const c of status.conditions ?? []) {
      if (c.status !== 'True') continue;
      if (c.type === 'FailureTarget') return { interim: 'FailureTarget', final: 'Failed', reason: c.reason ?? '', message: c.message ?? '' };
      if (c.type === 'SuccessCriteriaMet') return { interim: 'SuccessCriteriaMet', final: 'Complete', reason: c.reason ?? '', message: c.message ?? '' };
    }
    return undefined;
  }

  /** Whether the Job has reached its end now: failure first, as Kubernetes checks it. */
  private ending(job: Job, pods: Pod[], running: Pod[], status: JobStatus, mem: JobMemory, now: number): Ending | undefined {
    const limit = job.spec.backoffLimit ?? 6;
    const failed = (reason: string, message: string): Ending => ({ interim: 'FailureTarget', final: 'Failed', reason, message });
    if (mem.failJob !== undefined) return failed('PodFailurePolicy', mem.failJob);
    if ((status.failed ?? 0) > limit) return failed('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    if (job.spec.template.spec.restartPolicy === 'OnFailure') {
      // Restarts in place count as failures too: a pod that keeps crashing must not retry forever.
      let restarts = 0;
      for (const p of running) for (const cs of p.status?.containerStatuses ?? []) restarts += cs.restartCount ?? 0;
      if (limit === 0 ? restarts > 0 : restarts >= limit) return failed('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    }
    const deadline = job.spec.activeDeadlineSeconds;
    if (job.spec.suspend !== true && deadline !== undefined && status.startTime && now - Date.parse(status.startTime) >= deadline * 1000)
      return failed('DeadlineExceeded', 'Job was active longer than specified deadline');
    const succeededOk: Ending = {
      interim: 'SuccessCriteriaMet',
      final: 'Complete',
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    };
    const completions = job.spec.completions;
    if (job.spec.completionMode === 'Indexed') {
      const succeeded = this.succeededIndexes(job, pods);
      if (job.spec.backoffLimitPerIndex !== undefined) {
        const failedIndexes = mem.failedIndexes.size;
        if (job.spec.maxFailedIndexes !== undefined && failedIndexes > job.spec.maxFailedIndexes)
          return failed('MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes');
        if (failedIndexes > 0 && failedIndexes + succeeded.size >= (completions ?? 0)) return failed('FailedIndexes', 'Job has failed indexes');
      }
      const policyMet = matchSuccessPolicy(job.spec.successPolicy, completions ?? 0, succeeded);
      if (policyMet) return { interim: 'SuccessCriteriaMet', final: 'Complete', reason: 'SuccessPolicy', message: policyMet };
      if (completions !== undefined && succeeded.size >= completions) return succeededOk;
    } else if (completions !== undefined && completions !== null) {
      if ((status.succeeded ?? 0) >= completions) return succeededOk;
    } else if ((status.succeeded ?? 0) > 0 && running.length === 0) {
      // A work queue: done when one pod has succeeded and the others have stopped.
      return succeededOk;
    }
    return undefined;
  }

  /** Creates or deletes pods towards what the Job wants running; answers when to look again. */
  private manage(job: Job, pods: Pod[], running: Pod[], occupied: Pod[], mem: JobMemory, status: JobStatus, now: number): number | undefined {
    const parallelism = job.spec.parallelism ?? 1;
    const completions = job.spec.completions;
    const perIndex = job.spec.backoffLimitPerIndex !== undefined;
    let want: number;
    const indexes: number[] = [];
    let indexWaitMs: number | undefined;
    if (job.spec.completionMode === 'Indexed') {
      const done = this.succeededIndexes(job, pods);
      const busy = new Set(occupied.map(podIndex).filter((i): i is number => i !== undefined));
      for (let i = 0; i < (completions ?? 0) && indexes.length < parallelism; i++) {
        if (done.has(i) || busy.has(i) || mem.failedIndexes.has(i)) continue;
        // With a limit per index, each index waits out its own backoff, not the Job's.
        const wait = perIndex ? this.indexBackoffMs(mem, i, now) : 0;
        if (wait > 0) indexWaitMs = Math.min(indexWaitMs ?? Infinity, wait);
        else indexes.push(i);
      }
      want = Math.min(parallelism, occupied.length + indexes.length);
    } else if (completions !== undefined && completions !== null) {
      want = Math.max(0, Math.min(parallelism, completions - (status.succeeded ?? 0)));
    } else {
      // A work queue: once one pod succeeded, no new ones start.
      want = (status.succeeded ?? 0) > 0 ? occupied.length : parallelism;
    }
    if (occupied.length > want) {
      const surplus = Math.min(running.length, occupied.length - want);
      if (surplus > 0) this.deletePods(job, podsToDelete(running, surplus), mem);
      return undefined;
    }
    const missing = Math.min(want - occupied.length, BURST_REPLICAS);
    if (missing <= 0) return indexWaitMs;
    if (!perIndex && mem.failuresSinceSuccess > 0) {
      const delay = Math.min(this.backoffInitialMs * 2 ** (mem.failuresSinceSuccess - 1), this.backoffMaxMs);
      const wait = mem.lastFailureAt + delay - now;
      if (wait > 0) return wait;
    }
    if (job.spec.completionMode === 'Indexed') this.createPods(job, indexes.slice(0, missing), mem);
    else this.createPods(job, new Array<undefined>(missing).fill(undefined), mem);
    return indexWaitMs;
  }

  /** How long an index still waits after its last failure: 10 s doubling per failure, capped. */
  private indexBackoffMs(mem: JobMemory, index: number, now: number): number {
    const f = mem.indexFailures.get(index);
    const failures = f ? f.counted + f.ignored : 0;
    if (!f || failures === 0) return 0;
    return f.lastFailureAt + Math.min(this.backoffInitialMs * 2 ** (failures - 1), this.backoffMaxMs) - now;
  }

  /** Creates in batches of 1, 2, 4 ... stopping at the first batch with a failure (slowStartBatch). */
  private createPods(job: Job, indexes: (number | undefined)[], mem: JobMemory): void {
    let next = 0;
    let batch = 1;
    while (next < indexes.length) {
      const size = Math.min(batch, indexes.length - next);
      let firstError: unknown;
      for (let i = 0; i < size; i++) {
        try {
          this.createPod(job, indexes[next + i], mem);
        } catch (err) {
          firstError ??= err;
        }
      }
      if (firstError !== undefined) throw firstError;
      next += size;
      batch *= 2;
    }
  }

  private createPod(job: Job, index: number | undefined, mem: JobMemory): void {
    const tpl = job.spec.template;
    const indexed = index !== undefined;
    const meta: Pod['metadata'] = {
      name: '',
      generateName: indexed ? `${job.metadata.name}-${index}-` : `${job.metadata.name}-`,
      namespace: job.metadata.namespace,
      ownerReferences: [ownerReferenceTo(job)],
    };
    if (tpl.metadata?.labels) meta.labels = { ...tpl.metadata.labels };
    if (tpl.metadata?.annotations) meta.annotations = { ...tpl.metadata.annotations };
    const spec = structuredClone(tpl.spec);
    if (indexed) {
      meta.annotations = { ...meta.annotations, [JOB_COMPLETION_INDEX]: String(index) };
      meta.labels = { ...meta.labels, [JOB_COMPLETION_INDEX]: String(index) };
      // Kubernetes passes the index through the downward API, to init containers too (the docs'
      // indexed-job.yaml picks its input in one); the value itself says the same.
      for (const c of [...(spec.initContainers ?? []), ...spec.containers])
        if (!c.env?.some((e) => e.name === JOB_COMPLETION_INDEX_ENV)) c.env = [...(c.env ?? []), { name: JOB_COMPLETION_INDEX_ENV, value: String(index) }];
      spec.hostname ??= `${job.metadata.name}-${index}`;
      if (job.spec.backoffLimitPerIndex !== undefined) {
        // The replacement carries its index's failures so far, as Kubernetes' pods do.
        const f = mem.indexFailures.get(index);
        meta.annotations[INDEX_FAILURE_COUNT] = String(f?.counted ?? 0);
        meta.annotations[INDEX_IGNORED_FAILURE_COUNT] = String(f?.ignored ?? 0);
      }
    }
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec };
    let created: Pod;
    try {
      created = this.registry.create<Pod>(pod);
    } catch (err) {
      this.recorder.record(job, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`, { component: JOB_COMPONENT });
      throw err;
    }
    this.recorder.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, { component: JOB_COMPONENT });
  }

  private deletePods(job: Job, victims: Pod[], mem: JobMemory): void {
    let firstError: unknown;
    for (const pod of victims) {
      mem.deletedByUs.add(pod.metadata.uid!);
      try {
        this.registry.delete('Pod', pod.metadata.namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'NotFound') continue;
        mem.deletedByUs.delete(pod.metadata.uid!);
        this.recorder.record(job, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`, { component: JOB_COMPONENT });
        firstError ??= err;
        continue;
      }
      this.recorder.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, { component: JOB_COMPONENT });
    }
    if (firstError !== undefined) throw firstError;
  }

  private succeededIndexes(job: Job, pods: Pod[]): Set<number> {
    const done = new Set<number>();
    const completions = job.spec.completions ?? 0;
    for (const p of pods) {
      const i = podIndex(p);
      if (p.status?.phase === 'Succeeded' && i !== undefined && i < completions) done.add(i);
    }
    // Indexes counted before (their pods may be gone) stay done.
    for (const i of parseIndexes(job.status?.completedIndexes)) if (i < completions) done.add(i);
    return done;
  }

  private finish(job: Job, ending: Ending, status: JobStatus, now: number): void {
    status.conditions = this.condition(status, ending.final, 'True', ending.reason, ending.message, now);
    if (ending.final === 'Complete') {
      status.completionTime = isoTime(now);
      this.recorder.record(job, 'Normal', 'Completed', 'Job completed', { component: JOB_COMPONENT });
    } else {
      this.recorder.record(job, 'Warning', ending.reason, ending.message, { component: JOB_COMPONENT });
    }
    this.log.info('job finished', { job: keyOf(job), result: ending.final, reason: ending.reason, succeeded: status.succeeded, failed: status.failed });
  }

  private condition(status: JobStatus, type: JobConditionType, value: 'True' | 'False', reason: string, message: string, now: number): JobCondition[] {
    const t = isoTime(now);
    return setCondition<JobCondition>(status.conditions, { type, status: value, reason, message, lastProbeTime: t }, t);
  }

  private writeStatus(job: Job, status: JobStatus): void {
    if (jsonEqual(job.status ?? {}, status)) return;
    const next = structuredClone(job);
    next.status = status;
    this.registry.updateStatus(next);
  }
}

function hasTrue(status: JobStatus, type: JobConditionType): boolean {
  return !!status.conditions?.some((c) => c.type === type && c.status === 'True');
}

function suspendedCondition(status: JobStatus): boolean {
  return hasTrue(status, 'Suspended');
}
