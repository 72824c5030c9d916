// The arithmetic of a Deployment rollout, as plain functions of the Deployment and its
// ReplicaSets (Kubernetes' deployment util and rolling.go): how far the new ReplicaSet may grow
// (maxSurge), how far old ones may shrink while enough pods stay available (maxUnavailable),
// and how a scale change mid-rollout is shared out in proportion. Nothing here writes.

import type { Deployment, ReplicaSet } from '@kip/shared';

/** The deployment's replicas when its ReplicaSet was last sized: tells a scale change from a rollout. */
export const ANNOTATION_DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
/** replicas + maxSurge at that time: the base of proportional scaling. */
export const ANNOTATION_MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

export const desiredReplicas = (d: Deployment): number => d.spec.replicas ?? 1;
export const rsReplicas = (rs: ReplicaSet | undefined): number => rs?.spec.replicas ?? 0;

/** Available pods of an RS, never more than it is asked to keep (its status may lag a scale-down). */
export function rsAvailable(rs: ReplicaSet | undefined): number {
  if (!rs) return 0;
  return Math.min(rs.status?.availableReplicas ?? 0, rsReplicas(rs));
}

const created = (rs: ReplicaSet) => (rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : 0);

/** Oldest first; equal times by name, so the order is deterministic. */
export function byCreationOldestFirst(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
}

/** An int, or a percent of `total` rounded up (surge) or down (unavailable). */
export function resolveIntOrPercent(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    const n = Number.parseInt(v, 10);
    if (Number.isNaN(n)) throw new Error(`invalid value "${v}": must be an integer or a percentage`);
    return n;
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** maxSurge and maxUnavailable resolved against replicas; both 0 would deadlock, so unavailable becomes 1. */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const ru = d.spec.strategy?.rollingUpdate;
  const total = desiredReplicas(d);
  const maxSurge = resolveIntOrPercent(ru?.maxSurge ?? '25%', total, true);
  let maxUnavailable = resolveIntOrPercent(ru?.maxUnavailable ?? '25%', total, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export const isRollingUpdate = (d: Deployment): boolean => (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).maxSurge : 0;
}

/** How many pods may be unavailable during the rollout; never more than the replicas themselves. */
export function maxUnavailable(d: Deployment): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d).maxUnavailable, replicas);
}

export function replicaCount(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + rsReplicas(rs), 0);
}

export function availableCount(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + rsAvailable(rs), 0);
}

export const activeReplicaSets = (rss: readonly ReplicaSet[]): ReplicaSet[] => rss.filter((rs) => rsReplicas(rs) > 0);

/** The size the new ReplicaSet may grow to now (Kubernetes' NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const current = replicaCount(allRSs);
  const maxTotal = replicas + maxSurge(d);
  if (current >= maxTotal) return rsReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - rsReplicas(newRS));
  return rsReplicas(newRS) + Math.max(0, scaleUp);
}

/**
 * New sizes for old ReplicaSets in a rolling update, oldest first: first drop their unavailable
 * pods (they serve nothing), then available ones, as long as replicas - maxUnavailable stay
 * available across all ReplicaSets. Returns only the sizes that change.
 */
export function planOldScaleDown(d: Deployment, oldRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Map<string, number> {
  const plan = new Map<string, number>();
  const oldPods = replicaCount(oldRSs);
  if (oldPods === 0) return plan;
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newUnavailable = rsReplicas(newRS) - rsAvailable(newRS);
  const maxScaledDown = oldPods + rsReplicas(newRS) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return plan;

  const sorted = [...oldRSs].sort(byCreationOldestFirst);
  const size = new Map(sorted.map((rs) => [rs.metadata.name, rsReplicas(rs)]));
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const r = size.get(rs.metadata.name)!;
    const unavailable = r - rsAvailable(rs);
    if (r === 0 || unavailable === 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unavailable);
    size.set(rs.metadata.name, r - n);
    cleaned += n;
  }

  const available = availableCount(sorted) + rsAvailable(newRS);
  if (available > minAvailable) {
    const total = available - minAvailable;
    let done = 0;
    for (const rs of sorted) {
      if (done >= total) break;
      const r = size.get(rs.metadata.name)!;
      if (r === 0) continue;
      const n = Math.min(r, total - done);
      size.set(rs.metadata.name, r - n);
      done += n;
    }
  }
  for (const rs of sorted) if (size.get(rs.metadata.name) !== rsReplicas(rs)) plan.set(rs.metadata.name, size.get(rs.metadata.name)!);
  return plan;
}

function annotationInt(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? undefined : n;
}

export const desiredReplicasAnnotation = (rs: ReplicaSet) => annotationInt(rs, ANNOTATION_DESIRED_REPLICAS);

/** The new RS has everything: all replicas asked for and available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const want = desiredReplicas(d);
  return rsReplicas(rs) === want && desiredReplicasAnnotation(rs) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/** The one active RS, or the newest when none is active; undefined when several are active. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const all = [...oldRSs, ...(newRS ? [newRS] : [])].sort((a, b) => byCreationOldestFirst(b, a));
  const active = activeReplicaSets(all);
  if (active.length === 0) return newRS ?? all[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/**
 * New sizes when the deployment was scaled while several ReplicaSets are active: each grows or
 * shrinks in proportion to its share of the old maximum (max-replicas annotation), and the
 * rounding leftover goes to the largest (Kubernetes' DeploymentController.scale).
 */
export function planProportionalScale(d: Deployment, activeRSs: readonly ReplicaSet[]): Map<string, number> {
  const replicas = desiredReplicas(d);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(activeRSs);
  const bySize = (a: ReplicaSet, b: ReplicaSet) => rsReplicas(b) - rsReplicas(a);
  // Growing favours the newest, shrinking takes from the oldest first among equals.
  const sorted = [...activeRSs].sort(toAdd > 0 ? (a, b) => bySize(a, b) || byCreationOldestFirst(b, a) : (a, b) => bySize(a, b) || byCreationOldestFirst(a, b));
  const plan = new Map<string, number>();
  let added = 0;
  for (const rs of sorted) {
    let proportion = 0;
    if (toAdd !== 0 && rsReplicas(rs) > 0 && added !== toAdd) {
      const fraction = replicaSetFraction(d, rs, allowed);
      const left = toAdd - added;
      proportion = toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
    }
    plan.set(rs.metadata.name, rsReplicas(rs) + proportion);
    added += proportion;
  }
  if (toAdd !== 0 && sorted.length > 0) {
    const first = sorted[0]!.metadata.name;
    plan.set(first, Math.max(0, plan.get(first)! + toAdd - added));
  }
  return plan;
}

function replicaSetFraction(d: Deployment, rs: ReplicaSet, allowed: number): number {
  if (desiredReplicas(d) === 0) return -rsReplicas(rs);
  const annotated = annotationInt(rs, ANNOTATION_MAX_REPLICAS) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return Math.round((rsReplicas(rs) * allowed) / annotated) - rsReplicas(rs);
}
