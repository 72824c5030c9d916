import assert from 'node:assert/strict';
import { FakeClock, type Pod } from '@kip/shared';
import { ClusterEvents, type ClusterEvent } from '@kip/controlplane';
import { SchedulingQueue } from '@kip/controlplane';
import { makePod } from './fixtures.js';

const pluginEvents = new Map<string, ReadonlySet<ClusterEvent>>([
  ['NodeResourcesFit', new Set<ClusterEvent>([ClusterEvents.NodeAdd, ClusterEvents.PodDelete])],
  ['TaintToleration', new Set<ClusterEvent>([ClusterEvents.NodeAdd, ClusterEvents.NodeTaintChange])],
]);

function setup(opts: { maxUnschedulableMs?: number; flushIntervalMs?: number } = {}) {
  const clock = new FakeClock();
  let ready = 0;
  const q = new SchedulingQueue({ pluginEvents, clock, onReady: () => ready++, ...opts });
  return { clock, q, ready: () => ready };
}

/** Pops a pod and parks it as rejected by the given plugins. */
function park(q: SchedulingQueue, pod: Pod, plugins: string[]): void {
  q.add(pod);
  const qp = q.pop();
  assert.equal(qp?.uid, pod.metadata.uid);
  q.addUnschedulable(qp!, new Set(plugins));
}

