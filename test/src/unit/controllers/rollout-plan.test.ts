import assert from 'node:assert/strict';
import { isoTime, type Deployment, type ReplicaSet } from '@kip/shared';
import {
  ANNOTATION_MAX_REPLICAS,
  findActiveOrLatest,
  maxUnavailable,
  newRSNewReplicas,
  planOldScaleDown,
  planProportionalScale,
  resolveFenceposts,
  resolveIntOrPercent,
} from '@kip/controlplane';
import { canonicalJson, computeTemplateHash, fnv1a32, safeEncodeString, templatesEqualIgnoringHash } from '@kip/controlplane';

function deployment(replicas: number, maxSurge: number | string, maxUnavailable: number | string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { containers: [] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
    },
  };
}

function rs(name: string, replicas: number, available: number, createdSec: number, annotations: Record<string, string> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: name, creationTimestamp: isoTime(Date.parse('2026-01-01T00:00:00Z') + createdSec * 1000), annotations },
    spec: { replicas, selector: { matchLabels: {} }, template: { spec: { containers: [] } } },
    status: { replicas, availableReplicas: available },
  };
}

describe('controllers/rollout-plan', () => {
  describe('maxSurge and maxUnavailable', () => {
    const table: { replicas: number; surge: number | string; unavailable: number | string; want: [number, number] }[] = [
      { replicas: 10, surge: '25%', unavailable: '25%', want: [3, 2] }, // surge rounds up, unavailable down
      { replicas: 4, surge: '25%', unavailable: '25%', want: [1, 1] },
      { replicas: 1, surge: '25%', unavailable: '25%', want: [1, 0] },
      { replicas: 3, surge: 0, unavailable: '10%', want: [0, 1] }, // both 0: unavailable becomes 1
      { replicas: 5, surge: 2, unavailable: 0, want: [2, 0] },
      { replicas: 10, surge: '100%', unavailable: '0%', want: [10, 0] },
    ];
    for (const t of table)
      it(`${t.replicas} replicas, surge ${t.surge}, unavailable ${t.unavailable} -> ${t.want.join('/')}`, () => {
        const r = resolveFenceposts(deployment(t.replicas, t.surge, t.unavailable));
        assert.deepEqual([r.maxSurge, r.maxUnavailable], t.want);
      });

    it('never lets more pods be unavailable than there are replicas', () => {
      assert.equal(maxUnavailable(deployment(2, 0, 5)), 2);
      assert.equal(maxUnavailable(deployment(0, 1, 1)), 0);
    });

    it('resolves ints and percents', () => {
      assert.equal(resolveIntOrPercent(3, 10, true), 3);
      assert.equal(resolveIntOrPercent('33%', 10, true), 4);
      assert.equal(resolveIntOrPercent('33%', 10, false), 3);
      assert.throws(() => resolveIntOrPercent('lots', 10, true), /invalid value "lots"/);
    });
  });

  it('grows the new ReplicaSet up to replicas + maxSurge pods in all', () => {
    const d = deployment(10, 3, 2);
    const old = rs('old', 10, 10, 0);
    assert.equal(newRSNewReplicas(d, [old], undefined), 3);
    const fresh = rs('new', 3, 0, 10);
    assert.equal(newRSNewReplicas(d, [rs('old', 8, 8, 0), fresh], fresh), 5);
    assert.equal(newRSNewReplicas(d, [rs('old', 10, 10, 0), fresh], fresh), 3, 'at the surge limit it stays');
    assert.equal(newRSNewReplicas(d, [rs('old', 0, 0, 0), rs('new', 9, 9, 10)], rs('new', 9, 9, 10)), 10, 'never beyond replicas');
  });

  it('scales old ReplicaSets down only as far as availability allows, unhealthy pods first', () => {
    const d = deployment(10, 3, 2);
    // 13 pods in all, 8 must stay available; the new RS's 3 are not available yet.
    assert.deepEqual([...planOldScaleDown(d, [rs('old', 10, 10, 0)], rs('new', 3, 0, 10))], [['old', 8]]);
    // Old RS with 4 unavailable pods: those go first (they serve nothing), then one available.
    assert.deepEqual([...planOldScaleDown(d, [rs('old', 10, 6, 0)], rs('new', 3, 3, 10))], [['old', 5]]);
    // Cleaning up unavailable pods is bounded too: 13 pods, 8 needed, 3 new ones not yet available.
    assert.deepEqual([...planOldScaleDown(d, [rs('old', 10, 6, 0)], rs('new', 3, 0, 10))], [['old', 8]]);
    // Nothing can go while the new pods are unavailable and the minimum is reached.
    assert.deepEqual([...planOldScaleDown(d, [rs('old', 8, 8, 0)], rs('new', 5, 0, 10))], []);
    // Oldest first across several old RSs.
    assert.deepEqual(
      [...planOldScaleDown(d, [rs('b', 4, 4, 5), rs('a', 4, 4, 1)], rs('new', 5, 5, 10))],
      [
        ['a', 0],
        ['b', 3],
      ],
    );
  });

  it('shares a scale change out in proportion while several ReplicaSets are active', () => {
    // Kubernetes' documented example: 10 -> 15 replicas mid-rollout, old 8 and new 5 (max 13):
    // 3 of the 5 new replicas go to the old ReplicaSet, 2 to the new one.
    const d = deployment(15, 3, 2);
    const annotations = { [ANNOTATION_MAX_REPLICAS]: '13' };
    const plan = planProportionalScale(d, [rs('old', 8, 8, 0, annotations), rs('new', 5, 0, 10, annotations)]);
    assert.deepEqual(Object.fromEntries(plan), { old: 11, new: 7 });
    const down = planProportionalScale(deployment(5, 3, 2), [rs('old', 8, 8, 0, annotations), rs('new', 5, 0, 10, annotations)]);
    assert.equal(
      [...down.values()].reduce((a, b) => a + b, 0),
      8,
      'scaled down to replicas + maxSurge',
    );
  });

  it('finds the one active ReplicaSet, or the newest when none is', () => {
    assert.equal(findActiveOrLatest(rs('new', 0, 0, 10), [rs('old', 3, 3, 0)])!.metadata.name, 'old');
    assert.equal(findActiveOrLatest(undefined, [rs('a', 0, 0, 0), rs('b', 0, 0, 5)])!.metadata.name, 'b');
    assert.equal(findActiveOrLatest(rs('new', 2, 0, 10), [rs('old', 3, 3, 0)]), undefined);
  });
});

