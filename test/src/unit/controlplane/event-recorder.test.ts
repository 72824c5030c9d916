import assert from 'node:assert/strict';
import { FakeClock, type Event, type Pod } from '@kip/shared';
import { MemoryStore, StoreEventRecorder } from '@kip/controlplane';

function pod(name: string, uid: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid }, spec: { containers: [] } };
}

describe('controlplane/events: StoreEventRecorder', () => {
  let clock: FakeClock;
  let store: MemoryStore;
  beforeEach(() => {
    clock = new FakeClock(Date.parse('2026-03-04T05:06:07Z'));
    store = new MemoryStore({ clock });
  });
  const events = () => store.list<Event>('Event').items;

  it('records an Event naming the object, reason, message and source', () => {
    const rec = new StoreEventRecorder(store, { clock, component: 'default-scheduler' });
    rec.record(pod('a', 'uid-a'), 'Normal', 'Scheduled', 'Successfully assigned default/a to n1');
    const [ev] = events();
    assert.equal(events().length, 1);
    assert.deepEqual({ ...ev!.involvedObject }, { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a', resourceVersion: undefined });
    assert.deepEqual(
      [ev!.reason, ev!.message, ev!.type, ev!.count, ev!.source?.component],
      ['Scheduled', 'Successfully assigned default/a to n1', 'Normal', 1, 'default-scheduler'],
    );
    assert.equal(ev!.firstTimestamp, '2026-03-04T05:06:07Z');
  });

  it('folds a repeat for the same object into one Event with a count, and keeps apart what differs', () => {
    const rec = new StoreEventRecorder(store, { clock, component: 'kubelet' });
    const a = pod('a', 'uid-a');
    rec.record(a, 'Warning', 'BackOff', 'Back-off restarting failed container');
    clock.advance(5000);
    rec.record(a, 'Warning', 'BackOff', 'Back-off restarting failed container');
    rec.record(a, 'Warning', 'BackOff', 'Back-off restarting failed container');
    rec.record(a, 'Warning', 'BackOff', 'Back-off restarting failed container', { component: 'kubelet', host: 'n1' });
    rec.record(a, 'Warning', 'Failed', 'Back-off restarting failed container');
    rec.record(pod('a', 'uid-a2'), 'Warning', 'BackOff', 'Back-off restarting failed container');
    const byKey = events().map((e) => `${e.involvedObject.uid} ${e.reason} ${e.source?.host ?? '-'} x${e.count}`);
    assert.deepEqual(byKey.sort(), ['uid-a BackOff - x3', 'uid-a BackOff n1 x1', 'uid-a Failed - x1', 'uid-a2 BackOff - x1']);
    const folded = events().find((e) => e.count === 3)!;
    assert.deepEqual([folded.firstTimestamp, folded.lastTimestamp], ['2026-03-04T05:06:07Z', '2026-03-04T05:06:12Z']);
  });

  it('keeps at most maxEvents, oldest deleted first, and a repeat of a deleted one starts afresh', () => {
    const rec = new StoreEventRecorder(store, { clock, component: 'c', maxEvents: 3 });
    for (const n of ['a', 'b', 'c', 'd']) rec.record(pod(n, `uid-${n}`), 'Normal', 'Started', 'Started container');
    assert.deepEqual(
      events()
        .map((e) => e.involvedObject.name)
        .sort(),
      ['b', 'c', 'd'],
    );
    rec.record(pod('a', 'uid-a'), 'Normal', 'Started', 'Started container');
    assert.deepEqual(
      events()
        .map((e) => `${e.involvedObject.name} x${e.count}`)
        .sort(),
      ['a x1', 'c x1', 'd x1'],
    );
  });

  it('deletes Events older than the TTL at the next record', () => {
    const rec = new StoreEventRecorder(store, { clock, component: 'c', ttlMs: 60_000 });
    rec.record(pod('old', 'uid-old'), 'Normal', 'Pulled', 'pulled');
    clock.advance(61_000);
    rec.record(pod('new', 'uid-new'), 'Normal', 'Pulled', 'pulled');
    assert.deepEqual(
      events().map((e) => e.involvedObject.name),
      ['new'],
    );
  });

  it('starts a new Event when the one it would fold into was deleted by someone else', () => {
    const rec = new StoreEventRecorder(store, { clock, component: 'c' });
    rec.record(pod('a', 'uid-a'), 'Normal', 'Killing', 'Stopping container');
    const first = events()[0]!;
    store.delete('Event', 'default', first.metadata.name);
    rec.record(pod('a', 'uid-a'), 'Normal', 'Killing', 'Stopping container');
    rec.record(pod('a', 'uid-a'), 'Normal', 'Killing', 'Stopping container');
    assert.deepEqual(
      events().map((e) => e.count),
      [2],
    );
    assert.notEqual(events()[0]!.metadata.name, first.metadata.name);
  });

  it("names each Event as client-go does, by the object's name and the time in hex nanoseconds, so names sort in order", () => {
    const rec = new StoreEventRecorder(store, { clock, component: 'kubelet' });
    const a = pod('web-1', 'uid-w');
    // Three Events in one millisecond, then one a little later.
    for (const reason of ['Pulled', 'Created', 'Started']) rec.record(a, 'Normal', reason, reason);
    clock.advance(1);
    rec.record(a, 'Normal', 'Ready', 'Ready');
    const byName = [...events()].sort((x, y) => (x.metadata.name < y.metadata.name ? -1 : 1));
    assert.deepEqual(
      byName.map((e) => e.reason),
      ['Pulled', 'Created', 'Started', 'Ready'],
    );
    const ms = Date.parse('2026-03-04T05:06:07Z');
    assert.equal(byName[0]!.metadata.name, `web-1.${(BigInt(ms) * 1_000_000n).toString(16)}`);
    assert.equal(byName[1]!.metadata.name, `web-1.${(BigInt(ms) * 1_000_000n + 1n).toString(16)}`);
  });

  it('steps past a name another recorder took in the same millisecond', () => {
    // Two control planes of one cluster, both recording for the same pod in one millisecond.
    const other = new StoreEventRecorder(store, { clock, component: 'kubelet' });
    const rec = new StoreEventRecorder(store, { clock, component: 'kubelet' });
    other.record(pod('web-1', 'uid-w'), 'Normal', 'Pulled', 'pulled');
    rec.record(pod('web-1', 'uid-w'), 'Normal', 'Created', 'created');
    assert.deepEqual(
      events()
        .map((e) => e.reason)
        .sort(),
      ['Created', 'Pulled'],
    );
  });

  it('folds repeats for an object without a uid by kind, namespace and name', () => {
    const rec = new StoreEventRecorder(store, { clock, component: 'c' });
    const ref = { apiVersion: 'v1', kind: 'Node', name: 'n1' };
    rec.record(ref, 'Normal', 'NodeReady', 'Node n1 status is now: NodeReady');
    rec.record(ref, 'Normal', 'NodeReady', 'Node n1 status is now: NodeReady');
    rec.record({ ...ref, kind: 'Pod' }, 'Normal', 'NodeReady', 'Node n1 status is now: NodeReady');
    assert.deepEqual(
      events()
        .map((e) => `${e.involvedObject.kind} x${e.count}`)
        .sort(),
      ['Node x2', 'Pod x1'],
    );
  });
});