describe('scheduler queue', () => {
  it('pops higher priority first, then older pods', () => {
    const { q } = setup();
    q.add(makePod('young', { creationTimestamp: '2026-01-01T00:00:05Z' }));
    q.add(makePod('old', { creationTimestamp: '2026-01-01T00:00:01Z' }));
    q.add(makePod('urgent', { priority: 1000, creationTimestamp: '2026-01-01T00:00:09Z' }));
    q.add(makePod('same-second', { creationTimestamp: '2026-01-01T00:00:05Z' }));
    const order = [q.pop(), q.pop(), q.pop(), q.pop()].map((p) => p?.pod.metadata.name);
    assert.deepEqual(order, ['urgent', 'old', 'young', 'same-second']);
    assert.equal(q.pop(), undefined);
  });

  it('tracks a popped pod as in flight until done', () => {
    const { q } = setup();
    q.add(makePod('p'));
    const qp = q.pop()!;
    assert.equal(qp.attempts, 1);
    assert.equal(q.where('uid-p'), 'inflight');
    q.done('uid-p');
    assert.equal(q.where('uid-p'), undefined);
    assert.deepEqual(q.stats(), { active: 0, backoff: 0, unschedulable: 0, inflight: 0 });
  });

  it('moves a parked pod on an event one of its rejecting plugins registered for, through backoff', () => {
    const { q, clock } = setup();
    park(q, makePod('p'), ['NodeResourcesFit']);
    assert.equal(q.where('uid-p'), 'unschedulable');
    q.moveOnEvent(ClusterEvents.PodDelete);
    // Tried a moment ago: it waits out its 1 s backoff first.
    assert.equal(q.where('uid-p'), 'backoff');
    assert.equal(q.pop(), undefined);
    clock.advance(999);
    assert.equal(q.where('uid-p'), 'backoff');
    clock.advance(1);
    assert.equal(q.where('uid-p'), 'active');
    assert.equal(q.pop()?.uid, 'uid-p');
  });

  it('moves a parked pod straight to active when its backoff has already expired', () => {
    const { q, clock } = setup();
    park(q, makePod('p'), ['TaintToleration']);
    clock.advance(5000);
    q.moveOnEvent(ClusterEvents.NodeTaintChange);
    assert.equal(q.where('uid-p'), 'active');
  });

  it('leaves a parked pod alone on events its plugins did not register for', () => {
    const { q, clock } = setup();
    park(q, makePod('p'), ['TaintToleration']);
    clock.advance(5000);
    q.moveOnEvent(ClusterEvents.PodDelete);
    q.moveOnEvent(ClusterEvents.NodeLabelChange);
    assert.equal(q.where('uid-p'), 'unschedulable');
  });

  it('moves a pod parked without rejecting plugins (no nodes at all) on any event', () => {
    const { q, clock } = setup();
    park(q, makePod('p'), []);
    clock.advance(5000);
    q.moveOnEvent(ClusterEvents.NodeAdd);
    assert.equal(q.where('uid-p'), 'active');
  });

  it('backs off 1 s, 2 s, 4 s, 8 s, then stays at 10 s', () => {
    const { q, clock } = setup();
    q.add(makePod('p'));
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const qp = q.pop()!;
      delays.push(q.backoffExpiry(qp) - qp.lastAttemptMs);
      q.addBackoff(qp);
      q.flushBackoffCompleted();
      // Jump to the expiry so the next pop finds it.
      clock.advance(delays[i]!);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('wakes the loop when a backoff timer fires', () => {
    const { q, clock, ready } = setup();
    q.add(makePod('p'));
    const qp = q.pop()!;
    const before = ready();
    q.addBackoff(qp);
    assert.equal(ready(), before);
    clock.advance(1000);
    assert.equal(ready(), before + 1);
    assert.equal(q.where('uid-p'), 'active');
  });

  it('retries pods parked too long on the periodic flush, without any event', () => {
    const { q, clock } = setup({ maxUnschedulableMs: 60_000, flushIntervalMs: 30_000 });
    q.run();
    park(q, makePod('p'), ['NodeResourcesFit']);
    clock.advance(30_000);
    assert.equal(q.where('uid-p'), 'unschedulable');
    clock.advance(30_000);
    assert.equal(q.where('uid-p'), 'active');
    q.close();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('retries a parked pod whose spec changed, but not one whose status changed', () => {
    const { q, clock } = setup();
    const pod = makePod('p');
    park(q, pod, ['TaintToleration']);
    clock.advance(5000);
    q.update({ ...pod, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } });
    assert.equal(q.where('uid-p'), 'unschedulable');
    q.update({ ...pod, spec: { ...pod.spec, tolerations: [{ operator: 'Exists' }] } });
    assert.equal(q.where('uid-p'), 'active');
    assert.deepEqual(q.pop()?.pod.spec.tolerations, [{ operator: 'Exists' }]);
  });

  it('re-sorts a waiting pod whose priority changed', () => {
    const { q } = setup();
    q.add(makePod('a', { creationTimestamp: '2026-01-01T00:00:01Z' }));
    const b = makePod('b', { creationTimestamp: '2026-01-01T00:00:02Z' });
    q.add(b);
    q.update({ ...b, spec: { ...b.spec, priority: 10 } });
    assert.equal(q.pop()?.pod.metadata.name, 'b');
  });

  it('forgets deleted pods wherever they wait, including in flight', () => {
    const { q } = setup();
    park(q, makePod('parked'), ['TaintToleration']);
    q.add(makePod('flying'));
    const flying = q.pop()!;
    q.add(makePod('waiting'));
    q.add(makePod('staying'));
    q.delete('uid-flying');
    // Its cycle ends after the delete: the late requeue must not resurrect it.
    q.addUnschedulable(flying, new Set(['NodeResourcesFit']));
    q.delete('uid-parked');
    q.delete('uid-waiting');
    for (const uid of ['uid-flying', 'uid-parked', 'uid-waiting']) assert.equal(q.where(uid), undefined);
    assert.deepEqual(q.stats(), { active: 1, backoff: 0, unschedulable: 0, inflight: 0 });
    assert.equal(q.pop()?.uid, 'uid-staying');
  });

  it('treats adding a known pod as an update', () => {
    const { q } = setup();
    q.add(makePod('p'));
    q.add(makePod('p', { priority: 5 }));
    assert.equal(q.stats().active, 1);
    assert.equal(q.pop()?.priority, 5);
  });
});
