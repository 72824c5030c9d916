import assert from 'node:assert/strict';
import { CronSyntaxError, missedScheduleTimes, nextScheduleTime, parseCronJobSchedule } from '@kip/shared';

const at = (s: string) => Date.parse(s);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

/** The next `n` times after `from`, as ISO strings. */
function nextTimes(spec: string, from: string, n: number, tz = 'UTC'): string[] {
  const s = parseCronJobSchedule(spec);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = nextScheduleTime(s, t, tz);
    if (next === undefined) break;
    out.push(iso(next)!);
    t = next;
  }
  return out;
}

describe('shared/cron-schedule', () => {
  it('runs every minute, strictly after the given time', () => {
    assert.deepEqual(nextTimes('* * * * *', '2026-01-01T00:00:00Z', 2), ['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z']);
    assert.deepEqual(nextTimes('* * * * *', '2026-01-01T00:00:30Z', 1), ['2026-01-01T00:01:00.000Z']);
  });

  it('takes steps, ranges, lists and names', () => {
    assert.deepEqual(nextTimes('*/15 * * * *', '2026-01-01T00:00:00Z', 3), [
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
    ]);
    assert.deepEqual(nextTimes('5,10-12 3 * * *', '2026-01-01T00:00:00Z', 4), [
      '2026-01-01T03:05:00.000Z',
      '2026-01-01T03:10:00.000Z',
      '2026-01-01T03:11:00.000Z',
      '2026-01-01T03:12:00.000Z',
    ]);
    // 2026-01-01 is a Thursday: the next Monday and Friday at 09:00.
    assert.deepEqual(nextTimes('0 9 * * MON,fri', '2026-01-01T12:00:00Z', 2), ['2026-01-02T09:00:00.000Z', '2026-01-05T09:00:00.000Z']);
    assert.deepEqual(nextTimes('0 0 1 jan-feb/1 *', '2026-01-15T00:00:00Z', 2), ['2026-02-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    // `10/20` is 10, 30, 50 as robfig/cron reads it.
    assert.deepEqual(nextTimes('10/20 0 * * *', '2026-01-01T00:00:00Z', 3), [
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:50:00.000Z',
    ]);
  });

  it('expands the descriptors', () => {
    assert.deepEqual(nextTimes('@hourly', '2026-01-01T00:30:00Z', 1), ['2026-01-01T01:00:00.000Z']);
    assert.deepEqual(nextTimes('@daily', '2026-01-01T00:30:00Z', 1), ['2026-01-02T00:00:00.000Z']);
    assert.deepEqual(nextTimes('@weekly', '2026-01-01T00:30:00Z', 1), ['2026-01-04T00:00:00.000Z']);
    assert.deepEqual(nextTimes('@monthly', '2026-01-01T00:30:00Z', 1), ['2026-02-01T00:00:00.000Z']);
    assert.deepEqual(nextTimes('@yearly', '2026-01-01T00:30:00Z', 1), ['2027-01-01T00:00:00.000Z']);
  });

  it('matches either day field when both are restricted, both when one is *', () => {
    // The 13th, or any Friday: 2026-02-06 is a Friday, before the 13th.
    assert.deepEqual(nextTimes('0 0 13 * 5', '2026-02-01T00:00:00Z', 2), ['2026-02-06T00:00:00.000Z', '2026-02-13T00:00:00.000Z']);
    assert.deepEqual(nextTimes('0 0 13 * *', '2026-02-01T00:00:00Z', 1), ['2026-02-13T00:00:00.000Z']);
    assert.deepEqual(nextTimes('0 0 ? * 5', '2026-02-01T00:00:00Z', 1), ['2026-02-06T00:00:00.000Z']);
  });

  it('finds rare times and answers none for impossible ones', () => {
    assert.deepEqual(nextTimes('0 0 29 2 *', '2026-01-01T00:00:00Z', 1), ['2028-02-29T00:00:00.000Z']);
    assert.deepEqual(nextTimes('0 0 30 2 *', '2026-01-01T00:00:00Z', 1), []);
  });

  it('runs at wall-clock times of a time zone, across daylight saving changes', () => {
    // 03:00 in New York is 08:00 UTC in winter and 07:00 UTC in summer.
    assert.deepEqual(nextTimes('0 3 * * *', '2026-03-07T00:00:00Z', 3, 'America/New_York'), [
      '2026-03-07T08:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T07:00:00.000Z',
    ]);
    // 02:30 does not exist on 2026-03-08 in New York (clocks jump from 02:00 to 03:00): skipped.
    assert.deepEqual(nextTimes('30 2 * * *', '2026-03-07T12:00:00Z', 2, 'America/New_York'), ['2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z']);
    assert.deepEqual(nextTimes('0 9 * * *', '2026-06-01T00:00:00Z', 1, 'Asia/Kolkata'), ['2026-06-01T03:30:00.000Z']);
  });

  it('refuses bad schedules in robfig/cron words', () => {
    const msg = (spec: string) => {
      try {
        parseCronJobSchedule(spec);
      } catch (err) {
        assert.ok(err instanceof CronSyntaxError);
        return err.message;
      }
      return 'accepted';
    };
    assert.equal(msg('* * *'), 'expected exactly 5 fields, found 3: [* * *]');
    assert.equal(msg('60 * * * *'), 'end of range (60) above maximum (59): 60');
    assert.equal(msg('0 0 0 * *'), 'beginning of range (0) below minimum (1): 0');
    assert.equal(msg('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
    assert.equal(msg('*/0 * * * *'), 'step of range should be a positive number: */0');
    assert.equal(msg('x * * * *'), 'failed to parse int from x');
    assert.equal(msg('@fortnightly'), 'unrecognized descriptor: @fortnightly');
    assert.equal(msg('TZ=UTC * * * * *'), 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
    assert.equal(msg(''), 'empty spec string');
  });

  it('counts missed times and gives the latest', () => {
    const s = parseCronJobSchedule('*/10 * * * *');
    assert.deepEqual(missedScheduleTimes(s, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:35:00Z'), 'UTC'), {
      last: at('2026-01-01T00:30:00Z'),
      count: 3,
    });
    assert.deepEqual(missedScheduleTimes(s, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:05:00Z'), 'UTC'), { count: 0 });
    const many = missedScheduleTimes(parseCronJobSchedule('* * * * *'), at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:30Z'), 'UTC', 100);
    assert.ok(many.count > 100);
    assert.equal(iso(many.last), '2026-01-02T00:00:00.000Z');
  });
});
