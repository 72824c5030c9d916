// A CronJob's schedule: the standard five cron fields (minute hour day-of-month month
// day-of-week) or a descriptor (@hourly ...), as Kubernetes parses them (robfig/cron's
// ParseStandard, errors in its words), and the times it falls on in a time zone. Pure: the
// CronJob kind validates with it and the controller asks it when to run next.

export interface CronJobSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Whether a day field was `*` or `?`: then a day must match both, else either (cron's rule). */
  domStar: boolean;
  dowStar: boolean;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])) },
  { min: 0, max: 6, names: Object.fromEntries(DAY_NAMES.map((n, i) => [n, i])) },
];

export class CronSyntaxError extends Error {}

function parseValue(s: string, b: Bounds): number {
  const named = b.names?.[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(s)) throw new CronSyntaxError(`failed to parse int from ${s}`);
  return Number(s);
}

/** One comma-separated part: `*`, `?`, `5`, `1-5`, `*\/15`, `10-50/5`, `3/10`. */
function parseRange(part: string, b: Bounds, out: Set<number>): boolean {
  const [rangePart = '', stepPart, extra] = part.split('/');
  if (extra !== undefined) throw new CronSyntaxError(`too many slashes: ${part}`);
  let start: number;
  let end: number;
  const star = rangePart === '*' || rangePart === '?';
  if (star) {
    start = b.min;
    end = b.max;
  } else {
    const [lo = '', hi, more] = rangePart.split('-');
    if (more !== undefined) throw new CronSyntaxError(`too many hyphens: ${part}`);
    start = parseValue(lo, b);
    // `3/10` runs from 3 to the end of the range, as robfig/cron reads it.
    end = hi !== undefined ? parseValue(hi, b) : stepPart !== undefined ? b.max : start;
  }
  let step = 1;
  if (stepPart !== undefined) {
    if (!/^\d+$/.test(stepPart)) throw new CronSyntaxError(`failed to parse int from ${stepPart}`);
    step = Number(stepPart);
    if (step === 0) throw new CronSyntaxError(`step of range should be a positive number: ${part}`);
  }
  if (start < b.min) throw new CronSyntaxError(`beginning of range (${start}) below minimum (${b.min}): ${part}`);
  if (end > b.max) throw new CronSyntaxError(`end of range (${end}) above maximum (${b.max}): ${part}`);
  if (start > end) throw new CronSyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
  for (let v = start; v <= end; v += step) out.add(v);
  return star && stepPart === undefined;
}

function parseField(field: string, b: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of field.split(',')) {
    if (part === '') throw new CronSyntaxError(`empty list item in "${field}"`);
    if (parseRange(part, b, values)) star = true;
  }
  return { values, star };
}

/** Parses a schedule, or throws a CronSyntaxError that says what is wrong. */
export function parseCronJobSchedule(spec: string): CronJobSchedule {
  const text = spec.trim();
  if (text === '') throw new CronSyntaxError('empty spec string');
  if (/^(CRON_)?TZ=/.test(text)) throw new CronSyntaxError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  let expanded = text;
  if (text.startsWith('@')) {
    const d = DESCRIPTORS[text.toLowerCase()];
    if (!d) throw new CronSyntaxError(`unrecognized descriptor: ${text}`);
    expanded = d;
  }
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5) throw new CronSyntaxError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [mi, h, dom, mo, dow] = fields.map((f, i) => parseField(f, FIELDS[i]!));
  return {
    minutes: mi!.values,
    hours: h!.values,
    daysOfMonth: dom!.values,
    months: mo!.values,
    daysOfWeek: dow!.values,
    domStar: dom!.star,
    dowStar: dow!.star,
  };
}

/** Whether a time zone name is one the runtime knows (the IANA database). */
export function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall-clock time in a zone at an instant, as milliseconds of a UTC date with the same
 * fields (so the Date UTC getters read the wall clock). Seconds are dropped.
 */
export function wallClock(instant: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!);
}

/** The instant a wall-clock time (see wallClock) stands for in a zone, or undefined when the clock skips it (a DST gap). */
function instantOf(wall: number, tz: string): number | undefined {
  // The zone's offset at a nearby instant, refined once: right on both sides of a change.
  let guess = wall - (wallClock(wall, tz) - wall);
  guess = wall - (wallClock(guess, tz) - guess);
  return wallClock(guess, tz) === wall ? guess : undefined;
}

function dayMatches(s: CronJobSchedule, d: Date): boolean {
  const dom = s.daysOfMonth.has(d.getUTCDate());
  const dow = s.daysOfWeek.has(d.getUTCDay());
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

const MINUTE = 60_000;
/** A schedule that matches nothing in this long never will (`30 0 31 2 *`). */
const SEARCH_LIMIT_MS = 5 * 366 * 24 * 3600_000;

/** The first time after `after` (exclusive) the schedule falls on in the zone, or undefined if it never does. */
export function nextScheduleTime(s: CronJobSchedule, after: number, tz: string): number | undefined {
  let wall = wallClock(after, tz) + MINUTE;
  const limit = wall + SEARCH_LIMIT_MS;
  while (wall < limit) {
    const d = new Date(wall);
    if (!s.months.has(d.getUTCMonth() + 1)) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    if (!dayMatches(s, d)) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!s.minutes.has(d.getUTCMinutes())) {
      wall += MINUTE;
      continue;
    }
    const t = instantOf(wall, tz);
    if (t !== undefined && t > after) return t;
    wall += MINUTE;
  }
  return undefined;
}

/**
 * The times the schedule fell on in (earliest, now], the last one and how many there were,
 * counting at most `cap` (Kubernetes gives up past 100 missed starts).
 */
export function missedScheduleTimes(s: CronJobSchedule, earliest: number, now: number, tz: string, cap = 100): { last?: number; count: number } {
  let count = 0;
  let last: number | undefined;
  for (let t = nextScheduleTime(s, earliest, tz); t !== undefined && t <= now; t = nextScheduleTime(s, t, tz)) {
    last = t;
    if (++count > cap) {
      // Too many to walk: the latest is found from the end instead.
      last = lastScheduleTimeBefore(s, now, tz);
      break;
    }
  }
  return last === undefined ? { count } : { last, count };
}

/** The latest time at or before `now` the schedule fell on, searching back at most a few years. */
function lastScheduleTimeBefore(s: CronJobSchedule, now: number, tz: string): number | undefined {
  // Steps back a day at a time until a day has a run, then takes that day's last run before now.
  for (let back = 0; back < 5 * 366; back++) {
    const from = now - (back + 1) * 24 * 3600_000;
    let found: number | undefined;
    for (let t = nextScheduleTime(s, from, tz); t !== undefined && t <= now; t = nextScheduleTime(s, t, tz)) found = t;
    if (found !== undefined) return found;
  }
  return undefined;
}
