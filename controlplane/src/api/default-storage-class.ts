// DefaultStorageClass admission, as the API server's plugin of that name: a claim made without
// `storageClassName` gets the default StorageClass's name (the one annotated
// storageclass.kubernetes.io/is-default-class, the newest if several are). An empty name ("")
// is a choice, no class: such a claim binds only to a volume without one.

import { isDefaultClass, type PersistentVolumeClaim, type StorageClass } from '@kip/shared';
import type { Store } from '../store/store.js';
import type { AdmissionHook } from './registry.js';

export function defaultStorageClass(store: Store): AdmissionHook {
  return (op, obj) => {
    if (op !== 'create' || obj.kind !== 'PersistentVolumeClaim') return;
    const claim = obj as PersistentVolumeClaim;
    if (claim.spec.storageClassName !== undefined) return;
    const defaults = store
      .list<StorageClass>('StorageClass')
      .items.filter(isDefaultClass)
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
    if (defaults[0]) claim.spec.storageClassName = defaults[0].metadata.name;
  };
}
