// The local volume provisioner and binder, as kind's local-path provisioner and Kubernetes' PV
// controller together: a Pending claim binds to an Available volume that fits it (its class, its
// access modes, enough capacity), or, when its StorageClass names this provisioner, to a new
// volume made for it: a directory <data-dir>/volumes/<pv-name>/ under the control plane's data
// dir, which every agent of this machine can reach. A claim of a WaitForFirstConsumer class waits
// for a pod that names it. A volume whose claim is gone is deleted with its directory (reclaim
// policy Delete, as kind's default class has), or Released when its policy is Retain. A claim
// deleted while a pod still uses it stays Terminating until no pod does (pvc-protection). At its
// first start the cluster gets a default class `standard` of this provisioner, as kind has.

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  ANNOTATION_DEFAULT_STORAGE_CLASS,
  ANNOTATION_PROVISIONED_BY,
  claimNamesOf,
  DEFAULT_STORAGE_CLASS,
  isPodTerminal,
  parseQuantity,
  type KObject,
  type Pod,
  type StorageClass,
  type Logger,
  type PersistentVolume,
  type PersistentVolumeClaim,
} from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { EventRecorder } from '../events.js';
import { StoreError, type Store, type StoreEvent, type Unsubscribe } from '../store/store.js';
import type { Controller, ControllerDeps, Enqueue, ReconcileResult } from './controller.js';

export const PROVISIONER_NAME = 'kip.dev/local-path';
/** Provisioner names this one answers to: its own, and kind's, so that kind's manifests bind here too. */
export const PROVISIONER_NAMES: ReadonlySet<string> = new Set([PROVISIONER_NAME, 'rancher.io/local-path']);
export const PROVISIONER_COMPONENT = 'persistentvolume-controller';
/** Where provisioned volumes live, under the control plane's data dir. */
export const VOLUMES_DIR = 'volumes';

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface VolumeProvisionerDeps extends ControllerDeps {
  /** The control plane's data dir; volumes are made under <dataDir>/volumes. */
  dataDir: string;
}

/** Bytes a claim asks for. */
function requested(claim: PersistentVolumeClaim): number {
  return parseQuantity(claim.spec.resources?.requests?.storage ?? 0) ?? 0;
}

/** Whether a volume can take a claim: same class, every mode the claim asks for, enough room. */
export function volumeFits(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  if ((pv.spec.storageClassName ?? '') !== (claim.spec.storageClassName ?? '')) return false;
  if (!(claim.spec.accessModes ?? []).every((m) => pv.spec.accessModes?.includes(m))) return false;
  return (parseQuantity(pv.spec.capacity?.storage ?? 0) ?? 0) >= requested(claim);
}

/** The smallest Available volume that fits the claim, as the PV controller picks. */
export function findVolumeFor(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[]): PersistentVolume | undefined {
  const size = (pv: PersistentVolume) => parseQuantity(pv.spec.capacity?.storage ?? 0) ?? 0;
  return volumes
    .filter((pv) => !pv.spec.claimRef && !pv.metadata.deletionTimestamp && volumeFits(pv, claim))
    .sort((a, b) => size(a) - size(b) || a.metadata.name.localeCompare(b.metadata.name))[0];
}

export class VolumeProvisioner implements Controller {
  readonly name = 'volume-provisioner';
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly volumesDir: string;

  constructor(deps: VolumeProvisionerDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.recorder = deps.recorder;
    this.log = deps.log.child('volume-provisioner');
    this.volumesDir = path.resolve(deps.dataDir, VOLUMES_DIR);
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    const onVolume = (ev: StoreEvent) => {
      const pv = ev.object as PersistentVolume;
      enqueue(`pv:${pv.metadata.name}`);
      // A volume that became Available may be what a Pending claim waits for.
      if (!pv.spec.claimRef) for (const c of this.pendingClaims()) enqueue(`pvc:${c.metadata.namespace}/${c.metadata.name}`);
    };
    const onClaim = (ev: StoreEvent) => {
      const c = ev.object as PersistentVolumeClaim;
      enqueue(`pvc:${c.metadata.namespace}/${c.metadata.name}`);
      if (c.spec.volumeName) enqueue(`pv:${c.spec.volumeName}`);
    };
    // A pod that names a claim may be its first consumer, or its last going away.
    const onPod = (ev: StoreEvent) => {
      for (const name of claimNamesOf(ev.object)) enqueue(`pvc:${ev.object.metadata.namespace}/${name}`);
    };
    const onClass = () => {
      for (const c of this.pendingClaims()) enqueue(`pvc:${c.metadata.namespace}/${c.metadata.name}`);
    };
    return [
      this.store.watch({ kind: 'PersistentVolumeClaim' }, onClaim),
      this.store.watch({ kind: 'PersistentVolume' }, onVolume),
      this.store.watch({ kind: 'Pod' }, onPod),
      this.store.watch({ kind: 'StorageClass' }, onClass),
    ];
  }

