// The bookkeeping every chaos controller shares, as plain functions over a spec and its status:
// when the next run is due, whether the schedule is used up, the seed in use, and the capped list
// of records. Kept apart from the controllers so that a replay (`--dry-run`) and the tests reason
// about runs exactly as the controllers do.

import {
  chaosSeed,
  runSchedule,
  type NodeChaos,
  type ChaosRecord,
  type ChaosStatus,
  type ControlPlaneChaosSpec,
  type KObject,
  type NetworkChaosSpec,
  type NodeChaosSpec,
} from '@kip/shared';

/** Records kept in status; older ones go first. */
export const MAX_RECORDS = 50;

/** What the bookkeeping reads of a spec; a ControlPlaneChaos has neither schedule nor seed: it runs once. */
export type ChaosSpec = NodeChaosSpec | NetworkChaosSpec | ControlPlaneChaosSpec;

export type ChaosObject = KObject & { spec: ChaosSpec; status?: ChaosStatus };

export function scheduleOf(spec: ChaosSpec): NodeChaosSpec['schedule'] {
  return 'schedule' in spec ? spec.schedule : undefined;
}

/** A time with milliseconds: heal and run times must not round a short fault away. */
export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

export function msOf(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** spec.seed, or one derived from the uid so that an object keeps its choices across restarts. */
export function seedOf(obj: ChaosObject): number {
  return chaosSeed(obj as NodeChaos);
}

/** How many runs have happened: injected, skipped or failed. */
export function attemptsOf(status: ChaosStatus): number {
  return (status.runs ?? 0) + (status.skippedRuns ?? 0);
}

/** Runs are used up: a one-shot fault has run, or a schedule reached its count. */
export function exhausted(spec: ChaosSpec, status: ChaosStatus): boolean {
  const attempts = attemptsOf(status);
  const schedule = scheduleOf(spec);
  if (!schedule) return attempts >= 1;
  return schedule.count !== undefined && attempts >= schedule.count;
}

/** When the next run is due (ms), or undefined when there is none. */
export function nextRunAt(obj: ChaosObject, status: ChaosStatus): number | undefined {
  if (exhausted(obj.spec, status)) return undefined;
  const created = msOf(obj.metadata.creationTimestamp) ?? 0;
  const schedule = scheduleOf(obj.spec);
  if (!schedule) return created;
  const stored = msOf(status.nextRunTime);
  if (stored !== undefined) return stored;
  return runSchedule(schedule).first(created);
}

/** The run after one that was due at `dueMs`, skipping whatever was missed by `now`. */
export function runAfter(spec: ChaosSpec, dueMs: number, now: number): number | undefined {
  const schedule = scheduleOf(spec);
  if (!schedule) return undefined;
  const sched = runSchedule(schedule);
  const next = sched.after(dueMs);
  return next !== undefined && next <= now ? sched.after(now) : next;
}

/** Appends a record, keeping the newest MAX_RECORDS. */
export function addRecord(status: ChaosStatus, record: ChaosRecord): void {
  const list = [...(status.records ?? []), record];
  status.records = list.length > MAX_RECORDS ? list.slice(list.length - MAX_RECORDS) : list;
}

/** The phase after a run is over (healed, or instantaneous): waiting for the next run, or done. */
export function phaseBetweenRuns(obj: ChaosObject, status: ChaosStatus, healed: boolean): ChaosStatus['phase'] {
  if (!exhausted(obj.spec, status)) return 'Running';
  if (!scheduleOf(obj.spec) && healed) return 'Recovered';
  return 'Finished';
}

/** Status fields of the run in progress, cleared once it is over. */
export function clearInjection(status: ChaosStatus): void {
  status.affected = [];
  delete status.targets;
  delete status.injectedTime;
  delete status.healTime;
}
