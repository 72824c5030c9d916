// When a repeating fault runs next: every `interval`, or on a five-field cron schedule
// (minute hour day-of-month month day-of-week), read in UTC as Kubernetes CronJobs are by default.
// Fields take *, numbers, ranges a-b, steps */n and a-b/n, lists a,b,c, and month and weekday
// names; @hourly, @daily, @weekly, @monthly and @yearly stand for their usual expansions. When
// both day fields are restricted a day matches either, as in Vixie cron.

import { parseDuration } from '../api/quantity.js';

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** whether the day-of-month and day-of-week fields were restricted (not "*") */
  domRestricted: boolean;
  dowRestricted: boolean;
}

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** names count from this number (months from 1, days from 0) */
  nameBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

function parseValue(text: string, f: FieldSpec): number {
  const lower = text.toLowerCase();
  const named = f.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (f.nameBase ?? 0);
  if (!/^\d+$/.test(text)) throw new ScheduleError(`${f.name}: "${text}" is not a number${f.names ? ` or a name such as ${f.names[0]}` : ''}`);
  const n = Number(text);
  if (n < f.min || n > f.max) throw new ScheduleError(`${f.name}: ${n} is out of range ${f.min}-${f.max}`);
  return n;
}

function parseField(text: string, f: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw new ScheduleError(`${f.name}: empty item in "${text}"`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new ScheduleError(`${f.name}: "${part}" has more than one step`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new ScheduleError(`${f.name}: step "${stepText}" must be a whole number of at least 1`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = f.min;
      hi = f.max;
    } else if (range!.includes('-')) {
      const [a, b] = range!.split('-');
      lo = parseValue(a ?? '', f);
      hi = parseValue(b ?? '', f);
      if (lo > hi) throw new ScheduleError(`${f.name}: range "${range}" runs backwards`);
    } else {
      lo = parseValue(range!, f);
      // "5/15" means from 5 to the end in steps of 15, as in most crons.
      hi = stepText !== undefined ? f.max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a five-field cron expression (or a macro); throws ScheduleError saying what is wrong. */
export function parseCron(expr: string): CronSchedule {
  const text = MACROS[expr.trim().toLowerCase()] ?? expr.trim();
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw new ScheduleError(`"${expr}" has ${parts.length} field(s); a cron schedule has 5: minute hour day-of-month month day-of-week`);
  const sets = parts.map((p, i) => parseField(p, FIELDS[i]!));
  const dow = sets[4]!;
  // 7 is Sunday too.
  if (dow.has(7)) {
    dow.delete(7);
    dow.add(0);
  }
  return {
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek: dow,
    domRestricted: parts[2] !== '*',
    dowRestricted: parts[4] !== '*',
  };
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.daysOfMonth.has(d.getUTCDate());
  const dow = s.daysOfWeek.has(d.getUTCDay());
  if (s.domRestricted && s.dowRestricted) return dom || dow;
  return dom && dow;
}

/** The first minute strictly after `afterMs` that the schedule matches (ms since epoch); undefined if none within 5 years. */
export function nextCronTime(s: CronSchedule, afterMs: number): number | undefined {
  const d = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (d.getTime() <= limit) {
    if (!s.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!s.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}

/** The smallest interval a schedule may have: faults faster than this would not be observable. */
export const MIN_INTERVAL_MS = 1000;

/** A schedule as the controller uses it: when the first run is, and when the run after one at `lastMs` is. */
export interface RunSchedule {
  first(createdMs: number): number | undefined;
  after(lastMs: number): number | undefined;
  describe(): string;
}

/** Builds the schedule of a spec's `schedule`; throws ScheduleError when it is malformed. */
export function runSchedule(spec: { interval?: string; cron?: string }): RunSchedule {
  if (spec.interval !== undefined && spec.cron !== undefined) throw new ScheduleError('give an interval or a cron schedule, not both');
  if (spec.interval !== undefined) {
    const ms = parseDuration(spec.interval);
    if (ms === undefined) throw new ScheduleError(`interval "${spec.interval}" is not a duration such as 10s or 5m`);
    if (ms < MIN_INTERVAL_MS) throw new ScheduleError(`interval "${spec.interval}" is shorter than 1s`);
    // chaoskube's habit: the first run comes at once, then one every interval.
    return { first: (created) => created, after: (last) => last + ms, describe: () => `every ${spec.interval}` };
  }
  if (spec.cron !== undefined) {
    const cron = parseCron(spec.cron);
    return { first: (created) => nextCronTime(cron, created - 1), after: (last) => nextCronTime(cron, last), describe: () => `on cron "${spec.cron}" (UTC)` };
  }
  throw new ScheduleError('a schedule needs an interval or a cron expression');
}
