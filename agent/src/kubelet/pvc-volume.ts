// The host directory behind a pod's `persistentVolumeClaim` volume: the claim names its volume
// (spec.volumeName, once Bound), and the volume its directory (`hostPath.path` or `local.path`),
// which the control plane's provisioner made under its data dir, where every agent of the
// machine reaches it. The agent reads both with its join token; the API lets a node read only
// the claims its pods name and their volumes (Kubernetes' Node authorizer).

import { mkdirSync, statSync } from 'node:fs';
import { ApiStatusError, claimNamesOf, volumeHostPath, type ApiClient, type PersistentVolume, type PersistentVolumeClaim, type Pod } from '@kip/shared';

/** Why a claim gives no directory yet; `code` is stable, the message says what to do. */
export class ClaimVolumeError extends Error {
  constructor(
    readonly code: 'ClaimNotFound' | 'ClaimNotBound' | 'VolumeNotFound' | 'VolumeNotMountable' | 'VolumeMissing',
    message: string,
  ) {
    super(message);
    this.name = 'ClaimVolumeError';
  }
}

/**
 * The directory of a claim bound to a volume, from the two objects: pure, so the rules (bound to
 * this volume, and the volume bound back to this claim) are tested without an API.
 */
export function claimDirectory(claim: PersistentVolumeClaim, pv: PersistentVolume | undefined): string {
  const key = `${claim.metadata.namespace}/${claim.metadata.name}`;
  if (claim.status?.phase !== 'Bound' || !claim.spec.volumeName) throw new ClaimVolumeError('ClaimNotBound', `error processing PVC ${key}: PVC is not bound`);
  if (!pv || pv.metadata.name !== claim.spec.volumeName)
    throw new ClaimVolumeError('VolumeNotFound', `error processing PVC ${key}: persistentvolume "${claim.spec.volumeName}" not found`);
  if (pv.spec.claimRef?.uid && pv.spec.claimRef.uid !== claim.metadata.uid)
    throw new ClaimVolumeError('ClaimNotBound', `error processing PVC ${key}: volume ${pv.metadata.name} is bound to another claim`);
  const dir = volumeHostPath(pv);
  if (!dir)
    throw new ClaimVolumeError('VolumeNotMountable', `volume ${pv.metadata.name} of PVC ${key} is neither hostPath nor local: kip mounts directories only`);
  return dir;
}

async function getOrUndefined<T>(api: ApiClient, path: string, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return await api.call<T>('GET', path, signal ? { signal } : {});
  } catch (err) {
    if (err instanceof ApiStatusError && err.isNotFound) return undefined;
    throw err;
  }
}

/**
 * The host directory of claim `claimName` in `namespace`, checked to exist. Throws a
 * ClaimVolumeError when the claim is missing or unbound, or its directory is gone; the caller
 * keeps the pod waiting (ContainerCreating) and tries again.
 */
export async function resolveClaimVolume(api: ApiClient, namespace: string, claimName: string, signal?: AbortSignal): Promise<string> {
  const enc = encodeURIComponent;
  const claim = await getOrUndefined<PersistentVolumeClaim>(api, `/api/v1/namespaces/${enc(namespace)}/persistentvolumeclaims/${enc(claimName)}`, signal);
  if (!claim) throw new ClaimVolumeError('ClaimNotFound', `persistentvolumeclaim "${claimName}" not found`);
  const pv = claim.spec.volumeName ? await getOrUndefined<PersistentVolume>(api, `/api/v1/persistentvolumes/${enc(claim.spec.volumeName)}`, signal) : undefined;
  const dir = claimDirectory(claim, pv);
  // A hostPath volume of no type (or DirectoryOrCreate) is made when missing, as container runtimes
  // make a missing bind source; a local volume must already be there.
  const hostType = pv!.spec.hostPath ? (pv!.spec.hostPath.type ?? '') : undefined;
  if (hostType === '' || hostType === 'DirectoryOrCreate') mkdirSync(dir, { recursive: true, mode: 0o755 });
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new ClaimVolumeError(
      'VolumeMissing',
      `the directory ${dir} of volume ${pv!.metadata.name} (PVC ${namespace}/${claimName}) does not exist on this machine`,
    );
  return dir;
}

/**
 * Every claim a pod's volumes name, resolved to its directory: what the volume code's synchronous
 * `claimDir(claimName)` is given, once per pod start. Throws the first ClaimVolumeError; the pod
 * then waits and is tried again, as the kubelet keeps a pod in ContainerCreating.
 */
export async function resolvePodClaims(api: ApiClient, pod: Pod, signal?: AbortSignal): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of claimNamesOf(pod)) {
    if (!out.has(name)) out.set(name, await resolveClaimVolume(api, pod.metadata.namespace ?? 'default', name, signal));
  }
  return out;
}