describe('controllers/pod-template-hash', () => {
  it('is FNV-1a 32', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it("spells the decimal sum in Kubernetes' SafeEncodeString alphabet", () => {
    // '0'..'9' are bytes 48..57, which map to alphabet positions 21..26 and 0..3.
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
    const h = computeTemplateHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } });
    assert.match(h, /^[456789bcdf]{1,10}$/);
  });

  it('is stable under key order and changes with the template', () => {
    const a = { metadata: { labels: { app: 'web', tier: 'x' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } };
    const b = { spec: { containers: [{ image: 'pause', name: 'c' }] }, metadata: { labels: { tier: 'x', app: 'web' } } };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(computeTemplateHash(a), computeTemplateHash(b));
    assert.notEqual(computeTemplateHash(a), computeTemplateHash({ ...a, spec: { containers: [{ name: 'c', image: 'http-echo' }] } }));
    assert.notEqual(computeTemplateHash(a), computeTemplateHash(a, 1), 'a collision count gives another name');
  });

  it('compares templates ignoring the pod-template-hash label', () => {
    const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } };
    const hashed = { metadata: { labels: { app: 'web', 'pod-template-hash': '5d4b9' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } };
    assert.ok(templatesEqualIgnoringHash(t, hashed));
    assert.ok(!templatesEqualIgnoringHash(t, { ...hashed, spec: { containers: [{ name: 'c', image: 'other' }] } }));
  });
});
