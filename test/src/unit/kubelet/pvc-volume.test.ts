import assert from 'node:assert/strict';
import { claimDirectory, ClaimVolumeError } from '@kip/agent';
import type { PersistentVolume, PersistentVolumeClaim } from '@kip/shared';

const claim = (bound: boolean): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'www-web-0', namespace: 'default', uid: 'claim-uid' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(bound ? { volumeName: 'pvc-1' } : {}) },
  status: { phase: bound ? 'Bound' : 'Pending' },
});

const volume = (spec: Partial<PersistentVolume['spec']>, claimUid = 'claim-uid'): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: 'pvc-1' },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    claimRef: { kind: 'PersistentVolumeClaim', name: 'www-web-0', uid: claimUid },
    ...spec,
  },
});

describe('kubelet/pvc-volume', () => {
  it('gives the hostPath or local path of the bound volume', () => {
    assert.equal(claimDirectory(claim(true), volume({ hostPath: { path: '/data/volumes/pvc-1' } })), '/data/volumes/pvc-1');
    assert.equal(claimDirectory(claim(true), volume({ local: { path: '/mnt/disk' } })), '/mnt/disk');
  });

  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ClaimVolumeError);
      return `${err.code}: ${err.message}`;
    }
    return 'no error';
  };

  it('refuses an unbound claim, a missing volume, a volume bound elsewhere, and one that is no directory', () => {
    assert.equal(
      code(() => claimDirectory(claim(false), undefined)),
      'ClaimNotBound: error processing PVC default/www-web-0: PVC is not bound',
    );
    assert.equal(
      code(() => claimDirectory(claim(true), undefined)),
      'VolumeNotFound: error processing PVC default/www-web-0: persistentvolume "pvc-1" not found',
    );
    assert.match(
      code(() => claimDirectory(claim(true), volume({ hostPath: { path: '/x' } }, 'other'))),
      /^ClaimNotBound: .*bound to another claim$/,
    );
    assert.match(
      code(() => claimDirectory(claim(true), volume({}))),
      /^VolumeNotMountable: /,
    );
  });
});
