// What the kubelet needs of claims and volumes: the claims a pod names and the host directory a
// bound volume is. Apart from pvc.ts and pv.ts, whose schemas and table entries the agent has no
// use for, so that it does not load them.

import { isObj } from '../validation/errors.js';
import type { PersistentVolume } from './pv.js';

/**
 * The claims a pod's volumes name (`volumes[].persistentVolumeClaim.claimName`). Read without the
 * pod's type: the pod volume schema lives in pod-spec.ts, and this is all that claims need of it.
 */
export function claimNamesOf(pod: object): string[] {
  const spec = (pod as { spec?: unknown }).spec;
  const volumes = isObj(spec) && Array.isArray(spec.volumes) ? spec.volumes : [];
  const out: string[] = [];
  for (const v of volumes) {
    const pvc = isObj(v) && isObj(v.persistentVolumeClaim) ? v.persistentVolumeClaim : undefined;
    if (typeof pvc?.claimName === 'string' && pvc.claimName) out.push(pvc.claimName);
  }
  return out;
}

/** The host directory a volume is, or undefined for a volume kip cannot mount. */
export function volumeHostPath(pv: PersistentVolume): string | undefined {
  return pv.spec.hostPath?.path ?? pv.spec.local?.path;
}
