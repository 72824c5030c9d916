import assert from 'node:assert/strict';
import { Attention, FakeClock, everyWithAttention, isoNow, isoTime, isoTimeMillis, realClock, untilNextTick } from '@kip/shared';

describe('shared/clock', () => {
  describe('FakeClock', () => {
    it('starts at 2026-01-01 unless told otherwise, and moves only when advanced', () => {
      assert.equal(new FakeClock().now(), Date.parse('2026-01-01T00:00:00Z'));
      const c = new FakeClock(1000);
      assert.equal(c.now(), 1000);
      c.advance(250);
      assert.equal(c.now(), 1250);
    });

    it('fires timers in order of due time, whatever order they were set in', () => {
      const c = new FakeClock(0);
      const fired: string[] = [];
      c.setTimeout(() => fired.push(`c@${c.now()}`), 300);
      c.setTimeout(() => fired.push(`a@${c.now()}`), 100);
      c.setTimeout(() => fired.push(`b@${c.now()}`), 200);
      c.advance(1000);
      assert.deepEqual(fired, ['a@100', 'b@200', 'c@300']);
      assert.equal(c.now(), 1000);
    });

    it('fires timers due at the same time in the order they were set', () => {
      const c = new FakeClock(0);
      const fired: number[] = [];
      for (let i = 0; i < 5; i++) c.setTimeout(() => fired.push(i), 50);
      c.advance(50);
      assert.deepEqual(fired, [0, 1, 2, 3, 4]);
    });

    it('fires only what falls due, and the rest later', () => {
      const c = new FakeClock(0);
      const fired: number[] = [];
      c.setTimeout(() => fired.push(1), 100);
      c.setTimeout(() => fired.push(2), 200);
      c.advance(99);
      assert.deepEqual(fired, []);
      c.advance(1);
      assert.deepEqual(fired, [1]);
      assert.equal(c.pendingTimers(), 1);
      c.advance(100);
      assert.deepEqual(fired, [1, 2]);
      assert.equal(c.pendingTimers(), 0);
    });

    it('fires timers set by a timer when they fall within the same advance, at their own time', () => {
      const c = new FakeClock(0);
      const fired: string[] = [];
      const tick = () => {
        fired.push(`tick@${c.now()}`);
        c.setTimeout(tick, 100);
      };
      c.setTimeout(tick, 100);
      c.setTimeout(() => fired.push(`other@${c.now()}`), 250);
      c.advance(350);
      assert.deepEqual(fired, ['tick@100', 'tick@200', 'other@250', 'tick@300']);
      assert.equal(c.pendingTimers(), 1);
    });

    it('a zero or negative delay fires at the next advance, even of 0', () => {
      const c = new FakeClock(0);
      let n = 0;
      c.setTimeout(() => n++, 0);
      c.setTimeout(() => n++, -5);
      assert.equal(n, 0, 'never synchronously');
      c.advance(0);
      assert.equal(n, 2);
    });

    it('clearTimeout cancels, and ignores unknown or missing handles', () => {
      const c = new FakeClock(0);
      let n = 0;
      const h = c.setTimeout(() => n++, 10);
      c.setTimeout(() => n++, 20);
      c.clearTimeout(h);
      c.clearTimeout(undefined);
      c.clearTimeout({ id: 999 });
      c.advance(100);
      assert.equal(n, 1);
    });

    it('a timer may cancel a later one', () => {
      const c = new FakeClock(0);
      const fired: string[] = [];
      const later = c.setTimeout(() => fired.push('later'), 200);
      c.setTimeout(() => {
        fired.push('first');
        c.clearTimeout(later);
      }, 100);
      c.advance(300);
      assert.deepEqual(fired, ['first']);
    });
  });

  describe('timestamps', () => {
    it('isoTime writes RFC 3339 with second precision, as Kubernetes does', () => {
      assert.equal(isoTime(Date.parse('2026-01-01T12:34:56.789Z')), '2026-01-01T12:34:56Z');
      assert.equal(isoTime(0), '1970-01-01T00:00:00Z');
      // Times within one second share the text, and the next second gets its own.
      assert.equal(isoTime(Date.parse('2026-01-01T12:34:56.789Z')), '2026-01-01T12:34:56Z');
      assert.equal(isoTime(Date.parse('2026-01-01T12:34:56.001Z')), '2026-01-01T12:34:56Z');
      assert.equal(isoTime(Date.parse('2026-01-01T12:34:57.000Z')), '2026-01-01T12:34:57Z');
      assert.equal(isoTime(-1500), '1969-12-31T23:59:58Z');
      assert.throws(() => isoTime(Number.NaN), RangeError);
    });

    it('isoTime and isoTimeMillis write what toISOString writes, in every range it has a form for', () => {
      const times = [0, 1, 9, 10, 99, 100, 999, -1, -1500, Date.parse('2026-12-03T05:21:14.123Z'), Date.parse('2024-02-29T23:59:59.999Z')];
      // years 1000 and 9999 at their edges, and beyond them where toISOString pads or extends the year
      times.push(
        Date.parse('1000-01-01T00:00:00Z'),
        Date.parse('0999-12-31T23:59:59.500Z'),
        Date.parse('9999-12-31T23:59:59.999Z'),
        253402300800000,
        -62198755200000,
      );
      for (let t = -3.2e13; t < 2.6e14; t += 187_654_321_987) times.push(t);
      for (const t of times) {
        const iso = new Date(t).toISOString();
        assert.equal(isoTimeMillis(t), iso, `isoTimeMillis(${t})`);
        assert.equal(isoTime(t), iso.replace(/\.\d{3}Z$/, 'Z'), `isoTime(${t})`);
      }
      assert.throws(() => isoTimeMillis(Number.NaN), RangeError);
      assert.throws(() => isoTimeMillis(8.64e15 + 1), RangeError);
    });

    it('isoNow reads the given clock', () => {
      assert.equal(isoNow(new FakeClock(Date.parse('2026-03-04T05:06:07Z'))), '2026-03-04T05:06:07Z');
    });
  });

  describe('untilNextTick', () => {
    it('counts to the next multiple of the period past the phase, a whole period when on a tick', () => {
      assert.equal(untilNextTick(10_000, 1000, 250), 250);
      assert.equal(untilNextTick(10_250, 1000, 250), 1000);
      assert.equal(untilNextTick(10_251, 1000, 250), 999);
      assert.equal(untilNextTick(10_249, 1000, 250), 1);
      assert.equal(untilNextTick(100, 1000, 250), 150, 'before the first tick of the epoch too');
    });

    it('puts a task of twice the period on every other tick of the shorter one', () => {
      const phase = 437;
      const ticks = (period: number, from: number, n: number) => {
        const out: number[] = [];
        let t = from;
        for (let i = 0; i < n; i++) out.push((t += untilNextTick(t, period, phase)));
        return out;
      };
      const fast = new Set(ticks(1000, 123_456, 20));
      for (const t of ticks(2000, 123_456, 10)) assert.ok(fast.has(t), `the 2 s tick at ${t} falls on a 1 s tick`);
    });
  });

  describe('realClock', () => {
    it('runs a timer and can cancel one', async () => {
      const before = realClock.now();
      assert.ok(Math.abs(before - Date.now()) < 1000);
      let cancelled = false;
      const h = realClock.setTimeout(() => (cancelled = true), 1);
      realClock.clearTimeout(h);
      await new Promise<void>((resolve) => realClock.setTimeout(resolve, 1));
      // The cancelled timer was due before the one that resolved; had it not been cleared it would have run.
      assert.equal(cancelled, false);
      realClock.clearTimeout(undefined);
    });
  });
});

