import assert from 'node:assert/strict';
import { FakeClock } from '@kip/shared';
import { MemoryStore, type StoreEvent } from '@kip/controlplane';
import { pod } from './fixtures.js';
import { storeContract, throwsStore, withNs } from './store-contract.js';

describe('controlplane/store/memory', () => {
  storeContract(({ clock, onHandlerError }) => new MemoryStore({ clock, onHandlerError }));

  describe('memory only', () => {
    let clock: FakeClock;
    let store: MemoryStore;
    beforeEach(() => {
      clock = new FakeClock(Date.parse('2026-02-03T04:05:06.700Z'));
      store = new MemoryStore({ clock });
    });
    const names = (evs: StoreEvent[]) => evs.map((e) => `${e.type} ${e.object.kind}/${e.object.metadata.name}@${e.object.metadata.resourceVersion}`);

    it('refuses a resourceVersion older than the kept history: Gone', () => {
      const small = new MemoryStore({ clock, historySize: 3 });
      for (const n of ['a', 'b', 'c', 'd', 'e']) small.create(withNs(pod(n)));
      // History keeps versions 3, 4 and 5: a watch from 2 misses nothing, from 1 would miss 2.
      const evs: StoreEvent[] = [];
      small.watch({ resourceVersion: '2' }, (e) => evs.push(e));
      assert.deepEqual(names(evs), ['ADDED Pod/c@3', 'ADDED Pod/d@4', 'ADDED Pod/e@5']);
      throwsStore(() => small.watch({ resourceVersion: '1' }, () => undefined), 'Gone', /^too old resource version: 1 \(2\)$/);
    });

    it('keeps a bounded history however many writes there are', () => {
      const small = new MemoryStore({ clock, historySize: 10 });
      for (let i = 0; i < 100; i++) small.create(withNs(pod(`p${i}`)));
      const evs: StoreEvent[] = [];
      small.watch({ resourceVersion: '90' }, (e) => evs.push(e));
      assert.equal(evs.length, 10);
      assert.equal(evs[0]!.object.metadata.name, 'p90');
      throwsStore(() => small.watch({ resourceVersion: '89' }, () => undefined), 'Gone');
    });

    it('keeps a frozen copy of what it is given, sharing the parts that were frozen already', () => {
      const given = withNs(pod('frozen'));
      const created = store.create(given);
      assert.notEqual(created, given);
      assert.equal(given.metadata.resourceVersion, undefined, "the writer's object is not changed");
      for (const part of [created, created.metadata, created.spec, created.spec.containers, created.spec.containers[0]]) assert.ok(Object.isFrozen(part));
      assert.ok(created.metadata.uid && created.metadata.creationTimestamp && created.metadata.resourceVersion);
      // A writer copies what it read and changes one part: the rest is shared, not copied again.
      const updated = store.update({ ...created, metadata: { ...created.metadata, labels: { app: 'x' } } });
      assert.equal(updated.spec, created.spec);
      assert.deepEqual(updated.metadata.labels, { app: 'x' });
      assert.ok(Object.isFrozen(updated.metadata.labels));
      assert.equal(updated.metadata.uid, created.metadata.uid);
      assert.equal(Number(updated.metadata.resourceVersion), Number(created.metadata.resourceVersion) + 1);
    });

    it('close() drops every watcher', () => {
      const evs: StoreEvent[] = [];
      store.watch({}, (e) => evs.push(e));
      store.close();
      store.create(withNs(pod('a')));
      assert.equal(evs.length, 0);
    });
  });
});
