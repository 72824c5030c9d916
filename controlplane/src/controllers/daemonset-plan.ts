// What a DaemonSet controller does next, as pure functions of the nodes, the daemon pods on each
// and the clock (Kubernetes' daemon controller: podsShouldBeOnNode, rollingUpdate, and the status
// of updateDaemonSetStatus). Nothing here writes; the controller carries the plans out.

import { isPodReady, LABEL_CONTROLLER_REVISION_HASH, scaledIntOrPercent, type DaemonSet, type DaemonSetStatus, type Node, type Pod } from '@kip/shared';
import type { DaemonPlacement } from './daemonset-eligibility.js';
import { isPodAvailable } from './replicaset-status.js';

/** One node as the DaemonSet sees it: where its pod belongs, and the daemon pods meant for it. */
export interface NodeDaemons {
  node: Node;
  placement: DaemonPlacement;
  /** Every pod of the DaemonSet meant for this node, those being deleted included. */
  pods: Pod[];
}

export interface DaemonPlan {
  /** Nodes to create a pod of the current template for. */
  create: string[];
  /** Pods to delete. */
  delete: Pod[];
}

const created = (p: Pod) => (p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : 0);

/** Bound pods first, then oldest first, then by name (Kubernetes' podByCreationTimestampAndPhase). */
export function byBoundThenOldest(a: Pod, b: Pod): number {
  if (!!a.spec.nodeName !== !!b.spec.nodeName) return a.spec.nodeName ? -1 : 1;
  return created(a) - created(b) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
}

export const isUpdated = (pod: Pod, hash: string): boolean => pod.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH] === hash;

export function isDaemonRollingUpdate(ds: DaemonSet): boolean {
  return (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** maxSurge and maxUnavailable as pod counts out of the nodes that should run a daemon; never both 0. */
export function resolveDaemonFenceposts(ds: DaemonSet, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec.updateStrategy?.rollingUpdate;
  const maxSurge = isDaemonRollingUpdate(ds) ? scaledIntOrPercent(ru?.maxSurge ?? 0, desired, true) : 0;
  let maxUnavailable = scaledIntOrPercent(ru?.maxUnavailable ?? 1, desired, true);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/**
 * Kubernetes' podsShouldBeOnNode for every node: create where a pod should run and none is there;
 * delete failed pods, extra pods (all but the oldest; with surge, an old and a new one may stand
 * together while the new one is not Ready), and every pod on a node it may no longer stay on.
 * A pod still being deleted counts as present, so a replacement waits until it is gone.
 */
export function planManage(entries: readonly NodeDaemons[], hash: string, surge: boolean): DaemonPlan {
  const plan: DaemonPlan = { create: [], delete: [] };
  for (const { node, placement, pods } of entries) {
    const exists = pods.length > 0;
    if (placement.shouldRun && !exists) {
      plan.create.push(node.metadata.name);
      continue;
    }
    if (!placement.shouldContinueRunning) {
      for (const p of pods) if (!p.metadata.deletionTimestamp) plan.delete.push(p);
      continue;
    }
    const running: Pod[] = [];
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      if (p.status?.phase === 'Failed') plan.delete.push(p);
      else running.push(p);
    }
    running.sort(byBoundThenOldest);
    if (!surge) {
      plan.delete.push(...running.slice(1));
      continue;
    }
    if (running.length === 0) {
      if (placement.shouldRun) plan.create.push(node.metadata.name);
      continue;
    }
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const p of running) {
      if (isUpdated(p, hash) && !oldestNew) oldestNew = p;
      else if (!isUpdated(p, hash) && !oldestOld) oldestOld = p;
      else plan.delete.push(p);
    }
    // Two may stand together only while the new one is not Ready and the old one still serves.
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodReady(oldestNew))) plan.delete.push(oldestOld);
  }
  return plan;
}

