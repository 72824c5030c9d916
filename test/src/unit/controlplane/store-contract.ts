// The behaviour every Store backend shares, run against each (memory-store.test.ts,
// etcd-store.test.ts): what the API server, scheduler and controllers rely on, whatever keeps the
// objects. Versions are checked relative to the store's version when it opened, since etcd's
// revision counts from wherever that etcd was.

import assert from 'node:assert/strict';
import { FakeClock, isoTime, parseSelector, type KObject, type Pod } from '@kip/shared';
import { StoreError, mutable, type ListOptions, type Store, type StoreErrorCode, type StoreEvent } from '@kip/controlplane';
import { node, pod } from './fixtures.js';

export function throwsStore(fn: () => unknown, code: StoreErrorCode, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StoreError, `a StoreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.name, 'StoreError');
    if (message) assert.match(err.message, message);
    return true;
  });
}

export const withNs = (p: Pod, namespace = 'default') => ({ ...p, metadata: { ...p.metadata, namespace } });

/** Opens an empty store of the backend under test. */
export type OpenStore = (opts: { clock: FakeClock; onHandlerError?: (err: unknown) => void }) => Store;

/** Defines the contract's tests for stores made by `open`, each test with a store of its own. */
export function storeContract(open: OpenStore): void {
  let clock: FakeClock;
  let store: Store;
  let base: number;
  const opened: Store[] = [];
  /** A version as the count of writes since the store opened. */
  const rel = (v: string | undefined) => String(Number(v) - base);
  const abs = (n: number) => String(base + n);
  beforeEach(() => {
    clock = new FakeClock(Date.parse('2026-02-03T04:05:06.700Z'));
    store = open({ clock });
    opened.push(store);
    base = Number(store.resourceVersion());
  });
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });

  describe('create and get', () => {
    it('assigns uid, resourceVersion and creationTimestamp, and keeps the rest', () => {
      const created = store.create(withNs(pod('web', { labels: { app: 'web' } })));
      assert.match(created.metadata.uid!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(rel(created.metadata.resourceVersion), '1');
      assert.equal(created.metadata.creationTimestamp, isoTime(clock.now()));
      assert.equal(created.metadata.creationTimestamp, '2026-02-03T04:05:06Z');
      assert.deepEqual(created.metadata.labels, { app: 'web' });
      assert.deepEqual(store.get('Pod', 'default', 'web'), created);
      assert.equal(rel(store.resourceVersion()), '1');
    });

    it('keeps a uid and creationTimestamp it is given (a durable backend reloading)', () => {
      const created = store.create({
        ...withNs(pod('web')),
        metadata: { name: 'web', namespace: 'default', uid: 'u-1', creationTimestamp: '2020-01-01T00:00:00Z' },
      });
      assert.equal(created.metadata.uid, 'u-1');
      assert.equal(created.metadata.creationTimestamp, '2020-01-01T00:00:00Z');
    });

    it('does not keep a reference to the caller object', () => {
      const mine = withNs(pod('web'));
      store.create(mine);
      mine.metadata.labels = { changed: 'yes' };
      assert.equal(store.get('Pod', 'default', 'web')!.metadata.labels, undefined);
      assert.equal(mine.metadata.uid, undefined, 'the input is not changed either');
    });

    it('refuses a second object of the same kind, namespace and name: AlreadyExists', () => {
      store.create(withNs(pod('web')));
      throwsStore(() => store.create(withNs(pod('web'))), 'AlreadyExists', /^pods "web" already exists$/);
      assert.equal(rel(store.resourceVersion()), '1', 'a refused write does not bump the version');
    });

    it('keeps kinds and namespaces apart', () => {
      store.create(withNs(pod('web'), 'a'));
      store.create(withNs(pod('web'), 'b'));
      store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'a' }, spec: { ports: [{ port: 80 }] } } as KObject);
      store.create(node('web'));
      assert.ok(store.get('Pod', 'a', 'web'));
      assert.ok(store.get('Pod', 'b', 'web'));
      assert.equal(store.get('Pod', 'c', 'web'), undefined);
      assert.equal(store.get('Pod', undefined, 'web'), undefined);
      assert.ok(store.get('Node', undefined, 'web'));
      assert.equal(store.get('Node', 'a', 'web'), undefined);
      assert.equal(store.get('Deployment', 'a', 'web'), undefined);
    });

    it('hands out deep-frozen objects: a reader cannot change what is stored', () => {
      const created = store.create(withNs(pod('web', { labels: { app: 'web' } })));
      const got = store.get<Pod>('Pod', 'default', 'web')!;
      for (const o of [created, got, store.list<Pod>('Pod').items[0]!]) {
        assert.ok(Object.isFrozen(o));
        assert.ok(Object.isFrozen(o.metadata));
        assert.ok(Object.isFrozen(o.metadata.labels));
        assert.ok(Object.isFrozen(o.spec.containers[0]));
        assert.throws(() => {
          (o.metadata.labels as Record<string, string>).app = 'x';
        }, TypeError);
      }
      const copy = mutable(got);
      copy.metadata.labels!.app = 'changed';
      assert.equal(store.get<Pod>('Pod', 'default', 'web')!.metadata.labels!.app, 'web');
    });
  });

  describe('list', () => {
    beforeEach(() => {
      store.create(withNs(pod('a', { labels: { app: 'web', tier: 'front' } }), 'one'));
      store.create(withNs(pod('b', { labels: { app: 'web' } }), 'two'));
      store.create(withNs(pod('c', { labels: { app: 'db' }, nodeName: 'n1' }), 'one'));
      store.create(node('n1'));
    });

    const cases: { name: string; opts: ListOptions; want: string[] }[] = [
      { name: 'everything of a kind', opts: {}, want: ['a', 'b', 'c'] },
      { name: 'one namespace', opts: { namespace: 'one' }, want: ['a', 'c'] },
      { name: 'a namespace with nothing', opts: { namespace: 'three' }, want: [] },
      { name: 'a label selector', opts: { labelSelector: parseSelector('app=web') }, want: ['a', 'b'] },
      { name: 'a label selector in a namespace', opts: { namespace: 'one', labelSelector: parseSelector('app=web') }, want: ['a'] },
      { name: 'a set selector', opts: { labelSelector: parseSelector('app in (db),!tier') }, want: ['c'] },
      { name: 'a filter', opts: { filter: (o) => (o as Pod).spec.nodeName === 'n1' }, want: ['c'] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const res = store.list<Pod>('Pod', c.opts);
        assert.deepEqual(res.items.map((p) => p.metadata.name).sort(), c.want);
        assert.equal(rel(res.resourceVersion), '4');
      });
    }

    it('lists a kind never written as empty', () => {
      assert.deepEqual(store.list('Deployment'), { items: [], resourceVersion: abs(4) });
    });
  });

  describe('update', () => {
    it('replaces the object, bumping resourceVersion and keeping uid and creationTimestamp', () => {
      const created = store.create(withNs(pod('web')));
      clock.advance(60_000);
      const next = mutable(created);
      next.metadata.labels = { app: 'web' };
      delete next.metadata.uid;
      next.metadata.creationTimestamp = '1999-01-01T00:00:00Z';
      const updated = store.update(next);
      assert.equal(rel(updated.metadata.resourceVersion), '2');
      assert.equal(updated.metadata.uid, created.metadata.uid);
      assert.equal(updated.metadata.creationTimestamp, created.metadata.creationTimestamp);
      assert.deepEqual(updated.metadata.labels, { app: 'web' });
      assert.ok(Object.isFrozen(updated));
    });

    it('resourceVersion grows with every write, across kinds', () => {
      const rvs: number[] = [];
      const a = store.create(withNs(pod('a')));
      rvs.push(-base + Number(a.metadata.resourceVersion));
      rvs.push(-base + Number(store.create(node('n')).metadata.resourceVersion));
      rvs.push(-base + Number(store.update(mutable(a)).metadata.resourceVersion));
      rvs.push(-base + Number(store.delete('Node', undefined, 'n').metadata.resourceVersion));
      rvs.push(-base + Number(store.create(withNs(pod('b'))).metadata.resourceVersion));
      assert.deepEqual(rvs, [1, 2, 3, 4, 5]);
      assert.equal(rel(store.resourceVersion()), '5');
    });

    it('refuses a stale resourceVersion: Conflict', () => {
      const created = store.create(withNs(pod('web')));
      store.update(mutable(created));
      throwsStore(
        () => store.update(mutable(created)),
        'Conflict',
        /^Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again$/,
      );
    });

    it('applies an update without resourceVersion to whatever is current', () => {
      const created = store.create(withNs(pod('web')));
      store.update(mutable(created));
      const blind = mutable(created);
      delete blind.metadata.resourceVersion;
      assert.equal(rel(store.update(blind).metadata.resourceVersion), '3');
    });

    it('refuses another uid: Conflict (the object was deleted and made again)', () => {
      const created = store.create(withNs(pod('web')));
      const other = mutable(created);
      other.metadata.uid = 'someone-else';
      delete other.metadata.resourceVersion;
      throwsStore(() => store.update(other), 'Conflict', /uid someone-else does not match/);
    });

    it('refuses an object that does not exist: NotFound', () => {
      throwsStore(() => store.update(withNs(pod('ghost'))), 'NotFound', /^pods "ghost" not found$/);
    });
  });

  describe('delete', () => {
    it('removes the object and returns it at the version of its deletion', () => {
      const created = store.create(withNs(pod('web')));
      const gone = store.delete<Pod>('Pod', 'default', 'web');
      assert.equal(gone.metadata.uid, created.metadata.uid);
      assert.equal(rel(gone.metadata.resourceVersion), '2');
      assert.ok(Object.isFrozen(gone));
      assert.equal(store.get('Pod', 'default', 'web'), undefined);
      assert.equal(rel(store.resourceVersion()), '2');
    });

    it('refuses what does not exist: NotFound', () => {
      throwsStore(() => store.delete('Pod', 'default', 'ghost'), 'NotFound', /^pods "ghost" not found$/);
    });

    const preconditions: { name: string; pre: (p: Pod) => { uid?: string; resourceVersion?: string }; code?: StoreErrorCode; message?: RegExp }[] = [
      { name: 'a matching uid', pre: (p) => ({ uid: p.metadata.uid }) },
      { name: 'a matching resourceVersion', pre: (p) => ({ resourceVersion: p.metadata.resourceVersion }) },
      { name: 'both matching', pre: (p) => ({ uid: p.metadata.uid, resourceVersion: p.metadata.resourceVersion }) },
      { name: 'another uid', pre: () => ({ uid: 'other' }), code: 'Conflict', message: /precondition failed: uid other does not match/ },
      { name: 'a stale resourceVersion', pre: () => ({ resourceVersion: '0' }), code: 'Conflict', message: /precondition failed: resourceVersion 0 is stale/ },
    ];
    for (const c of preconditions) {
      it(`${c.code ? 'refuses' : 'honours'} a precondition of ${c.name}`, () => {
        const created = store.create(withNs(pod('web')));
        if (c.code) {
          throwsStore(() => store.delete('Pod', 'default', 'web', c.pre(created)), c.code, c.message);
          assert.ok(store.get('Pod', 'default', 'web'), 'still there');
        } else {
          store.delete('Pod', 'default', 'web', c.pre(created));
          assert.equal(store.get('Pod', 'default', 'web'), undefined);
        }
      });
    }

    it('frees the name for a new object with a new uid', () => {
      const first = store.create(withNs(pod('web')));
      store.delete('Pod', 'default', 'web');
      const second = store.create(withNs(pod('web')));
      assert.notEqual(second.metadata.uid, first.metadata.uid);
    });
  });

  describe('watch', () => {
    const names = (evs: StoreEvent[]) => evs.map((e) => `${e.type} ${e.object.kind}/${e.object.metadata.name}@${rel(e.object.metadata.resourceVersion)}`);

    it('delivers ADDED, MODIFIED and DELETED synchronously, with the object before the change', () => {
      const evs: StoreEvent[] = [];
      store.watch({}, (e) => evs.push(e));
      const a = store.create(withNs(pod('a')));
      assert.equal(evs.length, 1, 'delivered before create returns');
      const a2 = store.update(mutable(a));
      store.delete('Pod', 'default', 'a');
      assert.deepEqual(names(evs), ['ADDED Pod/a@1', 'MODIFIED Pod/a@2', 'DELETED Pod/a@3']);
      assert.equal(evs[0]!.oldObject, undefined);
      assert.equal(evs[1]!.oldObject, a);
      assert.equal(evs[2]!.oldObject, a2);
      assert.equal(evs[1]!.object, a2);
    });

    it('filters by kind and namespace', () => {
      const evs: StoreEvent[] = [];
      store.watch({ kind: 'Pod', namespace: 'one' }, (e) => evs.push(e));
      store.create(withNs(pod('a'), 'one'));
      store.create(withNs(pod('b'), 'two'));
      store.create(node('n1'));
      assert.deepEqual(names(evs), ['ADDED Pod/a@1']);
    });

    it('stops delivering after unsubscribe', () => {
      const evs: StoreEvent[] = [];
      const stop = store.watch({}, (e) => evs.push(e));
      store.create(withNs(pod('a')));
      stop();
      store.create(withNs(pod('b')));
      assert.equal(evs.length, 1);
    });

    it('replays every change after a resourceVersion, then goes on live', () => {
      const a = store.create(withNs(pod('a')));
      store.create(withNs(pod('b')));
      store.update(mutable(a));
      store.create(node('n1'));
      store.delete('Pod', 'default', 'b');
      const evs: StoreEvent[] = [];
      store.watch({ kind: 'Pod', resourceVersion: abs(2) }, (e) => evs.push(e));
      assert.deepEqual(names(evs), ['MODIFIED Pod/a@3', 'DELETED Pod/b@5']);
      store.create(withNs(pod('c')));
      assert.deepEqual(names(evs).slice(2), ['ADDED Pod/c@6']);
    });

    it('replays nothing from the current version, and only new changes from "0" or none', () => {
      store.create(withNs(pod('a')));
      for (const rv of [store.resourceVersion(), '0', undefined]) {
        const evs: StoreEvent[] = [];
        const stop = store.watch({ resourceVersion: rv }, (e) => evs.push(e));
        assert.deepEqual(evs, [], String(rv));
        stop();
      }
    });

    it('refuses a resourceVersion that is not a number: Invalid', () => {
      throwsStore(() => store.watch({ resourceVersion: 'abc' }, () => undefined), 'Invalid', /resourceVersion "abc" is not a number/);
    });

    it('isolates a failing handler: the write succeeds and other watchers still hear of it', () => {
      const errors: unknown[] = [];
      const isolated = open({ clock, onHandlerError: (e) => errors.push(e) });
      opened.push(isolated);
      const seen: string[] = [];
      isolated.watch({}, () => {
        throw new Error('watcher bug');
      });
      isolated.watch({}, (e) => seen.push(e.object.metadata.name));
      const created = isolated.create(withNs(pod('a')));
      assert.equal(created.metadata.resourceVersion, isolated.resourceVersion());
      assert.ok(isolated.get('Pod', 'default', 'a'));
      assert.deepEqual(seen, ['a']);
      assert.equal(errors.length, 1);
      assert.match((errors[0] as Error).message, /watcher bug/);
    });
  });
}
