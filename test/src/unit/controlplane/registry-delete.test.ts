import assert from 'node:assert/strict';
import { isoTime, type Pod, type ReplicaSet } from '@kip/shared';
import { throwsApi } from './api-assert.js';
import { copy, deployment, makeEnv, pod, replicaSet, type Env } from './fixtures.js';

describe('controlplane/api/registry: deletion', () => {
  let env: Env;
  beforeEach(() => {
    env = makeEnv();
    env.terminating.add('ready-node');
  });

  const stored = (name: string) => env.store.get<Pod>('Pod', 'default', name);

  describe('pods', () => {
    const cases: { name: string; pod: () => Pod; grace?: number; status?: Pod['status']; graceful: false | number }[] = [
      { name: 'on a node that can stop it, with its own grace period', pod: () => pod('p', { nodeName: 'ready-node' }), graceful: 30 },
      { name: 'with a grace period of its own', pod: () => pod('p', { nodeName: 'ready-node', grace: 5 }), graceful: 5 },
      { name: 'with a requested grace period', pod: () => pod('p', { nodeName: 'ready-node' }), grace: 12, graceful: 12 },
      { name: 'with a grace period of 0 (force)', pod: () => pod('p', { nodeName: 'ready-node' }), grace: 0, graceful: false },
      { name: 'whose own grace period is 0', pod: () => pod('p', { nodeName: 'ready-node', grace: 0 }), graceful: false },
      { name: 'on a node that cannot stop it (lost or not Ready)', pod: () => pod('p', { nodeName: 'lost-node' }), graceful: false },
      { name: 'not yet scheduled', pod: () => pod('p'), graceful: false },
      { name: 'that already finished', pod: () => pod('p', { nodeName: 'ready-node' }), status: { phase: 'Succeeded' }, graceful: false },
      { name: 'that failed', pod: () => pod('p', { nodeName: 'ready-node' }), status: { phase: 'Failed' }, graceful: false },
    ];
    for (const c of cases) {
      it(`a pod ${c.name} is deleted ${c.graceful === false ? 'at once' : `gracefully (${c.graceful} s)`}`, () => {
        const created = env.registry.create<Pod>(c.pod());
        if (c.status) env.registry.updateStatus({ ...copy(created), status: c.status });
        const out = env.registry.delete<Pod>('Pod', 'default', 'p', { gracePeriodSeconds: c.grace });
        if (c.graceful === false) {
          assert.equal(stored('p'), undefined, 'gone from the store');
          assert.equal(out.metadata.uid, created.metadata.uid);
        } else {
          const s = stored('p')!;
          assert.ok(s, 'still in the store until its node stops it');
          assert.equal(s.metadata.deletionTimestamp, isoTime(env.clock.now() + c.graceful * 1000));
          assert.equal(s.metadata.deletionGracePeriodSeconds, c.graceful);
          assert.deepEqual(out, s, 'returns the pod marked for deletion');
        }
      });
    }

    it('a second deletion may shorten the grace period, never lengthen it', () => {
      env.registry.create(pod('p', { nodeName: 'ready-node' }));
      const first = env.registry.delete<Pod>('Pod', 'default', 'p', { gracePeriodSeconds: 20 });
      const longer = env.registry.delete<Pod>('Pod', 'default', 'p', { gracePeriodSeconds: 60 });
      assert.equal(longer.metadata.deletionTimestamp, first.metadata.deletionTimestamp);
      assert.equal(longer.metadata.resourceVersion, first.metadata.resourceVersion, 'nothing was written');
      const shorter = env.registry.delete<Pod>('Pod', 'default', 'p', { gracePeriodSeconds: 5 });
      assert.equal(shorter.metadata.deletionTimestamp, isoTime(env.clock.now() + 5000));
      assert.equal(shorter.metadata.deletionGracePeriodSeconds, 5);
      env.registry.delete('Pod', 'default', 'p', { gracePeriodSeconds: 0 });
      assert.equal(stored('p'), undefined, 'grace 0 removes a terminating pod at once');
    });

    it('finalizePod removes a terminating pod once its node reports it stopped', () => {
      const created = env.registry.create<Pod>(pod('p', { nodeName: 'ready-node' }));
      env.registry.delete('Pod', 'default', 'p');
      env.registry.finalizePod({ namespace: 'default', name: 'p', uid: 'another-uid' });
      assert.ok(stored('p'), 'a report about another pod of that name changes nothing');
      env.registry.finalizePod({ namespace: 'default', name: 'p', uid: created.metadata.uid! });
      assert.equal(stored('p'), undefined);
      env.registry.finalizePod({ namespace: 'default', name: 'p', uid: created.metadata.uid! });
    });

    it('finalizePod leaves a pod alone that is not being deleted', () => {
      const created = env.registry.create<Pod>(pod('p', { nodeName: 'ready-node' }));
      env.registry.finalizePod({ namespace: 'default', name: 'p', uid: created.metadata.uid! });
      assert.ok(stored('p'));
    });

    it('refuses a negative or fractional grace period with a 400', () => {
      env.registry.create(pod('p', { nodeName: 'ready-node' }));
      for (const g of [-1, 1.5, Number.NaN])
        throwsApi(() => env.registry.delete('Pod', 'default', 'p', { gracePeriodSeconds: g }), {
          reason: 'BadRequest',
          code: 400,
          message: /^gracePeriodSeconds: Invalid value: .*: must be a non-negative integer$/,
        });
      assert.ok(stored('p'));
    });
  });

  describe('preconditions and errors', () => {
    it('honours matching preconditions', () => {
      const created = env.registry.create<Pod>(pod('p'));
      env.registry.delete('Pod', 'default', 'p', { preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion } });
      assert.equal(stored('p'), undefined);
    });

    it('refuses a uid precondition that does not match: 409', () => {
      const created = env.registry.create<Pod>(pod('p'));
      throwsApi(() => env.registry.delete('Pod', 'default', 'p', { preconditions: { uid: 'nope' } }), {
        reason: 'Conflict',
        code: 409,
        message: new RegExp(`^Precondition failed: UID in precondition: nope, UID in object meta: ${created.metadata.uid}$`),
      });
      assert.ok(stored('p'));
    });

    it('refuses a resourceVersion precondition that is stale: 409', () => {
      env.registry.create<Pod>(pod('p'));
      throwsApi(() => env.registry.delete('Pod', 'default', 'p', { preconditions: { resourceVersion: '0' } }), {
        reason: 'Conflict',
        code: 409,
        message: /^Precondition failed: ResourceVersion in precondition: 0, ResourceVersion in object meta: 1$/,
      });
    });

    it('says what is missing: 404', () => {
      throwsApi(() => env.registry.delete('Pod', 'default', 'ghost'), { reason: 'NotFound', code: 404, message: /^pods "ghost" not found$/ });
      throwsApi(() => env.registry.delete('ReplicaSet', 'default', 'ghost'), {
        reason: 'NotFound',
        code: 404,
        message: /^replicasets.apps "ghost" not found$/,
      });
    });
  });

  describe('dependents', () => {
    function family() {
      const d = env.registry.create(deployment('web'));
      const other = env.registry.create(deployment('other'));
      const ownerRef = (o: typeof d, controller = true) => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: o.metadata.name,
        uid: o.metadata.uid!,
        controller,
      });
      const rs = replicaSet('web-abc', 2, { app: 'web' });
      rs.metadata.ownerReferences = [ownerRef(d)];
      const shared = replicaSet('shared', 1, { app: 'shared' });
      shared.metadata.ownerReferences = [ownerRef(d), ownerRef(other, false)];
      const p = pod('web-abc-1', { labels: { app: 'web' } });
      p.metadata.ownerReferences = [ownerRef(d, false)];
      env.registry.create(rs);
      env.registry.create(shared);
      env.registry.create(p);
      return { d, other };
    }
    const refs = (kind: string, name: string) => env.store.get(kind, 'default', name)?.metadata.ownerReferences?.map((r) => r.name);

    it('with propagationPolicy Orphan, dependents lose the reference to the deleted owner only', () => {
      family();
      env.registry.delete('Deployment', 'default', 'web', { propagationPolicy: 'Orphan' });
      assert.equal(env.store.get('Deployment', 'default', 'web'), undefined);
      const rs = env.store.get<ReplicaSet>('ReplicaSet', 'default', 'web-abc')!;
      assert.ok(!('ownerReferences' in rs.metadata), 'an empty list is removed');
      assert.deepEqual(refs('ReplicaSet', 'shared'), ['other']);
      assert.equal(refs('Pod', 'web-abc-1'), undefined);
    });

    it('otherwise, dependents keep their references for the garbage collector', () => {
      family();
      env.registry.delete('Deployment', 'default', 'web', { propagationPolicy: 'Background' });
      assert.deepEqual(refs('ReplicaSet', 'web-abc'), ['web']);
      assert.deepEqual(refs('ReplicaSet', 'shared'), ['web', 'other']);
      env.registry.delete('Deployment', 'default', 'other');
      assert.deepEqual(refs('ReplicaSet', 'shared'), ['web', 'other']);
    });

    it('returns the deleted object at the version of its deletion', () => {
      const d = env.registry.create(deployment('web'));
      const gone = env.registry.delete('Deployment', 'default', 'web');
      assert.equal(gone.metadata.uid, d.metadata.uid);
      assert.equal(gone.metadata.resourceVersion, env.store.resourceVersion());
    });
  });
});
