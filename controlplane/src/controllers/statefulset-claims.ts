// Who owns a StatefulSet's claims, by its persistentVolumeClaimRetentionPolicy, as Kubernetes'
// StatefulSetAutoDeletePVC does it through the garbage collector: with `whenDeleted: Delete` the
// set owns each claim, so the claims go with the set; with `whenScaled: Delete` a pod whose
// ordinal was scaled away owns its claims, so they go with that pod. Retain (the default) leaves
// claims without these owners, and they outlive both.

import type { KObject, OwnerReference, PersistentVolumeClaim, Pod, StatefulSet } from '@kip/shared';

/** A reference that lets the garbage collector delete the claim with its owner, without making the owner its controller. */
function ownerRef(owner: KObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid!, blockOwnerDeletion: true };
}

/**
 * The ownerReferences a claim should carry: those it has from elsewhere, plus the set's and the
 * pod's as the policy says. `condemned`: the pod's ordinal is outside the set's range (scaled away).
 */
export function claimOwnerReferences(set: StatefulSet, claim: PersistentVolumeClaim, pod: Pod | undefined, condemned: boolean): OwnerReference[] {
  const policy = set.spec.persistentVolumeClaimRetentionPolicy;
  const ours = (r: OwnerReference) => r.uid === set.metadata.uid || (r.kind === 'Pod' && r.name === pod?.metadata.name);
  const refs = (claim.metadata.ownerReferences ?? []).filter((r) => !ours(r));
  if (policy?.whenDeleted === 'Delete') refs.push(ownerRef(set));
  if (policy?.whenScaled === 'Delete' && condemned && pod?.metadata.uid) refs.push(ownerRef(pod));
  return refs;
}

export function sameReferences(a: readonly OwnerReference[] | undefined, b: readonly OwnerReference[]): boolean {
  const key = (refs: readonly OwnerReference[]) =>
    refs
      .map((r) => `${r.kind}/${r.name}/${r.uid}/${r.controller === true}`)
      .sort()
      .join(',');
  return key(a ?? []) === key(b);
}