  /** Makes the default class `standard` when there is no class of that name, as kind ships one. */
  ensureDefaultClass(): void {
    if (this.store.get('StorageClass', undefined, DEFAULT_STORAGE_CLASS)) return;
    const sc: StorageClass = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { [ANNOTATION_DEFAULT_STORAGE_CLASS]: 'true' } },
      provisioner: PROVISIONER_NAME,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    };
    try {
      this.registry.create(sc);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  resyncKeys(): string[] {
    return [
      ...this.store.list<PersistentVolumeClaim>('PersistentVolumeClaim').items.map((c) => `pvc:${c.metadata.namespace}/${c.metadata.name}`),
      ...this.store.list<PersistentVolume>('PersistentVolume').items.map((pv) => `pv:${pv.metadata.name}`),
    ];
  }

  private pendingClaims(): PersistentVolumeClaim[] {
    return this.store.list<PersistentVolumeClaim>('PersistentVolumeClaim', { filter: (o) => (o as PersistentVolumeClaim).status?.phase !== 'Bound' }).items;
  }

  reconcile(key: string): ReconcileResult {
    if (key.startsWith('pv:')) return this.syncVolume(key.slice(3));
    const [namespace, name] = key.slice(4).split('/') as [string, string];
    const claim = this.store.get<PersistentVolumeClaim>('PersistentVolumeClaim', namespace, name);
    if (!claim) return;
    if (claim.metadata.deletionTimestamp) this.finalizeClaim(claim);
    else this.syncClaim(claim);
  }

  /** A claim being deleted goes once no pod uses it (what the pvc-protection finalizer waits for). */
  private finalizeClaim(claim: PersistentVolumeClaim): void {
    if (this.hasConsumer(claim)) return; // the pod's end enqueues the claim again
    try {
      this.store.delete('PersistentVolumeClaim', claim.metadata.namespace, claim.metadata.name, { uid: claim.metadata.uid });
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
    }
  }

  private syncClaim(claim: PersistentVolumeClaim): void {
    if (claim.status?.phase === 'Bound' && claim.spec.volumeName) {
      const pv = this.store.get<PersistentVolume>('PersistentVolume', undefined, claim.spec.volumeName);
      if (pv && pv.spec.claimRef?.uid === claim.metadata.uid) return;
      if (!pv) {
        // Its volume is gone: the claim is Lost, as Kubernetes marks it.
        this.writeClaimStatus(claim, { ...claim.status, phase: 'Lost' });
        this.event(claim, 'Warning', 'ClaimLost', `Bound claim has lost its PersistentVolume. Data on the volume is lost!`);
        return;
      }
    }
    let pv: PersistentVolume | undefined;
    if (claim.spec.volumeName) {
      pv = this.store.get<PersistentVolume>('PersistentVolume', undefined, claim.spec.volumeName);
      if (!pv || (pv.spec.claimRef && pv.spec.claimRef.uid !== claim.metadata.uid)) return; // waits for its named volume
    } else {
      pv = findVolumeFor(claim, this.store.list<PersistentVolume>('PersistentVolume').items);
    }
    const className = claim.spec.storageClassName ?? '';
    const cls = className ? this.store.get<StorageClass>('StorageClass', undefined, className) : undefined;
    if (cls?.volumeBindingMode === 'WaitForFirstConsumer' && !claim.spec.volumeName && !this.hasConsumer(claim)) {
      this.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    if (!pv) {
      if (!className) return this.event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      if (!cls) return this.event(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      if (!PROVISIONER_NAMES.has(cls.provisioner)) {
        // A static class (kubernetes.io/no-provisioner) or someone else's: a volume made by hand binds when it comes.
        return this.event(
          claim,
          'Normal',
          'ExternalProvisioning',
          `Waiting for a volume to be created either by the external provisioner '${cls.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
        );
      }
      pv = this.provision(claim, cls);
    }
    this.bind(claim, pv);
  }

  /** Whether a pod that is not finished names the claim (a pod on its way out still uses it). */
  private hasConsumer(claim: PersistentVolumeClaim): boolean {
    const name = claim.metadata.name;
    const filter = (o: KObject) => !isPodTerminal(o as Pod) && claimNamesOf(o).includes(name);
    return this.store.list<Pod>('Pod', { namespace: claim.metadata.namespace, filter }).items.length > 0;
  }

  /** Makes the claim's directory and its volume, already pointing at the claim. */
  private provision(claim: PersistentVolumeClaim, cls: StorageClass): PersistentVolume {
    const name = `pvc-${claim.metadata.uid}`;
    const dir = path.join(this.volumesDir, name);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o777 });
    } catch (err) {
      this.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${cls.metadata.name}": ${errorMessage(err)}`);
      throw err;
    }
    const pv: PersistentVolume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [ANNOTATION_PROVISIONED_BY]: cls.provisioner } },
      spec: {
        capacity: { storage: String(claim.spec.resources?.requests?.storage ?? '0') },
        accessModes: [...(claim.spec.accessModes ?? [])],
        persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
        storageClassName: cls.metadata.name,
        ...(cls.mountOptions?.length ? { mountOptions: [...cls.mountOptions] } : {}),
        volumeMode: 'Filesystem',
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
        claimRef: this.refTo(claim),
      },
    };
    let created: PersistentVolume;
    try {
      created = this.registry.create<PersistentVolume>(pv);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      created = this.store.get<PersistentVolume>('PersistentVolume', undefined, name)!;
    }
    this.log.info('provisioned volume', { claim: `${claim.metadata.namespace}/${claim.metadata.name}`, volume: name, path: dir });
    this.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
    return created;
  }

  private refTo(claim: PersistentVolumeClaim): NonNullable<PersistentVolume['spec']['claimRef']> {
    return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid };
  }

  /** Volume first (claimRef, Bound), then the claim (volumeName, then status Bound), as the PV controller orders it. */
  private bind(claim: PersistentVolumeClaim, pv: PersistentVolume): void {
    if (pv.spec.claimRef?.uid !== claim.metadata.uid) {
      const next = structuredClone(pv);
      next.spec.claimRef = this.refTo(claim);
      pv = this.registry.update<PersistentVolume>(next);
    }
    if (pv.status?.phase !== 'Bound') {
      const next = structuredClone(pv);
      next.status = { phase: 'Bound' };
      this.registry.updateStatus(next);
    }
    let stored = claim;
    if (claim.spec.volumeName !== pv.metadata.name) {
      const next = structuredClone(claim);
      next.spec.volumeName = pv.metadata.name;
      stored = this.registry.update<PersistentVolumeClaim>(next);
    }
    this.writeClaimStatus(stored, { phase: 'Bound', accessModes: [...(pv.spec.accessModes ?? [])], capacity: { ...(pv.spec.capacity ?? {}) } });
  }

  private writeClaimStatus(claim: PersistentVolumeClaim, status: NonNullable<PersistentVolumeClaim['status']>): void {
    if (JSON.stringify(claim.status) === JSON.stringify(status)) return;
    const next = structuredClone(claim);
    next.status = status;
    this.registry.updateStatus(next);
  }

  private syncVolume(name: string): void {
    const pv = this.store.get<PersistentVolume>('PersistentVolume', undefined, name);
    if (!pv || pv.metadata.deletionTimestamp) return;
    const ref = pv.spec.claimRef;
    if (!ref) {
      if (pv.status?.phase !== 'Available') this.writeVolumePhase(pv, 'Available');
      return;
    }
    const claim = this.store.get<PersistentVolumeClaim>('PersistentVolumeClaim', ref.namespace, ref.name);
    if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) return; // bound, or being bound by the claim's sync
    // Its claim is gone: reclaim.
    if (pv.spec.persistentVolumeReclaimPolicy === 'Delete') {
      this.registry.delete('PersistentVolume', undefined, name, { preconditions: { uid: pv.metadata.uid } });
      if (PROVISIONER_NAMES.has(pv.metadata.annotations?.[ANNOTATION_PROVISIONED_BY] ?? '')) {
        const dir = pv.spec.hostPath?.path;
        // Only ever a directory this provisioner made, under its own volumes dir.
        if (dir && path.dirname(dir) === this.volumesDir) rmSync(dir, { recursive: true, force: true });
      }
      this.log.info('deleted volume of a deleted claim', { volume: name, claim: `${ref.namespace}/${ref.name}` });
      return;
    }
    if (pv.status?.phase !== 'Released') this.writeVolumePhase(pv, 'Released');
  }

  private writeVolumePhase(pv: PersistentVolume, phase: NonNullable<PersistentVolume['status']>['phase']): void {
    const next = structuredClone(pv);
    next.status = { phase };
    this.registry.updateStatus(next);
  }

  private event(claim: PersistentVolumeClaim, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.record(claim, type, reason, message, { component: PROVISIONER_COMPONENT });
  }
}
