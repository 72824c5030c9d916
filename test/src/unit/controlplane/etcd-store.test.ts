// The etcd store against a real etcd (Debian's etcd-server), one started for this file on free
// ports: the contract every store keeps, then what only etcd gives: more than one store on the
// same etcd, resuming watches from etcd's history, compaction, and a deadline on every write.

import assert from 'node:assert/strict';
import { FakeClock, type KObject, type Pod } from '@kip/shared';
import { EtcdStore, mutable, parseEtcdUrl, StoreError, type EtcdStoreOptions, type StoreEvent } from '@kip/controlplane';
import { startEtcd, type EtcdServer } from '@kip/scripts';
import { requireEtcd } from '../../helpers/etcd.js';
import { pod } from './fixtures.js';
import { storeContract, throwsStore, withNs } from './store-contract.js';

const configMap = (name: string, data: Record<string, string> = {}): KObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data }) as KObject;
const names = (evs: StoreEvent[]) => evs.map((e) => `${e.type} ${e.object.metadata.name}`);

/** Waits, without blocking the event loop, until `probe` holds: the watch's changes arrive between turns. */
async function eventually(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('controlplane/store/etcd', function () {
  this.timeout(120_000);
  let etcd: EtcdServer;
  let n = 0;
  /** A prefix no other test uses, so each test starts with an empty store on the shared etcd. */
  const freshPrefix = () => `/kip-test-${process.pid}-${++n}`;
  const stores: EtcdStore[] = [];
  const open = (opts: Partial<EtcdStoreOptions> = {}) => {
    const s = new EtcdStore({ hosts: [`http://${etcd.address}`], prefix: freshPrefix(), compactIntervalMs: 0, ...opts });
    stores.push(s);
    return s;
  };

  before(async function () {
    requireEtcd();
    etcd = await startEtcd();
  });
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
  });
  after(async () => {
    await etcd?.stop();
  });

  describe('the store contract', () => {
    storeContract(({ clock, onHandlerError }) => open({ clock, onHandlerError }));
  });

  describe('etcd://', () => {
    const cases: { url: string; want?: { hosts: string[]; prefix: string }; error?: RegExp }[] = [
      { url: 'etcd://127.0.0.1:2379', want: { hosts: ['http://127.0.0.1:2379'], prefix: '/registry' } },
      { url: 'etcd://a:1,b.example:2/kip/one/', want: { hosts: ['http://a:1', 'http://b.example:2'], prefix: '/kip/one' } },
      { url: 'http://127.0.0.1:2379', error: /is not etcd:\/\/HOST:PORT/ },
      { url: 'etcd://127.0.0.1', error: /"127.0.0.1" in "etcd:\/\/127.0.0.1" is not HOST:PORT/ },
      { url: 'etcd://a:1,,b:2', error: /"" in .* is not HOST:PORT/ },
      { url: 'etcd://a:1/', error: /the prefix in "etcd:\/\/a:1\/" is empty/ },
    ];
    for (const c of cases)
      it(`${c.error ? 'refuses' : 'parses'} ${c.url}`, () => {
        if (c.error) assert.throws(() => parseEtcdUrl(c.url), c.error);
        else assert.deepEqual(parseEtcdUrl(c.url), c.want);
      });
  });

  describe('more than one store on one etcd', () => {
    it("sees another store's writes in its get, list and watch, in order", async () => {
      const a = open();
      const b = open({ prefix: (a as unknown as { prefix: string }).prefix });
      const seen: StoreEvent[] = [];
      b.watch({ kind: 'ConfigMap' }, (ev) => seen.push(ev));
      const x = a.create(configMap('x', { v: '1' }));
      const x2 = a.update({ ...x, data: { v: '2' } } as KObject);
      a.create(configMap('y'));
      a.delete('ConfigMap', 'default', 'y');
      await eventually('b to see the four changes', () => seen.length === 4);
      assert.deepEqual(names(seen), ['ADDED x', 'MODIFIED x', 'ADDED y', 'DELETED y']);
      assert.deepEqual(b.get('ConfigMap', 'default', 'x'), x2);
      assert.equal(seen[1]!.oldObject?.metadata.resourceVersion, x.metadata.resourceVersion);
      assert.equal(b.resourceVersion(), a.resourceVersion());
      assert.deepEqual(
        b.list('ConfigMap').items.map((o) => o.metadata.name),
        ['x'],
      );
    });

    it('refuses a write made from a version another store changed: Conflict; a blind update catches up and applies', async () => {
      const a = open();
      const b = open({ prefix: (a as unknown as { prefix: string }).prefix });
      const x = a.create(configMap('x', { v: '1' }));
      await eventually('b to see x', () => b.get('ConfigMap', 'default', 'x') !== undefined);
      const fromB = mutable(b.get('ConfigMap', 'default', 'x')!);
      // a changes x; b writes before its watch brought the change: etcd's txn refuses it.
      a.update({ ...x, data: { v: 'a' } } as KObject);
      throwsStore(() => b.update({ ...fromB, data: { v: 'b' } } as KObject), 'Conflict', /the object has been modified/);
      const blind = mutable(fromB);
      delete blind.metadata.resourceVersion;
      const written = b.update({ ...blind, data: { v: 'blind' } } as KObject);
      assert.deepEqual((written as KObject & { data: unknown }).data, { v: 'blind' });
      assert.equal(written.metadata.uid, x.metadata.uid);
      await eventually('a to see the blind update', () => a.get('ConfigMap', 'default', 'x')?.metadata.resourceVersion === written.metadata.resourceVersion);
      throwsStore(() => b.create(configMap('x')), 'AlreadyExists', /^configmaps "x" already exists$/);
    });

    it('keeps two prefixes apart', async () => {
      const a = open();
      const b = open();
      const seen: StoreEvent[] = [];
      b.watch({}, (ev) => seen.push(ev));
      a.create(configMap('x'));
      b.create(configMap('mine'));
      assert.deepEqual(names(seen), ['ADDED mine']);
      assert.equal(b.get('ConfigMap', 'default', 'x'), undefined);
    });
  });

  describe('opened again', () => {
    it('brings back every object with its uid and resourceVersion, and resumes a watch from etcd history', () => {
      const prefix = freshPrefix();
      const a = open({ prefix });
      const web = a.create(withNs(pod('web')));
      const from = web.metadata.resourceVersion!;
      const bound = a.update({ ...web, spec: { ...web.spec, nodeName: 'node-1' } } as Pod);
      a.create(withNs(pod('db')));
      const gone = a.delete('Pod', 'default', 'db');
      a.close();

      const b = open({ prefix });
      assert.equal(b.resourceVersion(), gone.metadata.resourceVersion);
      assert.deepEqual(b.get('Pod', 'default', 'web'), bound);
      assert.equal(b.get('Pod', 'default', 'db'), undefined);
      const seen: StoreEvent[] = [];
      b.watch({ kind: 'Pod', resourceVersion: from }, (ev) => seen.push(ev));
      assert.deepEqual(
        seen.map((e) => `${names([e])[0]}@${e.object.metadata.resourceVersion}`),
        [
          `MODIFIED web@${bound.metadata.resourceVersion}`,
          `ADDED db@${Number(gone.metadata.resourceVersion) - 1}`,
          `DELETED db@${gone.metadata.resourceVersion}`,
        ],
      );
      assert.equal((seen[2]!.object as Pod).metadata.uid, gone.metadata.uid, 'a deleted object is replayed whole');
      // And the watch goes on live.
      b.create(withNs(pod('next')));
      assert.deepEqual(names(seen.slice(3)), ['ADDED next']);
    });

    it('says Gone for a watch from before what etcd compacted', () => {
      const prefix = freshPrefix();
      const a = open({ prefix });
      const first = a.create(configMap('first'));
      for (let i = 0; i < 3; i++) a.create(configMap(`c${i}`));
      a.compact(Number(a.resourceVersion()));
      a.close();
      const b = open({ prefix });
      throwsStore(() => b.watch({ resourceVersion: first.metadata.resourceVersion }, () => undefined), 'Gone', /too old resource version/);
      // From the compacted revision itself nothing is missing.
      const seen: StoreEvent[] = [];
      b.watch({ resourceVersion: b.resourceVersion() }, (ev) => seen.push(ev));
      assert.deepEqual(seen, []);
    });
    it('compacts etcd now and then, to the revision of the pass before', async () => {
      const prefix = freshPrefix();
      const a = open({ prefix, compactIntervalMs: 300 });
      const first = a.create(configMap('first'));
      // A compaction keeps the revision it compacts to: one more write, so one can pass the first.
      a.create(configMap('second'));
      // b loads after the writes, so a watch from before it is served from etcd's history.
      const b = open({ prefix });
      const before = String(Number(first.metadata.resourceVersion) - 1);
      await eventually('a compaction past the first write', () => {
        try {
          b.watch({ resourceVersion: before }, () => undefined)();
          return false;
        } catch (err) {
          if (err instanceof StoreError && err.code === 'Gone') return true;
          throw err;
        }
      });
    });
  });

  describe('when etcd does not answer', () => {
    it('a write fails with Timeout at its deadline instead of hanging, and reads go on from the cache', async () => {
      const lone = await startEtcd();
      try {
        const s = new EtcdStore({ hosts: [`http://${lone.address}`], timeoutMs: 1500, compactIntervalMs: 0, clock: new FakeClock(0) });
        stores.push(s);
        s.create(configMap('kept'));
        // A stopped etcd: connected, never answering.
        process.kill(lone.pid, 'SIGSTOP');
        try {
          const t0 = Date.now();
          throwsStore(() => s.create(configMap('late')), 'Timeout', /etcd did not answer in 1500 ms \(create\); the change may or may not have been made/);
          assert.ok(Date.now() - t0 < 10_000, `gave up after ${Date.now() - t0} ms`);
          assert.ok(s.get('ConfigMap', 'default', 'kept'));
        } finally {
          process.kill(lone.pid, 'SIGCONT');
        }
        // A dead etcd: the write fails at once, saying why.
        await lone.stop();
        assert.throws(() => s.create(configMap('lost')), /etcd: /);
        assert.ok(s.get('ConfigMap', 'default', 'kept'));
      } finally {
        await lone.stop();
      }
    });

    it('refuses to open when etcd is not there, naming the address', () => {
      assert.throws(
        () => new EtcdStore({ hosts: ['http://127.0.0.1:9'], timeoutMs: 1500 }),
        (err: unknown) => err instanceof StoreError && /cannot load the store from etcd at http:\/\/127.0.0.1:9/.test(err.message),
      );
    });
  });
});
