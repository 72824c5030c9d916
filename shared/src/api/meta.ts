// Small helpers over object metadata, conditions and owner references.

import type { Node, NodeCondition, OwnerReference, Pod, PodCondition } from '../kinds/index.js';
import type { KObject } from './types.js';

/** "namespace/name", or "name" for cluster-scoped objects: the key controllers queue. */
export function keyOf(obj: KObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function controllerOf(obj: KObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

export function ownerReferenceTo(owner: KObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

// Kubernetes' generated-name alphabet: no vowels (no accidental words), no look-alikes.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5, random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(random() * ALPHANUMS.length)];
  return s;
}

/** Sets a condition, keeping lastTransitionTime when the status does not change. Returns a new list. */
export function setCondition<C extends { type: string; status: string; lastTransitionTime?: string }>(
  conditions: readonly C[] | undefined,
  next: C,
  now: string,
): C[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const merged = { ...next, lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime : now };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

export function nodeCondition(node: Node, type: NodeCondition['type']): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

export function isNodeReady(node: Node): boolean {
  return nodeCondition(node, 'Ready')?.status === 'True';
}

export function podCondition(pod: Pod, type: PodCondition['type']): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

export function isPodReady(pod: Pod): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Counts toward a ReplicaSet's replicas: not finished and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}
