// A pod's volumes on this node. Each is a directory, `<podDir>/volumes/<name>/`, except hostPath,
// which is the host path itself:
//   emptyDir      an empty directory, shared by the pod's containers, gone with the pod
//                 (medium: Memory puts it on the host's tmpfs, and sizeLimit evicts the pod
//                 that passes it: empty-dir.ts)
//   configMap, secret, downwardAPI, projected
//                 files written atomically (volumes-atomic-writer.ts) and rewritten when the
//                 objects they come from, or the pod's labels and annotations, change
//   hostPath      the path on the host, checked or created by its `type`
//   persistentVolumeClaim  not set up here: the claim's directory is the PVC code's to give
//                 (containerMounts takes it as `claimDir`; without one, <podDir>/volumes/<name>)
//
// Without per-container mount namespaces a container cannot see a volume at its mountPath; the
// files are in the pod's directory all the same. `containerMounts` is the list a sandbox binds:
// for each of a container's volumeMounts, which host directory goes to which mountPath.

import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_VOLUME_MODE, type Container, type KeyToPath, type Pod, type ResourceList, type Volume } from '@kip/shared';
import type { ConfigSource } from './config-objects.js';
import { isMemoryBacked, memoryVolumeDir, tmpfsAvailable } from './empty-dir.js';
import { fieldRefValue } from './env.js';
import { resourceFieldValue } from './env-sources.js';
import { writeAtomically, type VolumePayload } from './volumes-atomic-writer.js';

/** One volume mount of a container, as a mount namespace needs it. */
export interface ContainerMount {
  /** the volume's name */
  name: string;
  /** the directory (or, for a hostPath, the file) on the host that backs the volume */
  hostDir: string;
  /** where the container sees it */
  mountPath: string;
  readOnly: boolean;
  /** a path inside the volume to mount instead of its root */
  subPath?: string;
}

/** Sources Kubernetes always mounts read-only: their files are the kubelet's to write. */
const READ_ONLY_SOURCES = ['configMap', 'secret', 'downwardAPI', 'projected'] as const;

export function volumesDir(podDir: string): string {
  return path.join(podDir, 'volumes');
}

/** The directory of a volume of the pod: the host path for a hostPath volume. */
export function volumeHostDir(volume: Volume, podDir: string, claimDir?: (claimName: string) => string | undefined): string {
  if (volume.hostPath) return volume.hostPath.path;
  const claim = volume.persistentVolumeClaim ? claimDir?.(volume.persistentVolumeClaim.claimName) : undefined;
  if (isMemoryBacked(volume) && tmpfsAvailable()) return memoryVolumeDir(podDir, volume.name);
  return claim ?? path.join(volumesDir(podDir), volume.name);
}

/**
 * What a sandbox mounts for a container: each of its volumeMounts with the host directory behind
 * it. `claimDir` gives the directory a PersistentVolumeClaim is bound to.
 */
export function containerMounts(pod: Pod, container: Container, podDir: string, claimDir?: (claimName: string) => string | undefined): ContainerMount[] {
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  const out: ContainerMount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) continue;
    const readOnly = !!m.readOnly || READ_ONLY_SOURCES.some((s) => v[s] !== undefined) || !!v.persistentVolumeClaim?.readOnly;
    out.push({ name: m.name, hostDir: volumeHostDir(v, podDir, claimDir), mountPath: m.mountPath, readOnly, ...(m.subPath ? { subPath: m.subPath } : {}) });
  }
  return out;
}

/** A volume cannot be set up; the message is the kubelet's, after `MountVolume.SetUp failed for volume "x" : `. */
export class VolumeSetupError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(message);
    this.name = 'VolumeSetupError';
  }
}

export interface PayloadContext {
  pod: Pod;
  config: ConfigSource;
  nodeName: string;
  podIP: string;
  hostIP: string;
  allocatable: ResourceList;
}

/** Labels or annotations as the downward API writes them: `key="value"` lines, sorted. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** Keys of a ConfigMap or Secret as files: all of them, or the items named, each at its path. */
function keysToFiles(
  out: VolumePayload,
  values: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  mode: number,
  optional: boolean,
  missingKey: (key: string) => string,
  volume: string,
): void {
  if (!items?.length) {
    for (const [k, data] of Object.entries(values)) out.set(k, { data, mode });
    return;
  }
  for (const it of items) {
    const data = values[it.key];
    if (data === undefined) {
      if (optional) continue;
      throw new VolumeSetupError(volume, missingKey(it.key));
    }
    out.set(it.path, { data, mode: it.mode ?? mode });
  }
}

