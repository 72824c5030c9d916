// The eviction subresource (POST pods/NAME/eviction), as Kubernetes' eviction REST handler: a pod
// is deleted only if the PodDisruptionBudget covering it allows one more disruption; the budget's
// disruptionsAllowed is decremented and the pod recorded in its disruptedPods in the same turn,
// so two evictions racing each other cannot both spend the last allowed disruption. Refusals are
// 429 TooManyRequests, which `kubectl drain` and `kip drain` answer by retrying.

import {
  CONDITION_DISRUPTION_ALLOWED,
  fromLabelSelector,
  isoTime,
  isPodReady,
  matches,
  realClock,
  setCondition,
  type Clock,
  type Pod,
  type PodDisruptionBudget,
} from '@kip/shared';
import { DISRUPTED_BY, markedDisrupted } from './disruption-target.js';
import { ApiError } from './errors.js';
import type { DeleteOptions, Registry } from './registry.js';

/** Kubernetes' words for a refused eviction. */
export const EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";
/** Kubernetes' MaxDisruptedPodSize: evictions the disruption controller has not yet confirmed. */
export const MAX_DISRUPTED_PODS = 2000;

function refused(cause: string): ApiError {
  return new ApiError('TooManyRequests', EVICTION_REFUSED, { causes: [{ reason: 'DisruptionBudget', message: cause }] });
}

/** The budgets whose selector matches the pod; an empty selector matches nothing here, as in Kubernetes. */
export function budgetsOf(pod: Pod, budgets: readonly PodDisruptionBudget[]): PodDisruptionBudget[] {
  return budgets.filter((pdb) => {
    const sel = fromLabelSelector(pdb.spec.selector);
    return sel.length > 0 && matches(sel, pod.metadata.labels);
  });
}

/**
 * Evicts a pod: checks and spends its budget, then deletes it with the eviction's options.
 * Throws ApiError (404, 429, 500) when it may not.
 */
export function evictPod(registry: Registry, namespace: string, name: string, opts: DeleteOptions = {}, clock: Clock = realClock): void {
  const pod = registry.get<Pod>('Pod', namespace, name);
  const phase = pod.status?.phase;
  // A pod that serves nothing (finished, not started, or on its way out) may always go.
  const ignoreBudgets = phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
  if (!ignoreBudgets) {
    const budgets = budgetsOf(pod, registry.list<PodDisruptionBudget>('PodDisruptionBudget', { namespace }).items);
    if (budgets.length > 1)
      throw new ApiError('InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    if (budgets.length === 1) spendBudget(registry, budgets[0]!, pod, clock, opts.dryRun ?? false);
  }
  const marked = opts.dryRun ? undefined : markedDisrupted(pod, DISRUPTED_BY.eviction, clock.now());
  if (marked) registry.updateStatus(marked);
  registry.delete('Pod', namespace, name, { ...opts, preconditions: { uid: pod.metadata.uid, ...opts.preconditions } });
}

/** Kubernetes' checkAndDecrement, with the unhealthy-pod policy in front of it. */
function spendBudget(registry: Registry, pdb: PodDisruptionBudget, pod: Pod, clock: Clock, dryRun: boolean): void {
  const st = pdb.status;
  // A pod that is not Ready costs the budget nothing when the budget is met anyway (IfHealthyBudget) or says so.
  if (!isPodReady(pod)) {
    if (pdb.spec.unhealthyPodEvictionPolicy === 'AlwaysAllow') return;
    if (st && st.desiredHealthy > 0 && st.currentHealthy >= st.desiredHealthy && (st.observedGeneration ?? 0) >= (pdb.metadata.generation ?? 1)) return;
  }
  if (!st || (st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1))
    throw refused(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`);
  if (st.disruptionsAllowed < 0) throw new ApiError('Forbidden', 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS)
    throw new ApiError('Forbidden', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (st.disruptionsAllowed === 0)
    throw refused(`The disruption budget ${pdb.metadata.name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`);
  const next = structuredClone(pdb);
  const now = isoTime(clock.now());
  next.status!.disruptionsAllowed--;
  next.status!.disruptedPods = { ...(st.disruptedPods ?? {}), [pod.metadata.name]: now };
  if (next.status!.disruptionsAllowed === 0)
    next.status!.conditions = setCondition(
      next.status!.conditions,
      { type: CONDITION_DISRUPTION_ALLOWED, status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: pdb.metadata.generation ?? 1 },
      now,
    );
  // A dry run is refused as the real one would be, and spends nothing.
  if (dryRun) return;
  // With the resourceVersion read above: a budget changed meanwhile is a 409 Conflict, not an overdraft.
  registry.updateStatus(next);
}
