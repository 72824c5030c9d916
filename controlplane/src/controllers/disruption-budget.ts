// The arithmetic of a PodDisruptionBudget, as Kubernetes' disruption controller does it: which
// pods it covers, how many of them are expected (for a percentage or maxUnavailable, the scale
// of their controllers), how many must stay healthy, how many are, and so how many evictions
// are allowed now. Pure functions of the budget, the pods, the controllers' scales and the clock.

import {
  CONDITION_DISRUPTION_ALLOWED,
  controllerOf,
  fromLabelSelector,
  isPodReady,
  matches,
  scaledIntOrPercent,
  type Pod,
  type PodDisruptionBudget,
  type PodDisruptionBudgetCondition,
  type PodDisruptionBudgetStatus,
} from '@kip/shared';

/**
 * How long an eviction the API allowed keeps its pod out of the healthy count, waiting for the
 * pod to be deleted (Kubernetes' DeletionTimeout); after that the budget assumes it never will be.
 */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

/** The pods a budget covers: in its namespace, matched by its selector (policy/v1: an empty selector matches all, none matches nothing). */
export function podsOfBudget(pdb: PodDisruptionBudget, pods: readonly Pod[]): Pod[] {
  if (!pdb.spec.selector) return [];
  const sel = fromLabelSelector(pdb.spec.selector);
  return pods.filter((p) => p.metadata.namespace === pdb.metadata.namespace && matches(sel, p.metadata.labels));
}

/** The controllers' scale a pod's count is taken from: a controller's kind, name and desired pods. */
export type ScaleOf = (ref: { kind: string; name: string; uid: string; namespace: string }) => number | undefined;

export class BudgetError extends Error {}

/**
 * expectedCount and desiredHealthy (Kubernetes' getExpectedPodCount): an integer minAvailable
 * counts the pods there are; a percentage or a maxUnavailable needs the sum of the scales of
 * the pods' controllers, each counted once.
 */
export function expectedPods(pdb: PodDisruptionBudget, pods: readonly Pod[], scaleOf: ScaleOf): { expected: number; desiredHealthy: number } {
  const { minAvailable, maxUnavailable } = pdb.spec;
  if (maxUnavailable === undefined && typeof minAvailable === 'number') return { expected: pods.length, desiredHealthy: minAvailable };
  let expected = 0;
  const seen = new Set<string>();
  for (const p of pods) {
    const ref = controllerOf(p);
    if (!ref) throw new BudgetError(`found no controller ref for pod "${p.metadata.name}"`);
    if (seen.has(ref.uid)) continue;
    seen.add(ref.uid);
    const scale = scaleOf({ kind: ref.kind, name: ref.name, uid: ref.uid, namespace: p.metadata.namespace ?? 'default' });
    if (scale === undefined) throw new BudgetError(`found no controllers for pod "${p.metadata.name}"`);
    expected += scale;
  }
  if (maxUnavailable !== undefined) return { expected, desiredHealthy: Math.max(0, expected - scaledIntOrPercent(maxUnavailable, expected, true)) };
  if (minAvailable !== undefined) return { expected, desiredHealthy: scaledIntOrPercent(minAvailable, expected, true) };
  // Neither set: Kubernetes defaults minAvailable to 1.
  return { expected, desiredHealthy: 1 };
}

/** The evictions not yet carried out: pods still there, not being deleted, evicted within the timeout. */
export function pendingDisruptions(disrupted: Record<string, string> | undefined, pods: readonly Pod[], now: number): Record<string, string> {
  const out: Record<string, string> = {};
  const byName = new Map(pods.map((p) => [p.metadata.name, p]));
  for (const [name, at] of Object.entries(disrupted ?? {})) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const t = Date.parse(at);
    if (Number.isNaN(t) || t + DISRUPTED_POD_TIMEOUT_MS <= now) continue;
    out[name] = at;
  }
  return out;
}

/** Ready pods, not being deleted and not just evicted. */
export function countHealthy(pods: readonly Pod[], disrupted: Record<string, string>): number {
  return pods.filter((p) => !p.metadata.deletionTimestamp && disrupted[p.metadata.name] === undefined && isPodReady(p)).length;
}

function condition(status: 'True' | 'False', reason: string, message: string, generation: number): PodDisruptionBudgetCondition {
  return { type: CONDITION_DISRUPTION_ALLOWED, status, reason, message, observedGeneration: generation };
}

/** The status a budget should have; on a BudgetError, none may be disrupted (Kubernetes' failSafe). */
export function calculateBudgetStatus(pdb: PodDisruptionBudget, allPods: readonly Pod[], scaleOf: ScaleOf, now: number): PodDisruptionBudgetStatus {
  const generation = pdb.metadata.generation ?? 1;
  const pods = podsOfBudget(pdb, allPods);
  const disrupted = pendingDisruptions(pdb.status?.disruptedPods, pods, now);
  const currentHealthy = countHealthy(pods, disrupted);
  let expected: number;
  let desiredHealthy: number;
  try {
    ({ expected, desiredHealthy } = expectedPods(pdb, pods, scaleOf));
  } catch (err) {
    if (!(err instanceof BudgetError)) throw err;
    return {
      observedGeneration: generation,
      disruptionsAllowed: 0,
      currentHealthy,
      desiredHealthy: pdb.status?.desiredHealthy ?? 0,
      expectedPods: pdb.status?.expectedPods ?? 0,
      conditions: [condition('False', 'SyncFailed', err.message, generation)],
    };
  }
  const allowed = expected <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);
  const status: PodDisruptionBudgetStatus = {
    observedGeneration: generation,
    disruptionsAllowed: allowed,
    currentHealthy,
    desiredHealthy,
    expectedPods: expected,
    conditions: [allowed > 0 ? condition('True', 'SufficientPods', '', generation) : condition('False', 'InsufficientPods', '', generation)],
  };
  if (Object.keys(disrupted).length > 0) status.disruptedPods = disrupted;
  return status;
}

/** Equal but for the conditions' transition times, which only a real change moves. */
export function budgetStatusEqual(a: PodDisruptionBudgetStatus | undefined, b: PodDisruptionBudgetStatus): boolean {
  if (!a) return false;
  const strip = (s: PodDisruptionBudgetStatus) =>
    JSON.stringify({ ...s, disruptedPods: s.disruptedPods ?? {}, conditions: (s.conditions ?? []).map(({ lastTransitionTime: _t, ...c }) => c) });
  return strip(a) === strip(b);
}
