// Time goes through a Clock so that tests can drive timers by hand instead of sleeping.

export type TimerHandle = { readonly id: number } | NodeJS.Timeout;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle | undefined): void;
  /** Runs fn once the I/O already waiting has been handled (setImmediate); a fake clock runs it at once. */
  afterIO(fn: () => void): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => {
    if (h) clearTimeout(h as NodeJS.Timeout);
  },
  afterIO: (fn) => {
    setImmediate(fn);
  },
};

/**
 * Milliseconds from `nowMs` to the next tick of a period whose ticks fall at `phaseMs` past each
 * multiple of `periodMs`; a full period when now is on a tick. A process whose periodic tasks
 * share one phase wakes once for all that fall due together (a 2 s task on every other tick of a
 * 1 s one) instead of once for each: on a machine of a hundred agents, a wakeup costs more than
 * the work it does. A phase of each process's own keeps processes from waking all at once.
 */
export function untilNextTick(nowMs: number, periodMs: number, phaseMs: number): number {
  const into = (((nowMs - phaseMs) % periodMs) + periodMs) % periodMs;
  return periodMs - into;
}

/** A clock that moves only when told to; timers fire in order of due time. */
export class FakeClock implements Clock {
  private t: number;
  private nextId = 1;
  private timers = new Map<number, { due: number; fn: () => void }>();

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { due: this.t + Math.max(0, ms), fn });
    return { id };
  }
  clearTimeout(h: TimerHandle | undefined): void {
    if (h && 'id' in h && typeof h.id === 'number') this.timers.delete(h.id);
  }
  afterIO(fn: () => void): void {
    fn();
  }
  /** Time passes while the process is stopped: no timer fires; the next advance() fires them late. */
  stall(ms: number): void {
    this.t += ms;
  }
  /** Advances time by ms, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].due <= end && (!next || e[1].due < next[1].due)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].due);
      next[1].fn();
    }
    this.t = end;
  }
  pendingTimers(): number {
    return this.timers.size;
  }
}

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * RFC 3339 in UTC, with milliseconds when asked ("2026-12-03T05:21:14.123Z"), as
 * Date.prototype.toISOString writes it. Written from the getUTC* fields because toISOString's first
 * call maps about 0.6 MiB of ICU's time-zone data into the process, and every agent's log lines
 * made that call. Years outside 1000-9999 (toISOString's padded and extended forms) and invalid
 * times (its RangeError) are left to toISOString.
 */
function rfc3339(ms: number, millis: boolean): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) return millis ? d.toISOString() : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const s = `${y}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  if (!millis) return `${s}Z`;
  const m = d.getUTCMilliseconds();
  return `${s}.${m < 10 ? '00' : m < 100 ? '0' : ''}${m}Z`;
}

/** The last second isoTime formatted, and its text: every write stamps the current time, many a second. */
let lastSecond = Number.NaN;
let lastText = '';

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  // NaN never equals itself, so an invalid time still throws below as Date does.
  if (second !== lastSecond) {
    lastText = rfc3339(second * 1000, false);
    lastSecond = second;
  }
  return lastText;
}

/** RFC 3339 with milliseconds, for log lines. */
export function isoTimeMillis(ms: number): string {
  return rfc3339(ms, true);
}

export function isoNow(clock: Clock = realClock): string {
  return isoTime(clock.now());
}
