import assert from 'node:assert/strict';
import { FakeClock, createLogger, keyOf, type KObject } from '@kip/shared';
import { ControllerRunner, type Controller, type Enqueue, type ReconcileResult } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';
import { eventually } from '../../helpers/wait.js';

const FAST = { timeoutMs: 10_000, intervalMs: 2 };

/** A controller over ConfigMap-like objects (Events here) whose reconcile the test scripts. */
class ScriptedController implements Controller {
  readonly name = 'scripted';
  readonly calls: string[] = [];
  active = 0;
  maxActive = 0;
  constructor(
    private readonly store: MemoryStore,
    private readonly script: (key: string, call: number) => ReconcileResult,
  ) {}
  register(enqueue: Enqueue) {
    return [this.store.watch({ kind: 'Event' }, (ev) => enqueue(keyOf(ev.object)))];
  }
  resyncKeys(): string[] {
    return this.store.list('Event').items.map(keyOf);
  }
  reconcile(key: string): ReconcileResult {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const n = this.calls.filter((k) => k === key).length;
      this.calls.push(key);
      return this.script(key, n);
    } finally {
      this.active--;
    }
  }
}

function event(name: string): KObject {
  return { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' } };
}

describe('controllers/controller runner', () => {
  let runner: ControllerRunner | undefined;
  afterEach(() => {
    runner?.stop();
    runner = undefined;
  });

  it('reconciles the keys its watches enqueue, from a pump that does not block the caller', async () => {
    const store = new MemoryStore();
    const c = new ScriptedController(store, () => undefined);
    runner = new ControllerRunner(c, { clock: new FakeClock(), log: createLogger('t', 'error', () => {}) });
    runner.start();
    store.create(event('a'));
    store.create(event('b'));
    assert.deepEqual(c.calls, [], 'handlers only enqueue: nothing runs inside the write');
    await eventually('both keys reconciled', () => c.calls.length === 2, FAST);
    assert.deepEqual(c.calls, ['default/a', 'default/b']);
  });

  it('retries a failing key with backoff on the clock and logs the key', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const lines: string[] = [];
    const c = new ScriptedController(store, (_key, n) => {
      if (n < 2) throw new Error(`boom ${n}`);
    });
    runner = new ControllerRunner(c, { clock, log: createLogger('t', 'info', (l) => lines.push(l)) });
    runner.start();
    store.create(event('a'));
    await eventually('first attempt', () => c.calls.length === 1, FAST);
    assert.match(lines.join('\n'), /reconcile failed.*key=default\/a.*retryInMs=5.*boom 0/);
    clock.advance(4);
    await new Promise((r) => setImmediate(r));
    assert.equal(c.calls.length, 1, 'not retried before its backoff');
    clock.advance(1);
    await eventually('second attempt', () => c.calls.length === 2, FAST);
    assert.match(lines.at(-1)!, /retryInMs=10/);
    clock.advance(10);
    await eventually('third attempt succeeds', () => c.calls.length === 3, FAST);
    assert.equal(runner.queue.numRequeues('default/a'), 0, 'success forgets the backoff');
  });

  it('honours requeueAfterMs', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const c = new ScriptedController(store, (_k, n) => (n === 0 ? { requeueAfterMs: 1000 } : undefined));
    runner = new ControllerRunner(c, { clock, log: createLogger('t', 'error', () => {}) });
    runner.start();
    store.create(event('a'));
    await eventually('first pass', () => c.calls.length === 1, FAST);
    clock.advance(999);
    await new Promise((r) => setImmediate(r));
    assert.equal(c.calls.length, 1);
    clock.advance(1);
    await eventually('requeued pass', () => c.calls.length === 2, FAST);
  });

  it('enqueues every object at start and on each periodic resync', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    store.create(event('old'));
    const c = new ScriptedController(store, () => undefined);
    runner = new ControllerRunner(c, { clock, log: createLogger('t', 'error', () => {}), resyncMs: 30_000 });
    runner.start();
    await eventually('initial sync', () => c.calls.length === 1, FAST);
    clock.advance(30_000);
    await eventually('resync', () => c.calls.length === 2, FAST);
    assert.deepEqual(c.calls, ['default/old', 'default/old']);
  });

  it('never reconciles one key twice at once, even when it is re-added while running', async () => {
    const store = new MemoryStore();
    let reentered = false;
    const c = new ScriptedController(store, (key, n) => {
      // Writing from inside a reconcile fires the watch, which re-adds this very key.
      if (n === 0 && key === 'default/a') store.update({ ...structuredClone(store.get('Event', 'default', 'a')!) });
      if (c.active > 1) reentered = true;
    });
    runner = new ControllerRunner(c, { clock: new FakeClock(), log: createLogger('t', 'error', () => {}) });
    runner.start();
    store.create(event('a'));
    await eventually('a processed again after its own change', () => c.calls.filter((k) => k === 'default/a').length === 2, FAST);
    assert.equal(reentered, false);
    assert.equal(c.maxActive, 1);
  });

  it('stops: unsubscribes, cancels timers, and can start again', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const c = new ScriptedController(store, () => ({ requeueAfterMs: 50 }));
    runner = new ControllerRunner(c, { clock, log: createLogger('t', 'error', () => {}) });
    runner.start();
    store.create(event('a'));
    await eventually('first pass', () => c.calls.length === 1, FAST);
    runner.stop();
    assert.equal(clock.pendingTimers(), 0, 'no resync or requeue timer left behind');
    store.create(event('b'));
    clock.advance(60_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(c.calls.length, 1);
    runner.start();
    await eventually('restarted runner resyncs', () => c.calls.length >= 3, FAST);
  });
});
