// The TTL-after-finished controller: deletes a finished Job (Complete or Failed) once its
// ttlSecondsAfterFinished have passed since it finished, as Kubernetes' ttl-after-finished
// controller does. The delete cascades in the background, so the garbage collector takes the
// Job's pods with it.

import { jobFinished, keyOf, splitKey, type Job } from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Unsubscribe } from '../store/store.js';
import type { ControllerDeps, Enqueue, ReconcileResult } from './controller.js';
import { ControllerBase } from './owner-controller.js';

/** When a finished Job finished: its completion time, or when its terminal condition turned true. */
export function jobFinishTime(job: Job): number | undefined {
  const result = jobFinished(job);
  if (!result) return undefined;
  const t =
    result === 'Complete' && job.status?.completionTime
      ? job.status.completionTime
      : job.status?.conditions?.find((c) => c.type === result)?.lastTransitionTime;
  const ms = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

export class JobTTLController extends ControllerBase {
  constructor(deps: ControllerDeps) {
    super('ttl-after-finished', deps);
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    return [
      this.store.watch({ kind: 'Job' }, (ev) => {
        const job = ev.object as Job;
        if (ev.type !== 'DELETED' && job.spec?.ttlSecondsAfterFinished !== undefined && jobFinished(job)) enqueue(keyOf(job));
      }),
    ];
  }

  resyncKeys(): string[] {
    return this.store.list<Job>('Job', { filter: (o) => (o as Job).spec?.ttlSecondsAfterFinished !== undefined }).items.map(keyOf);
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const job = this.store.get<Job>('Job', namespace, name);
    const ttl = job?.spec.ttlSecondsAfterFinished;
    if (!job || ttl === undefined || job.metadata.deletionTimestamp) return;
    const finished = jobFinishTime(job);
    if (finished === undefined) return;
    const left = finished + ttl * 1000 - this.clock.now();
    if (left > 0) return { requeueAfterMs: left };
    this.log.info('deleting finished job whose TTL expired', { job: key, ttlSeconds: ttl });
    try {
      this.registry.delete('Job', namespace, name, { preconditions: { uid: job.metadata.uid }, propagationPolicy: 'Background' });
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return;
      throw err;
    }
  }
}
