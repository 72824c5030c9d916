import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@kip/shared';
import { defaultStorageClass, VolumeProvisioner } from '@kip/controlplane';
import { create, get, makeEnv, messages, NS, type Env } from './fixtures.js';

function newClaim(name: string, spec: Partial<PersistentVolumeClaim['spec']> = {}): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  };
}

function newClass(name: string, provisioner: string): StorageClass {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner };
}

function newVolume(name: string, storage: string, storageClassName = 'manual'): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], storageClassName, hostPath: { path: `/tmp/${name}` } },
  };
}

describe('controllers/volume-provisioner', () => {
  let dataDir: string;
  let env: Env;
  let vp: VolumeProvisioner;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-pv-'));
    env = makeEnv();
    vp = new VolumeProvisioner({ ...env.deps, dataDir });
    // As the control plane starts it: the default class, and the admission that gives it to claims.
    env.registry.addAdmission(defaultStorageClass(env.store));
    vp.ensureDefaultClass();
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const claimNamed = (name: string) => get<PersistentVolumeClaim>(env, 'PersistentVolumeClaim', name)!;
  const volumeNamed = (name: string) => env.store.get<PersistentVolume>('PersistentVolume', undefined, name);

  it('provisions a directory under the data dir for a claim of the default class, and binds both ways', () => {
    const c = create(env, newClaim('www-web-0'));
    assert.equal(c.spec.storageClassName, 'standard', 'the default class, given by admission');
    assert.equal(c.status?.phase, 'Pending');
    vp.reconcile(`pvc:${NS}/www-web-0`);
    const bound = claimNamed('www-web-0');
    assert.equal(bound.spec.volumeName, `pvc-${c.metadata.uid}`);
    assert.deepEqual(bound.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    const pv = volumeNamed(bound.spec.volumeName!)!;
    assert.equal(pv.status?.phase, 'Bound');
    assert.deepEqual(pv.spec.claimRef, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name: 'www-web-0', uid: c.metadata.uid });
    assert.equal(pv.spec.hostPath?.path, path.join(dataDir, 'volumes', pv.metadata.name));
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(pv.spec.storageClassName, 'standard');
    assert.ok(existsSync(pv.spec.hostPath!.path));
    assert.deepEqual(messages(env, 'ProvisioningSucceeded'), [`Successfully provisioned volume ${pv.metadata.name}`]);
    const rv = env.store.resourceVersion();
    vp.reconcile(`pvc:${NS}/www-web-0`);
    vp.reconcile(`pv:${pv.metadata.name}`);
    assert.equal(env.store.resourceVersion(), rv, 'a bound pair writes nothing');
  });

  it('binds a claim to the smallest Available volume of its class that fits', () => {
    for (const [name, size] of [
      ['small', '500Mi'],
      ['big', '10Gi'],
      ['right', '2Gi'],
    ] as const)
      create(env, newVolume(name, size));
    vp.reconcile('pv:small');
    assert.equal(volumeNamed('small')?.status?.phase, 'Available');
    create(env, newClaim('data', { storageClassName: 'manual' }));
    vp.reconcile(`pvc:${NS}/data`);
    assert.equal(claimNamed('data').spec.volumeName, 'right');
    assert.equal(volumeNamed('right')?.status?.phase, 'Bound');
    assert.equal(env.store.list('PersistentVolume').items.length, 3, 'nothing provisioned');
  });

  it('leaves a claim of a class nobody provisions Pending, and says why', () => {
    create(env, newClaim('slow', { storageClassName: 'slow' }));
    vp.reconcile(`pvc:${NS}/slow`);
    assert.equal(claimNamed('slow').status?.phase, 'Pending');
    assert.deepEqual(messages(env, 'ProvisioningFailed'), ['storageclass.storage.k8s.io "slow" not found']);
  });

  it('deletes a provisioned volume and its directory once its claim is gone, and releases a retained one', () => {
    create(env, newClaim('gone'));
    vp.reconcile(`pvc:${NS}/gone`);
    const pvName = claimNamed('gone').spec.volumeName!;
    const dir = volumeNamed(pvName)!.spec.hostPath!.path;
    env.registry.delete('PersistentVolumeClaim', NS, 'gone');
    vp.reconcile(`pvc:${NS}/gone`);
    vp.reconcile(`pv:${pvName}`);
    assert.equal(volumeNamed(pvName), undefined);
    assert.equal(existsSync(dir), false);

    create(env, newVolume('kept', '1Gi'));
    create(env, newClaim('user', { storageClassName: 'manual' }));
    vp.reconcile(`pvc:${NS}/user`);
    env.registry.delete('PersistentVolumeClaim', NS, 'user');
    vp.reconcile(`pvc:${NS}/user`);
    vp.reconcile('pv:kept');
    assert.equal(volumeNamed('kept')?.status?.phase, 'Released');
  });

  it('makes the default class once, and gives the newest default class to claims that name none', () => {
    const sc = env.store.get<StorageClass>('StorageClass', undefined, 'standard')!;
    assert.equal(sc.provisioner, 'kip.dev/local-path');
    assert.equal(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
    vp.ensureDefaultClass();
    assert.equal(env.store.list('StorageClass').items.length, 1);
    env.clock.advance(2000);
    create(env, {
      ...newClass('fast', 'rancher.io/local-path'),
      metadata: { name: 'fast', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    });
    assert.equal(create(env, newClaim('a')).spec.storageClassName, 'fast');
    assert.equal(create(env, newClaim('b', { storageClassName: '' })).spec.storageClassName, '', 'no class is a choice');
    // kind's provisioner name is this provisioner too.
    vp.reconcile(`pvc:${NS}/a`);
    assert.equal(claimNamed('a').status?.phase, 'Bound');
  });

  it('binds a claim of a WaitForFirstConsumer class once a pod names it', () => {
    create(env, { ...newClass('wait', 'kip.dev/local-path'), volumeBindingMode: 'WaitForFirstConsumer' });
    create(env, newClaim('later', { storageClassName: 'wait' }));
    vp.reconcile(`pvc:${NS}/later`);
    assert.equal(claimNamed('later').status?.phase, 'Pending');
    assert.deepEqual(messages(env, 'WaitForFirstConsumer'), ['waiting for first consumer to be created before binding']);
    create(env, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user', namespace: NS },
      spec: { containers: [{ name: 'c', image: 'pause' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'later' } }] },
    } as unknown as Pod);
    vp.reconcile(`pvc:${NS}/later`);
    assert.equal(claimNamed('later').status?.phase, 'Bound');
  });

  it('leaves a claim of another provisioner to it, and binds a volume made by hand', () => {
    create(env, newClass('local', 'kubernetes.io/no-provisioner'));
    create(env, newClaim('static', { storageClassName: 'local' }));
    vp.reconcile(`pvc:${NS}/static`);
    assert.equal(claimNamed('static').status?.phase, 'Pending');
    assert.match(
      messages(env, 'ExternalProvisioning')[0] ?? '',
      /^Waiting for a volume to be created either by the external provisioner 'kubernetes.io\/no-provisioner'/,
    );
    create(env, newVolume('disk-1', '5Gi', 'local'));
    vp.reconcile(`pvc:${NS}/static`);
    assert.equal(claimNamed('static').spec.volumeName, 'disk-1');
  });

  it('keeps a deleted claim, Terminating, while a pod uses it, and its volume and directory with it', () => {
    create(env, newClaim('busy'));
    vp.reconcile(`pvc:${NS}/busy`);
    const pv = volumeNamed(claimNamed('busy').spec.volumeName!)!;
    const user = create(env, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'user', namespace: NS },
      spec: { containers: [{ name: 'c', image: 'pause' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'busy' } }] },
    } as unknown as Pod);
    env.registry.delete('PersistentVolumeClaim', NS, 'busy');
    vp.reconcile(`pvc:${NS}/busy`);
    vp.reconcile(`pv:${pv.metadata.name}`);
    assert.ok(claimNamed('busy').metadata.deletionTimestamp, 'Terminating');
    assert.ok(existsSync(pv.spec.hostPath!.path), 'the directory stays under the running pod');
    env.registry.delete('Pod', NS, user.metadata.name);
    vp.reconcile(`pvc:${NS}/busy`);
    assert.equal(get(env, 'PersistentVolumeClaim', 'busy'), undefined);
    vp.reconcile(`pv:${pv.metadata.name}`);
    assert.equal(existsSync(pv.spec.hostPath!.path), false);
  });

  it('refuses a volume that is no directory, and a claim without a size', () => {
    const badPv = newVolume('nfs', '1Gi') as PersistentVolume & { spec: { hostPath?: unknown } };
    delete badPv.spec.hostPath;
    assert.throws(() => env.registry.create(badPv), /spec: Required value: must specify a volume type/);
    const badClaim = newClaim('c');
    badClaim.spec.resources = {};
    badClaim.spec.accessModes = [];
    assert.throws(
      () => env.registry.create(badClaim),
      (err: Error) => /spec\.accessModes: Required value/.test(err.message) && /spec\.resources\.requests\.storage: Required value/.test(err.message),
    );
  });
});