describe('shared/attention', () => {
  it('counts silence only from when the observer came back from an absence', () => {
    const a = new Attention(1000);
    assert.equal(a.tick(0, 900), false, 'a little late is not an absence');
    assert.equal(a.silence(0, 5000), 5000);
    assert.equal(a.tick(1000, 9000), true, '8 s late: the observer was away');
    assert.equal(a.silence(0, 9500), 500, 'only the time since it came back counts');
    assert.equal(a.silence(9200, 9500), 300, 'a peer heard after the return is measured as usual');
  });

  it('ticks on the given phase, and stays on it after a late tick', () => {
    const c = new FakeClock(10_000);
    const at: number[] = [];
    const stop = everyWithAttention(c, 1000, new Attention(1000), () => at.push(c.now()), 300);
    c.advance(2500);
    c.stall(1000); // the process was away over the 13 300 tick: it comes late, and the next is on phase again
    c.advance(1000);
    stop();
    assert.deepEqual(at, [10_300, 11_300, 12_300, 13_500, 14_300]);
  });

  it('runs a periodic look after pending I/O and notes a stall of the process', () => {
    const clock = new FakeClock(0);
    const a = new Attention(1000);
    let looks = 0;
    const stop = everyWithAttention(clock, 500, a, () => looks++);
    clock.advance(1500);
    assert.equal(looks, 3);
    clock.stall(10_000);
    clock.advance(0);
    assert.equal(looks, 4, 'the overdue look runs once when the process runs again');
    assert.equal(a.resumed, 11_500);
    stop();
    clock.advance(5000);
    assert.equal(looks, 4);
    assert.equal(clock.pendingTimers(), 0);
  });
});
