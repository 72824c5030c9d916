// Schedules: intervals (the first run at once) and five-field cron in UTC, with the errors a
// mistyped expression gets.

import assert from 'node:assert/strict';
import { nextCronTime, parseCron, runSchedule, ScheduleError } from '@kip/shared';

const t = (iso: string) => Date.parse(iso);
const next = (expr: string, after: string) => new Date(nextCronTime(parseCron(expr), t(after))!).toISOString();

describe('chaos: schedules', () => {
  it('an interval runs at creation, then every interval', () => {
    const s = runSchedule({ interval: '10s' });
    assert.equal(s.first(1000), 1000);
    assert.equal(s.after(1000), 11_000);
    assert.throws(() => runSchedule({ interval: '500ms' }), /shorter than 1s/);
    assert.throws(() => runSchedule({ interval: 'soon' }), /not a duration/);
    assert.throws(() => runSchedule({ interval: '1m', cron: '* * * * *' }), /not both/);
    assert.throws(() => runSchedule({}), /needs an interval or a cron/);
  });

  const cases: [string, string, string][] = [
    ['* * * * *', '2026-01-01T00:00:30Z', '2026-01-01T00:01:00.000Z'],
    ['*/15 * * * *', '2026-01-01T00:16:00Z', '2026-01-01T00:30:00.000Z'],
    ['5 * * * *', '2026-01-01T00:05:00Z', '2026-01-01T01:05:00.000Z'],
    ['0 9-17/4 * * *', '2026-01-01T10:00:00Z', '2026-01-01T13:00:00.000Z'],
    ['30 2 * * mon', '2026-01-01T00:00:00Z', '2026-01-05T02:30:00.000Z'],
    ['0 0 1 jan,jul *', '2026-02-01T00:00:00Z', '2026-07-01T00:00:00.000Z'],
    // Both day fields restricted: either matches (Vixie cron). 2026-01-13 is a Tuesday.
    ['0 0 13 * 5', '2026-01-10T00:00:00Z', '2026-01-13T00:00:00.000Z'],
    ['0 0 * * 7', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'],
    ['@hourly', '2026-01-01T00:10:00Z', '2026-01-01T01:00:00.000Z'],
    ['0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ];
  for (const [expr, after, want] of cases) {
    it(`cron "${expr}" after ${after} is ${want}`, () => assert.equal(next(expr, after), want));
  }

  it('a cron schedule runs first at the next matching minute after creation', () => {
    const s = runSchedule({ cron: '*/2 * * * *' });
    assert.equal(new Date(s.first(t('2026-01-01T00:00:00Z'))!).toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(new Date(s.first(t('2026-01-01T00:00:01Z'))!).toISOString(), '2026-01-01T00:02:00.000Z');
    assert.equal(new Date(s.after(t('2026-01-01T00:02:00Z'))!).toISOString(), '2026-01-01T00:04:00.000Z');
  });

  it('a date that never comes has no next time', () => {
    assert.equal(nextCronTime(parseCron('0 0 31 2 *'), t('2026-01-01T00:00:00Z')), undefined);
  });

  const bad: [string, RegExp][] = [
    ['* * * *', /has 4 field\(s\)/],
    ['60 * * * *', /minute: 60 is out of range 0-59/],
    ['* 24 * * *', /hour: 24 is out of range/],
    ['*/0 * * * *', /step "0"/],
    ['5-1 * * * *', /runs backwards/],
    ['* * * foo *', /month: "foo" is not a number or a name such as jan/],
    ['1,,2 * * * *', /empty item/],
  ];
  for (const [expr, re] of bad) {
    it(`rejects "${expr}"`, () =>
      assert.throws(
        () => parseCron(expr),
        (err: Error) => err instanceof ScheduleError && re.test(err.message),
      ));
  }
});
