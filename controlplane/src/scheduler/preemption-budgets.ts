// Which preemption victims would break a PodDisruptionBudget, as kube-scheduler's
// filterPodsWithPDBViolation: walking the potential victims from the most important down, each
// spends one of its budgets' allowed disruptions, and a victim that takes a budget below zero
// violates it. Preemption then reprieves violating victims first and prefers the node with the
// fewest violations; it does not refuse to violate a budget when nothing else makes room.

import { fromLabelSelector, matches, type PodDisruptionBudget } from '@kip/shared';
import type { PodInfo } from './pod-info.js';

export function splitByBudgetViolation(
  victims: readonly PodInfo[],
  budgets: readonly PodDisruptionBudget[],
): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  if (budgets.length === 0) return { violating, nonViolating: [...victims] };
  const allowed = budgets.map((b) => b.status?.disruptionsAllowed ?? 0);
  const selectors = budgets.map((b) => fromLabelSelector(b.spec.selector));
  for (const v of victims) {
    let violates = false;
    budgets.forEach((b, i) => {
      if (b.metadata.namespace !== v.namespace) return;
      // An empty selector selects nothing here, as in Kubernetes' policy/v1.
      const sel = selectors[i]!;
      if (sel.length === 0 || !matches(sel, v.labels)) return;
      // Evicted already and not yet seen gone by the disruption controller: spent before.
      if (b.status?.disruptedPods?.[v.name] !== undefined) return;
      allowed[i]!--;
      if (allowed[i]! < 0) violates = true;
    });
    (violates ? violating : nonViolating).push(v);
  }
  return { violating, nonViolating };
}