function configMapFiles(ctx: PayloadContext, name: string): Record<string, Buffer> | undefined {
  const cm = ctx.config.configMap(ctx.pod.metadata.namespace ?? 'default', name);
  if (!cm) return undefined;
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function secretFiles(ctx: PayloadContext, name: string): Record<string, Buffer> | undefined {
  const s = ctx.config.secret(ctx.pod.metadata.namespace ?? 'default', name);
  if (!s) return undefined;
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

function downwardFiles(out: VolumePayload, ctx: PayloadContext, items: NonNullable<Volume['downwardAPI']>['items'], mode: number): void {
  for (const it of items ?? []) {
    let value = '';
    if (it.fieldRef) {
      const p = it.fieldRef.fieldPath;
      if (p === 'metadata.labels') value = formatMap(ctx.pod.metadata.labels);
      else if (p === 'metadata.annotations') value = formatMap(ctx.pod.metadata.annotations);
      else value = fieldRefValue(p, ctx) ?? '';
    } else if (it.resourceFieldRef) {
      value = resourceFieldValue(ctx.pod, it.resourceFieldRef, undefined, ctx.allocatable);
    }
    out.set(it.path, { data: Buffer.from(value, 'utf8'), mode: it.mode ?? mode });
  }
}

const missingConfigMapKey = (key: string) => `configmap references non-existent config key: ${key}`;
const missingSecretKey = (key: string) => `references non-existent secret key: ${key}`;

/**
 * The files a configMap, secret, downwardAPI or projected volume holds now, or undefined for the
 * other sources. Throws VolumeSetupError for a missing object or key that is not optional.
 */
export function volumePayload(v: Volume, ctx: PayloadContext): VolumePayload | undefined {
  const out: VolumePayload = new Map();
  if (v.configMap) {
    const { name, items, optional } = v.configMap;
    const files = configMapFiles(ctx, name);
    if (!files) {
      if (optional) return out;
      throw new VolumeSetupError(v.name, `configmap "${name}" not found`);
    }
    keysToFiles(out, files, items, v.configMap.defaultMode ?? DEFAULT_VOLUME_MODE, !!optional, missingConfigMapKey, v.name);
    return out;
  }
  if (v.secret) {
    const { secretName, items, optional } = v.secret;
    const files = secretFiles(ctx, secretName);
    if (!files) {
      if (optional) return out;
      throw new VolumeSetupError(v.name, `secret "${secretName}" not found`);
    }
    keysToFiles(out, files, items, v.secret.defaultMode ?? DEFAULT_VOLUME_MODE, !!optional, missingSecretKey, v.name);
    return out;
  }
  if (v.downwardAPI) {
    downwardFiles(out, ctx, v.downwardAPI.items, v.downwardAPI.defaultMode ?? DEFAULT_VOLUME_MODE);
    return out;
  }
  if (v.projected) {
    const mode = v.projected.defaultMode ?? DEFAULT_VOLUME_MODE;
    for (const s of v.projected.sources) {
      if (s.configMap) {
        const files = configMapFiles(ctx, s.configMap.name);
        if (!files) {
          if (s.configMap.optional) continue;
          throw new VolumeSetupError(v.name, `configmap "${s.configMap.name}" not found`);
        }
        keysToFiles(out, files, s.configMap.items, mode, !!s.configMap.optional, missingConfigMapKey, v.name);
      } else if (s.secret) {
        const files = secretFiles(ctx, s.secret.name);
        if (!files) {
          if (s.secret.optional) continue;
          throw new VolumeSetupError(v.name, `secret "${s.secret.name}" not found`);
        }
        keysToFiles(out, files, s.secret.items, mode, !!s.secret.optional, missingSecretKey, v.name);
      } else if (s.downwardAPI) downwardFiles(out, ctx, s.downwardAPI.items, mode);
    }
    return out;
  }
  return undefined;
}

/** Checks or creates a hostPath by its type, as the kubelet's hostPath type checker does. */
function setUpHostPath(v: Volume): void {
  const { path: p, type } = v.hostPath!;
  const stat = (): fs.Stats | undefined => {
    try {
      return fs.statSync(p);
    } catch {
      return undefined;
    }
  };
  const fail = (what: string) => {
    throw new VolumeSetupError(v.name, `hostPath type check failed: ${p} is not a ${what}`);
  };
  switch (type) {
    case 'DirectoryOrCreate':
      if (!stat()) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
      else if (!stat()!.isDirectory()) fail('directory');
      return;
    case 'FileOrCreate':
      if (!stat()) {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, '', { mode: 0o644 });
      } else if (!stat()!.isFile()) fail('file');
      return;
    case 'Directory':
      if (!stat()?.isDirectory()) fail('directory');
      return;
    case 'File':
      if (!stat()?.isFile()) fail('file');
      return;
    case 'Socket':
      if (!stat()?.isSocket()) fail('socket file');
      return;
    case 'CharDevice':
      if (!stat()?.isCharacterDevice()) fail('character device');
      return;
    case 'BlockDevice':
      if (!stat()?.isBlockDevice()) fail('block device');
      return;
    default:
      return;
  }
}

/** Sets up and refreshes the volumes of one pod. */
export class PodVolumes {
  constructor(
    private readonly podDir: string,
    private readonly context: () => PayloadContext,
  ) {}

  /** Sets every volume up; throws VolumeSetupError for the first that cannot be, to be tried again. */
  setUp(): void {
    const ctx = this.context();
    for (const v of ctx.pod.spec.volumes ?? []) {
      if (v.hostPath) this.guard(v, () => setUpHostPath(v));
      else if (v.emptyDir)
        this.guard(v, () => {
          // World-writable, as Kubernetes makes it, whatever the agent's umask.
          const dir = volumeHostDir(v, this.podDir);
          fs.mkdirSync(dir, { recursive: true });
          fs.chmodSync(dir, 0o777);
        });
      else this.write(v, ctx);
    }
  }

  /**
   * Rewrites the files of volumes made from objects (their sources or the pod's metadata changed).
   * A volume whose object is gone or lacks a key keeps the files it had, as the kubelet keeps them.
   */
  refresh(onError: (volume: string, message: string) => void): void {
    const ctx = this.context();
    for (const v of ctx.pod.spec.volumes ?? []) {
      if (v.hostPath || v.emptyDir || v.persistentVolumeClaim) continue;
      try {
        this.write(v, ctx);
      } catch (err) {
        onError(v.name, (err as Error).message);
      }
    }
  }

  private write(v: Volume, ctx: PayloadContext): void {
    this.guard(v, () => {
      const payload = volumePayload(v, ctx);
      if (payload) writeAtomically(volumeHostDir(v, this.podDir), payload);
    });
  }

  /** Whatever fails in setting a volume up (a file system error, a container the pod lacks) is that volume's. */
  private guard(v: Volume, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      throw err instanceof VolumeSetupError ? err : new VolumeSetupError(v.name, (err as Error).message);
    }
  }
}
