// VolumeBinding: a pod that mounts PersistentVolumeClaims waits until every one exists and its
// Immediate claims are bound to a volume, in kube-scheduler's words. A claim of a
// WaitForFirstConsumer class is bound once a pod names it, and kip's volumes are directories every
// node of the machine reaches, so such a claim holds no node back: the pod is placed and its
// kubelet waits for the binding, as kube-scheduler's PreBind does. The rejection covers every node
// at once, so it is a preFilter; a claim added or bound retries the pod.

import { claimNamesOf, type Pod } from '@kip/shared';
import { ClusterEvents, SKIP, SUCCESS, unresolvable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export const VOLUME_BINDING = 'VolumeBinding';
export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const errReasonClaimNotFound = (name: string) => `persistentvolumeclaim "${name}" not found`;
export const errReasonClaimDeleting = (name: string) => `persistentvolumeclaim "${name}" is being deleted`;

export const VolumeBinding: FilterPlugin = {
  name: VOLUME_BINDING,
  events: [ClusterEvents.PvcChange],
  preFilter(pod: Pod, state: CycleState): Status {
    const names = claimNamesOf(pod);
    if (names.length === 0) return SKIP;
    const lookup = state.snapshot?.claim;
    // Run on its own (tests, tools), the plugin has no claims to look at and lets the pod through.
    if (!lookup) return SKIP;
    const namespace = pod.metadata.namespace ?? 'default';
    let unbound = false;
    for (const name of names) {
      const claim = lookup.call(state.snapshot, namespace, name);
      if (!claim) return unresolvable(errReasonClaimNotFound(name));
      if (claim.metadata.deletionTimestamp) return unresolvable(errReasonClaimDeleting(name));
      if (claim.status?.phase === 'Bound' && claim.spec.volumeName) continue;
      const cls = claim.spec.storageClassName ? state.snapshot?.storageClass?.call(state.snapshot, claim.spec.storageClassName) : undefined;
      if (cls?.volumeBindingMode !== 'WaitForFirstConsumer') unbound = true;
    }
    return unbound ? unresolvable(ERR_REASON_UNBOUND_IMMEDIATE) : SKIP;
  },
  filter(_pod: Pod, _nodeInfo: NodeInfo, _state: CycleState): Status {
    return SUCCESS;
  },
};
