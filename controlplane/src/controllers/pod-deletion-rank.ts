// Which pods a ReplicaSet gives up first when it has too many: Kubernetes' ActivePodsWithRanks
// order, so that scaling down removes the pods whose loss hurts least. The cheapest to lose come
// first: not yet scheduled, then not yet running, then not ready; then those sharing a node with
// more of their siblings (spreading what is left); then the most recently ready, the most often
// restarted, and the newest.

import type { Pod } from '@kip/shared';
import { readySince } from './replicaset-status.js';

/** Kubernetes' pod-deletion-cost annotation: lower cost goes first. */
export const ANNOTATION_POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

interface Ranked {
  pod: Pod;
  /** How many of the ReplicaSet's active pods share this pod's node (including itself). */
  rank: number;
}

function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[ANNOTATION_POD_DELETION_COST];
  if (v === undefined) return 0;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : 0;
}

function restarts(pod: Pod): number {
  let max = 0;
  for (const cs of pod.status?.containerStatuses ?? []) max = Math.max(max, cs.restartCount ?? 0);
  return max;
}

function created(pod: Pod): number | undefined {
  return pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : undefined;
}

/** Negative when a should be deleted before b. */
function compare(a: Ranked, b: Ranked): number {
  const pa = a.pod;
  const pb = b.pod;
  // 1. Unassigned before assigned.
  const assignedA = pa.spec.nodeName ? 1 : 0;
  const assignedB = pb.spec.nodeName ? 1 : 0;
  if (assignedA !== assignedB) return assignedA - assignedB;
  // 2. Pending before Unknown before Running.
  const phaseA = PHASE_ORDER[pa.status?.phase ?? 'Pending'] ?? 0;
  const phaseB = PHASE_ORDER[pb.status?.phase ?? 'Pending'] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  // 3. Not ready before ready.
  const readyA = readySince(pa);
  const readyB = readySince(pb);
  if ((readyA === undefined) !== (readyB === undefined)) return readyA === undefined ? -1 : 1;
  // 4. Lower deletion cost first.
  const costA = deletionCost(pa);
  const costB = deletionCost(pb);
  if (costA !== costB) return costA - costB;
  // 5. Doubled up (more siblings on the same node) first.
  if (a.rank !== b.rank) return b.rank - a.rank;
  // 6. Ready for a shorter time first.
  if (readyA !== undefined && readyB !== undefined && readyA !== readyB) return readyB - readyA;
  // 7. More restarts first.
  const restartsA = restarts(pa);
  const restartsB = restarts(pb);
  if (restartsA !== restartsB) return restartsB - restartsA;
  // 8. Newer first; a pod without a creation time counts as newest.
  const ca = created(pa) ?? Infinity;
  const cb = created(pb) ?? Infinity;
  if (ca !== cb) return cb > ca ? 1 : -1;
  // Stable and deterministic for equal pods: later names first, as generated names carry no order.
  return pa.metadata.name < pb.metadata.name ? 1 : pa.metadata.name > pb.metadata.name ? -1 : 0;
}

/** Orders pods from the first to delete to the last. `pods` are the ReplicaSet's active pods. */
export function rankPodsForDeletion(pods: readonly Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const ranked: Ranked[] = pods.map((pod) => ({ pod, rank: pod.spec.nodeName ? perNode.get(pod.spec.nodeName)! : 0 }));
  ranked.sort(compare);
  return ranked.map((r) => r.pod);
}

/** The `count` pods to delete first. */
export function podsToDelete(pods: readonly Pod[], count: number): Pod[] {
  if (count <= 0) return [];
  return rankPodsForDeletion(pods).slice(0, count);
}
