// Which volume objects a node may read, as Kubernetes' Node authorizer decides it from its graph:
// a PersistentVolumeClaim that a pod on a node names, and the PersistentVolume bound to such a
// claim. kip's join token is one for every agent, so "a pod on a node" stands for "its pods";
// still, a node reads nothing that no scheduled pod needs to mount.

import { claimNamesOf, type PersistentVolume, type Pod } from '@kip/shared';
import type { Store } from '../store/store.js';

function claimUsedByScheduledPod(store: Store, namespace: string, name: string): boolean {
  return store.list<Pod>('Pod', { namespace, filter: (o) => !!(o as Pod).spec.nodeName && claimNamesOf(o).includes(name) }).items.length > 0;
}

/** Whether a node may get this one object (by name: never a list). */
export function nodeMayReadVolume(store: Store, kind: string, namespace: string | undefined, name: string): boolean {
  if (kind === 'PersistentVolumeClaim') return !!namespace && claimUsedByScheduledPod(store, namespace, name);
  if (kind !== 'PersistentVolume') return false;
  const ref = store.get<PersistentVolume>('PersistentVolume', undefined, name)?.spec.claimRef;
  return !!ref?.namespace && claimUsedByScheduledPod(store, ref.namespace, ref.name);
}
