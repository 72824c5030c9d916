import assert from 'node:assert/strict';
import { Backoff, backoffDelay, PROFILES, seededRandom } from '@kip/shared';

describe('shared/backoff', () => {
  describe('backoffDelay', () => {
    const cases: { name: string; opts: Parameters<typeof backoffDelay>[0]; attempt: number; want: number }[] = [
      { name: 'the first attempt waits the initial delay', opts: { initialMs: 100, maxMs: 10_000 }, attempt: 0, want: 100 },
      { name: 'it doubles by default', opts: { initialMs: 100, maxMs: 10_000 }, attempt: 3, want: 800 },
      { name: 'up to the cap', opts: { initialMs: 100, maxMs: 10_000 }, attempt: 10, want: 10_000 },
      { name: 'a huge attempt stays at the cap', opts: { initialMs: 100, maxMs: 10_000 }, attempt: 5000, want: 10_000 },
      { name: 'with another factor', opts: { initialMs: 100, maxMs: 10_000, factor: 3 }, attempt: 2, want: 900 },
      { name: 'a negative attempt counts as the first', opts: { initialMs: 100, maxMs: 10_000 }, attempt: -2, want: 100 },
      { name: 'an initial delay above the cap is capped', opts: { initialMs: 500, maxMs: 200 }, attempt: 0, want: 200 },
    ];
    for (const c of cases) it(c.name, () => assert.equal(backoffDelay(c.opts, c.attempt), c.want));

    it('follows CrashLoopBackOff in the kubernetes profile: 10 s doubling to 300 s', () => {
      const k = PROFILES.kubernetes;
      const opts = { initialMs: k.crashLoopBackOffInitialMs, maxMs: k.crashLoopBackOffMaxMs };
      assert.deepEqual(
        [0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(opts, a)),
        [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
      );
    });
  });

  describe('Backoff', () => {
    it('grows with each next(), and peek() does not advance', () => {
      const b = new Backoff({ initialMs: 1000, maxMs: 5000 });
      assert.equal(b.attempts, 0);
      assert.equal(b.peek(), 1000);
      assert.equal(b.peek(), 1000);
      assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [1000, 2000, 4000, 5000, 5000]);
      assert.equal(b.attempts, 5);
      assert.equal(b.peek(), 5000);
    });

    it('reset() starts again from the initial delay', () => {
      const b = new Backoff({ initialMs: 10, maxMs: 1000 });
      b.next();
      b.next();
      b.reset();
      assert.equal(b.attempts, 0);
      assert.equal(b.next(), 10);
    });

    it('without jitter gives the exact delays, whatever the random source says', () => {
      const b = new Backoff({ initialMs: 10, maxMs: 1000 }, () => 0.99);
      assert.deepEqual([b.next(), b.next(), b.next()], [10, 20, 40]);
    });

    it('jitter adds between 0 and jitter * delay, never over the cap', () => {
      const opts = { initialMs: 1000, maxMs: 60_000, jitter: 0.5 };
      const b = new Backoff(opts, seededRandom(7));
      for (let attempt = 0; attempt < 12; attempt++) {
        const base = backoffDelay(opts, attempt);
        const d = b.next();
        assert.ok(d >= base, `attempt ${attempt}: ${d} >= ${base}`);
        assert.ok(d <= Math.min(opts.maxMs, base * 1.5), `attempt ${attempt}: ${d} <= ${Math.min(opts.maxMs, base * 1.5)}`);
      }
    });

    it('jitter reaches its bounds at the ends of the random range', () => {
      assert.equal(new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.5 }, () => 0).next(), 1000);
      assert.equal(new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.5 }, () => 0.999999).next(), 1500);
      assert.equal(new Backoff({ initialMs: 1000, maxMs: 1200, jitter: 0.5 }, () => 0.999999).next(), 1200);
    });

    it('the same seed gives the same delays, another seed others', () => {
      const opts = { initialMs: 100, maxMs: 100_000, jitter: 1 };
      const run = (seed: number) => {
        const b = new Backoff(opts, seededRandom(seed));
        return Array.from({ length: 8 }, () => b.next());
      };
      assert.deepEqual(run(3), run(3));
      assert.notDeepEqual(run(3), run(4));
    });
  });
});