/** The one new and one old pod on a node (not being deleted); ok is false when there are more. */
function updatedAndOld(pods: readonly Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isUpdated(p, hash)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * Kubernetes' rollingUpdate. Without surge: delete old pods, unavailable ones first, while no more
 * than maxUnavailable nodes are without an available pod (the manage pass then creates their
 * replacements). With surge: start new pods beside old ones on up to maxSurge nodes at a time, and
 * delete an old pod once the new one beside it is available.
 */
export function planRollingUpdate(ds: DaemonSet, entries: readonly NodeDaemons[], hash: string, now: number): DaemonPlan {
  const minReady = ds.spec.minReadySeconds ?? 0;
  const desired = entries.filter((e) => e.placement.shouldRun).length;
  const { maxSurge, maxUnavailable } = resolveDaemonFenceposts(ds, desired);
  const available = (p: Pod) => isPodAvailable(p, minReady, now);
  const plan: DaemonPlan = { create: [], delete: [] };
  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowed: Pod[] = [];
    const candidates: Pod[] = [];
    // As Kubernetes, only nodes with daemon pods (being deleted or not) are looked at.
    for (const { pods } of entries) {
      if (pods.length === 0) continue;
      const { newPod, oldPod, ok } = updatedAndOld(pods, hash);
      if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) {
        // the manage pass creates or deletes here; meanwhile the node counts as unavailable
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod && !available(oldPod)) allowed.push(oldPod);
      else if (oldPod && numUnavailable < maxUnavailable) candidates.push(oldPod);
    }
    const remaining = Math.max(0, maxUnavailable - numUnavailable);
    plan.delete.push(...allowed, ...candidates.slice(0, remaining));
    return plan;
  }
  let numSurge = 0;
  const allowedNodes: string[] = [];
  const candidateNodes: string[] = [];
  for (const { node, placement, pods } of entries) {
    if (!placement.shouldRun) continue;
    const { newPod, oldPod, ok } = updatedAndOld(pods, hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) allowedNodes.push(node.metadata.name);
      else if (numSurge < maxSurge) candidateNodes.push(node.metadata.name);
      continue;
    }
    if (!available(newPod)) numSurge++;
    else plan.delete.push(oldPod);
  }
  plan.create.push(...allowedNodes, ...candidateNodes.slice(0, Math.max(0, maxSurge - numSurge)));
  return plan;
}

export interface DaemonSetStatusResult {
  status: DaemonSetStatus;
  /** When a Ready pod will become available: the reconcile looks again then. */
  recheckInMs?: number;
}

/** Kubernetes' updateDaemonSetStatus: counted per node from the oldest daemon pod there. */
export function calculateDaemonSetStatus(ds: DaemonSet, entries: readonly NodeDaemons[], hash: string, now: number): DaemonSetStatusResult {
  const minReady = ds.spec.minReadySeconds ?? 0;
  let desired = 0;
  let current = 0;
  let ready = 0;
  let availableCount = 0;
  let updated = 0;
  let misscheduled = 0;
  let recheckInMs: number | undefined;
  for (const { placement, pods } of entries) {
    const scheduled = pods.length > 0;
    if (!placement.shouldRun) {
      if (scheduled) misscheduled++;
      continue;
    }
    desired++;
    if (!scheduled) continue;
    current++;
    const pod = [...pods].sort(byBoundThenOldest)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) availableCount++;
      else if (minReady > 0) {
        const since = Date.parse(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
        if (!Number.isNaN(since)) recheckInMs = Math.min(recheckInMs ?? Infinity, since + minReady * 1000 - now);
      }
    }
    if (isUpdated(pod, hash)) updated++;
  }
  const status: DaemonSetStatus = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: ds.metadata.generation ?? 1,
    updatedNumberScheduled: updated,
    numberAvailable: availableCount,
    numberUnavailable: desired - availableCount,
  };
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  return recheckInMs === undefined ? { status } : { status, recheckInMs };
}

export function daemonSetStatusEqual(a: DaemonSetStatus | undefined, b: DaemonSetStatus): boolean {
  if (!a) return false;
  const keys = Object.keys(b) as (keyof DaemonSetStatus)[];
  return keys.every((k) => a[k] === b[k]) && Object.keys(a).length === keys.length;
}
