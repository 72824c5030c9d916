// emptyDir's two knobs, `medium: Memory` and `sizeLimit`.
//
// Memory: the kubelet mounts a tmpfs. kip's containers each have a mount namespace of their own
// (no pod-wide one to hold a mount that all of them see and that outlives a container's restart),
// so a memory-backed emptyDir is a directory on the host's own tmpfs, /dev/shm: in RAM, shared by
// the pod's containers, kept across their restarts, and removed with the pod. Its files count
// toward the memory of the first container that mounts it (as tmpfs pages are charged to the
// cgroup that touched them), so a container's memory limit bounds them as the memory cgroup does
// (its OOM kill), where a real tmpfs would also have a `size=` (the sizeLimit, else the pod's memory
// limit) and fail writes past it with ENOSPC; here a sizeLimit evicts instead, as below. Where there is no writable tmpfs at /dev/shm the volume is a directory on
// disk, and the pod gets a warning event saying so.
//
// sizeLimit: the kubelet's eviction manager evicts a pod one of whose emptyDirs uses more than its
// sizeLimit; kip measures the directory as du(1) does (allocated blocks), every few seconds, and
// stops counting as soon as the limit is passed, so a check costs little whatever the volume holds.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseBytes, type Pod, type Volume } from '@kip/shared';

/** The kubelet eviction manager's message (emptyDirMessageFmt), with the pod's reason `Evicted`. */
export const EVICTED_REASON = 'Evicted';
export function emptyDirEvictionMessage(volume: string, limit: string): string {
  return `Usage of EmptyDir volume "${volume}" exceeds the limit "${limit}". `;
}

/** The host tmpfs memory-backed emptyDirs live on. */
export const SHM_DIR = '/dev/shm';
/** statfs(2)'s f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;

/** An emptyDir with a sizeLimit, as the eviction check needs it. */
export interface EmptyDirLimit {
  volume: string;
  /** bytes */
  limitBytes: number;
  /** The limit as the manifest wrote it, for the message. */
  limit: string;
}

/** The pod's emptyDirs that have a sizeLimit above zero. */
export function emptyDirLimits(pod: Pod): EmptyDirLimit[] {
  const out: EmptyDirLimit[] = [];
  for (const v of pod.spec.volumes ?? []) {
    const text = v.emptyDir?.sizeLimit;
    if (text === undefined) continue;
    const limitBytes = parseBytes(text);
    if (limitBytes > 0) out.push({ volume: v.name, limitBytes, limit: String(text) });
  }
  return out;
}

export function isMemoryBacked(v: Volume): boolean {
  return v.emptyDir?.medium === 'Memory';
}

/** Where a node keeps its pods' memory-backed volumes: one directory per node's pods directory. */
export function memoryVolumesRoot(podsDir: string, shm = SHM_DIR): string {
  const id = crypto.createHash('sha256').update(path.resolve(podsDir)).digest('hex').slice(0, 16);
  return path.join(shm, `kip-${id}`);
}

/** The directory of a pod's memory-backed volume, on the host's tmpfs. */
export function memoryVolumeDir(podDir: string, volume: string, shm = SHM_DIR): string {
  return path.join(memoryVolumesRoot(path.dirname(podDir), shm), path.basename(podDir), volume);
}

/** Whether memory-backed volumes can be on a tmpfs here; probed once per process. */
let shmUsable: boolean | undefined;
export function tmpfsAvailable(shm = SHM_DIR): boolean {
  if (shm !== SHM_DIR) return probeTmpfs(shm);
  shmUsable ??= probeTmpfs(shm);
  return shmUsable;
}

function probeTmpfs(dir: string): boolean {
  try {
    if (fs.statfsSync(dir).type !== TMPFS_MAGIC) return false;
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** How many directory entries one measurement reads at most: a check is cheap whatever the volume holds. */
export const MAX_ENTRIES = 20_000;

/**
 * The bytes a directory takes, as du(1) counts them (allocated blocks, the directories included),
 * counted until `stopAbove` is passed or MAX_ENTRIES entries are read. `complete` says whether the
 * whole tree was read.
 */
export function directoryUsage(dir: string, stopAbove = Number.POSITIVE_INFINITY): { bytes: number; complete: boolean } {
  let bytes = 0;
  let entries = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(d);
    } catch {
      continue;
    }
    bytes += st.blocks * 512;
    if (!st.isDirectory()) continue;
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (bytes > stopAbove || ++entries > MAX_ENTRIES) return { bytes, complete: false };
      const p = path.join(d, n);
      try {
        const s = fs.lstatSync(p);
        if (s.isDirectory()) stack.push(p);
        else bytes += s.blocks * 512;
      } catch {
        // removed meanwhile
      }
    }
  }
  return { bytes, complete: true };
}

/** The first of the pod's emptyDirs over its sizeLimit, and the eviction message, if any. */
export function emptyDirOverLimit(limits: readonly EmptyDirLimit[], dirOf: (volume: string) => string): string | undefined {
  for (const l of limits) {
    const used = directoryUsage(dirOf(l.volume), l.limitBytes);
    if (used.bytes > l.limitBytes) return emptyDirEvictionMessage(l.volume, l.limit);
  }
  return undefined;
}
