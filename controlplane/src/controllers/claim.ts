// Claiming dependents, as Kubernetes' ControllerRefManager does it: an owner controls the objects
// whose controller ownerReference carries its uid. It adopts orphans its selector matches (adds
// itself as controller), and releases those it controls but no longer selects (removes its
// reference), so relabelling a pod takes it out of its ReplicaSet, and a ReplicaSet left behind
// by a deleted-with-orphan Deployment is taken back by a new Deployment with the same selector.

import { controllerOf, fromLabelSelector, keyOf, matches, ownerReferenceTo, type KObject, type LabelSelector, type Selector } from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { Store, StoreEvent } from '../store/store.js';
import type { Enqueue } from './controller.js';

/**
 * Which owners a change of a dependent concerns (controller-runtime's EnqueueRequestForOwner, plus
 * adoption): its controller of `ownerKind` before and after the change, or, for a live orphan
 * that `adoptable` accepts, every owner whose selector matches it, since one of them may claim it.
 */
export function enqueueOwners(
  store: Store,
  ev: StoreEvent<KObject>,
  ownerKind: 'Deployment' | 'ReplicaSet' | 'DaemonSet' | 'StatefulSet' | 'Job',
  enqueue: Enqueue,
  adoptable: (o: KObject) => boolean = () => true,
): void {
  const obj = ev.object;
  const ns = obj.metadata.namespace;
  const ref = controllerOf(obj);
  const oldRef = ev.oldObject ? controllerOf(ev.oldObject) : undefined;
  if (ref?.kind === ownerKind) enqueue(`${ns}/${ref.name}`);
  if (oldRef?.kind === ownerKind && oldRef.uid !== ref?.uid) enqueue(`${ns}/${oldRef.name}`);
  if (ref || ev.type === 'DELETED' || !adoptable(obj)) return;
  for (const owner of store.list<KObject & { spec: { selector: LabelSelector } }>(ownerKind, { namespace: ns }).items) {
    const sel = fromLabelSelector(owner.spec.selector);
    if (sel.length > 0 && matches(sel, obj.metadata.labels)) enqueue(keyOf(owner));
  }
}

export interface ClaimOutcome<T extends KObject> {
  /** The objects the owner controls after claiming, as stored now. */
  claimed: T[];
  adopted: string[];
  released: string[];
}

/**
 * Claims from candidates (objects of one kind in the owner's namespace). Writes go through the
 * registry with the candidate's resourceVersion, so a concurrent change makes the write fail and
 * the reconcile retry, instead of overwriting what it did not see.
 */
export function claimObjects<T extends KObject>(
  registry: Registry,
  owner: KObject,
  selector: Selector,
  candidates: readonly T[],
  isActive: (o: T) => boolean = () => true,
): ClaimOutcome<T> {
  const out: ClaimOutcome<T> = { claimed: [], adopted: [], released: [] };
  const ownerUid = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  for (const c of candidates) {
    if (!isActive(c)) continue;
    const ref = controllerOf(c);
    const selected = selector.length > 0 && matches(selector, c.metadata.labels);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (selected) {
        out.claimed.push(c);
        continue;
      }
      // An object on its way out is left alone; releasing it would only make someone adopt it.
      if (c.metadata.deletionTimestamp || ownerDeleting) continue;
      if (writeRefs(registry, c, (refs) => refs.filter((r) => r.uid !== ownerUid))) out.released.push(c.metadata.name);
      continue;
    }
    if (!selected || ownerDeleting || c.metadata.deletionTimestamp) continue;
    const adopted = writeRefs(registry, c, (refs) => [...refs, ownerReferenceTo(owner)]);
    if (adopted) {
      out.claimed.push(adopted);
      out.adopted.push(c.metadata.name);
    }
  }
  return out;
}

/** Rewrites an object's ownerReferences; returns the stored object, or undefined if it is gone. */
function writeRefs<T extends KObject>(
  registry: Registry,
  obj: T,
  change: (refs: NonNullable<KObject['metadata']['ownerReferences']>) => NonNullable<KObject['metadata']['ownerReferences']>,
): T | undefined {
  const next = structuredClone(obj) as T;
  const refs = change(obj.metadata.ownerReferences ?? []);
  if (refs.length > 0) next.metadata.ownerReferences = refs;
  else delete next.metadata.ownerReferences;
  try {
    return registry.update<T>(next);
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'NotFound') return undefined;
    throw err;
  }
}
