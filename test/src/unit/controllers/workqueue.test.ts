import assert from 'node:assert/strict';
import { FakeClock } from '@kip/shared';
import { WorkQueue } from '@kip/controlplane';

function drainKeys(q: WorkQueue): string[] {
  const out: string[] = [];
  for (let k = q.get(); k !== undefined; k = q.get()) {
    out.push(k);
    q.done(k);
  }
  return out;
}

describe('controllers/workqueue', () => {
  it('hands out each key once however often it was added, in order of first add', () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    assert.equal(q.length, 3);
    assert.deepEqual(drainKeys(q), ['a', 'b', 'c']);
    assert.equal(q.get(), undefined);
  });

  it('never hands out a key that is being processed; an add meanwhile brings it back after done', () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    assert.equal(q.get(), 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.get(), undefined, 'a is being processed: not handed out again');
    assert.ok(q.isProcessing('a'));
    q.done('a');
    assert.equal(q.get(), 'a', 'added during processing: processed again, once');
    q.done('a');
    assert.equal(q.get(), undefined);
  });

  it('does not requeue a key on done when nobody added it meanwhile', () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('x');
    q.done(q.get()!);
    assert.equal(q.length, 0);
  });

  it('wakes its consumer when a key becomes ready', () => {
    let wakes = 0;
    const q = new WorkQueue({ clock: new FakeClock(), onReady: () => wakes++ });
    q.add('a');
    q.add('a');
    assert.equal(wakes, 1);
    q.get();
    q.add('a');
    assert.equal(wakes, 1, 'not ready while processing');
    q.done('a');
    assert.equal(wakes, 2);
  });

  it('addAfter waits for the clock, and of several requests for one key the earliest wins', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    assert.equal(q.length, 0);
    assert.equal(q.delayedCount, 1);
    clock.advance(49);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.deepEqual(drainKeys(q), ['a']);
    clock.advance(1000);
    assert.equal(q.length, 0, 'the later requests were folded into the earliest');
    assert.equal(clock.pendingTimers(), 0);
  });

  it('backs off per key on failure: 5 ms doubling, capped at 30 s, reset by forget', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const delays: number[] = [];
    for (let i = 0; i < 15; i++) delays.push(q.addRateLimited('a'));
    assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
    assert.equal(Math.max(...delays), 30_000);
    assert.equal(delays.at(-1), 30_000);
    assert.equal(q.numRequeues('a'), 15);
    assert.equal(q.addRateLimited('b'), 5, 'backoff is per key');
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    assert.equal(q.addRateLimited('a'), 5);
  });

  it('retries a failing key only once its backoff has passed', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.add('a');
    const k = q.get()!;
    q.addRateLimited(k); // the reconcile failed
    q.done(k);
    assert.equal(q.get(), undefined);
    clock.advance(4);
    assert.equal(q.get(), undefined);
    clock.advance(1);
    assert.equal(q.get(), 'a');
  });

  it('close cancels delayed adds and refuses new keys', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 10);
    q.add('b');
    q.close();
    assert.equal(clock.pendingTimers(), 0);
    assert.equal(q.get(), undefined);
    q.add('c');
    assert.equal(q.length, 0);
    assert.ok(q.closed);
  });
});

describe('controllers/workqueue: minimum interval between hand-outs', () => {
  it('coalesces the adds of a key handed out recently into one, when the interval has passed', () => {
    const clock = new FakeClock(0);
    const q = new WorkQueue({ clock, minIntervalMs: 100 });
    q.add('rs');
    assert.equal(q.get(), 'rs');
    q.done('rs');
    for (let i = 0; i < 50; i++) {
      clock.advance(1);
      q.add('rs');
    }
    assert.equal(q.get(), undefined, 'within 100 ms of the last hand-out: it waits');
    clock.advance(49);
    assert.equal(q.get(), undefined, 'still 1 ms to go');
    clock.advance(1);
    assert.equal(q.get(), 'rs', 'once, when the interval has passed');
    q.done('rs');
    assert.equal(q.get(), undefined);
    clock.advance(1000);
    q.add('other');
    q.add('rs');
    assert.deepEqual([q.get(), q.get()], ['other', 'rs'], 'a key quiet for longer goes at once');
  });
});
