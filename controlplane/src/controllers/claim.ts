// Claiming dependents, as Kubernetes' ControllerRefManager does it: an owner controls the objects
// whose controller ownerReference carries its uid. It adopts orphans its selector matches (adds
// itself as controller), and releases those it controls but no longer selects (removes its
// reference), so relabelling a pod takes it out of its ReplicaSet, and a ReplicaSet left behind
// by a deleted-with-orphan Deployment is taken back by a new Deployment with the same selector.

import { controllerOf, matches, ownerReferenceTo, type KObject, type Selector } from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';

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
export function claimObjects<T extends KObject>(registry: Registry, owner: KObject, selector: Selector, candidates: readonly T[], isActive: (o: T) => boolean = () => true): ClaimOutcome<T> {
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
function writeRefs<T extends KObject>(registry: Registry, obj: T, change: (refs: NonNullable<KObject['metadata']['ownerReferences']>) => NonNullable<KObject['metadata']['ownerReferences']>): T | undefined {
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
