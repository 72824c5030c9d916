import assert from 'node:assert/strict';
import type { PersistentVolumeClaim, Pod } from '@kip/shared';
import { ClusterEvents, CycleState, ERR_REASON_UNBOUND_IMMEDIATE, SchedulerCache, VolumeBinding } from '@kip/controlplane';
import { makePod } from './fixtures.js';

function claim(name: string, phase: 'Pending' | 'Bound', extra: Partial<PersistentVolumeClaim['metadata']> = {}): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default', ...extra },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(phase === 'Bound' ? { volumeName: `pv-${name}` } : {}) },
    status: { phase },
  };
}

function withClaims(pod: Pod, names: string[]): Pod {
  (pod.spec as { volumes?: unknown[] }).volumes = [
    { name: 'scratch', emptyDir: {} },
    ...names.map((n, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: n } })),
  ];
  return pod;
}

/** The scheduler's own cache, holding the claims, as the plugin reads it in a real cycle. */
function state(claims: PersistentVolumeClaim[]): CycleState {
  const cache = new SchedulerCache();
  for (const c of claims) cache.upsertClaim(c);
  return new CycleState(cache);
}

describe('scheduler plugin VolumeBinding', () => {
  const cases: { name: string; claims: PersistentVolumeClaim[]; uses: string[]; want: string | 'Skip' }[] = [
    { name: 'a pod without claims is not its business', claims: [], uses: [], want: 'Skip' },
    { name: 'bound claims pass', claims: [claim('a', 'Bound'), claim('b', 'Bound')], uses: ['a', 'b'], want: 'Skip' },
    { name: 'one unbound claim holds the pod', claims: [claim('a', 'Bound'), claim('b', 'Pending')], uses: ['a', 'b'], want: ERR_REASON_UNBOUND_IMMEDIATE },
    { name: 'a missing claim is named', claims: [claim('a', 'Bound')], uses: ['a', 'gone'], want: 'persistentvolumeclaim "gone" not found' },
    {
      name: 'a claim being deleted is named',
      claims: [claim('a', 'Bound', { deletionTimestamp: '2026-01-01T00:00:00Z' })],
      uses: ['a'],
      want: 'persistentvolumeclaim "a" is being deleted',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = VolumeBinding.preFilter!(withClaims(makePod('p'), c.uses), state(c.claims));
      if (c.want === 'Skip') assert.equal(s.code, 'Skip');
      else assert.deepEqual({ code: s.code, reasons: [...s.reasons] }, { code: 'Unschedulable', reasons: [c.want] });
    });
  }

  it('lets a claim of a WaitForFirstConsumer class through unbound: it binds once the pod names it', () => {
    const cache = new SchedulerCache();
    cache.upsertStorageClass({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'wait' },
      provisioner: 'x',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    const c = claim('a', 'Pending');
    c.spec.storageClassName = 'wait';
    cache.upsertClaim(c);
    assert.equal(VolumeBinding.preFilter!(withClaims(makePod('p'), ['a']), new CycleState(cache)).code, 'Skip');
  });

  it('looks claims up in the pod namespace', () => {
    const other = claim('a', 'Bound', { namespace: 'shop' });
    const s = VolumeBinding.preFilter!(withClaims(makePod('p'), ['a']), state([other]));
    assert.deepEqual([...s.reasons], ['persistentvolumeclaim "a" not found']);
  });

  it('lets the pod through when run without claims to look at (tests, tools)', () => {
    assert.equal(VolumeBinding.preFilter!(withClaims(makePod('p'), ['a']), new CycleState()).code, 'Skip');
  });

  it('retries a held pod when a claim changes', () => {
    assert.deepEqual([...VolumeBinding.events], [ClusterEvents.PvcChange]);
  });
});
