// A Deployment's history: which of its ReplicaSets is the "new" one (its template is the
// Deployment's), the revision numbers kept in annotations (`kip rollout history` reads them), the
// annotations a new ReplicaSet inherits, and which old ReplicaSets fall out of
// revisionHistoryLimit. Pure functions over objects, as in Kubernetes' deployment util.

import { ANNOTATION_REVISION, LABEL_POD_TEMPLATE_HASH, type Deployment, type KObject, type ReplicaSet } from '@kip/shared';
import { templatesEqualIgnoringHash } from './pod-template-hash.js';
import { ANNOTATION_DESIRED_REPLICAS, ANNOTATION_MAX_REPLICAS, byCreationOldestFirst, desiredReplicas, maxSurge } from './rollout-plan.js';

/** Earlier revisions a ReplicaSet had before an old template came back to it. */
export const ANNOTATION_REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';

/** Deployment annotations a ReplicaSet does not inherit: they describe the Deployment itself. */
const NOT_COPIED = new Set([
  LAST_APPLIED,
  ANNOTATION_REVISION,
  ANNOTATION_REVISION_HISTORY,
  ANNOTATION_DESIRED_REPLICAS,
  ANNOTATION_MAX_REPLICAS,
  DEPRECATED_ROLLBACK_TO,
]);

export function revisionOf(obj: KObject | undefined): number {
  const v = obj?.metadata.annotations?.[ANNOTATION_REVISION];
  if (v === undefined) return 0;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? 0 : n;
}

export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** The oldest ReplicaSet whose template is the Deployment's, hash label aside. */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreationOldestFirst).find((rs) => templatesEqualIgnoringHash(rs.spec.template, d.spec.template));
}

/** Records desired and max replicas on an RS's annotations; returns whether anything changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  for (const [k, v] of [
    [ANNOTATION_DESIRED_REPLICAS, String(desired)],
    [ANNOTATION_MAX_REPLICAS, String(max)],
  ] as const) {
    if (annotations[k] !== v) {
      annotations[k] = v;
      changed = true;
    }
  }
  return changed;
}

export function replicasAnnotationsFor(d: Deployment): { desired: number; max: number } {
  return { desired: desiredReplicas(d), max: desiredReplicas(d) + maxSurge(d) };
}

/**
 * Brings the new ReplicaSet's annotations up to date (Kubernetes' SetNewReplicaSetAnnotations):
 * the Deployment's own annotations, and the revision `newRevision` unless it already has a higher
 * one. A ReplicaSet that comes back from the past keeps its earlier revisions in revision-history.
 * `exists` is false for a ReplicaSet about to be created, which also gets the replicas annotations.
 * Changes `annotations` in place and returns whether anything changed.
 */
export function syncNewReplicaSetAnnotations(d: Deployment, annotations: Record<string, string>, newRevision: number, exists: boolean): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const had = annotations[ANNOTATION_REVISION];
  const old = had === undefined ? 0 : Number.parseInt(had, 10) || 0;
  if (old < newRevision) {
    annotations[ANNOTATION_REVISION] = String(newRevision);
    changed = true;
    if (had !== undefined && old > 0) {
      const history = annotations[ANNOTATION_REVISION_HISTORY];
      annotations[ANNOTATION_REVISION_HISTORY] = history ? `${history},${old}` : String(old);
    }
  }
  if (!exists) {
    const { desired, max } = replicasAnnotationsFor(d);
    if (setReplicasAnnotations(annotations, desired, max)) changed = true;
  }
  return changed;
}

/** The labels and selector of a Deployment's ReplicaSet for a template hash. */
export function labelsWithHash(labels: Record<string, string> | undefined, hash: string): Record<string, string> {
  return { ...(labels ?? {}), [LABEL_POD_TEMPLATE_HASH]: hash };
}

/**
 * Old ReplicaSets to delete beyond revisionHistoryLimit, lowest revision first. Only those that
 * are scaled to zero, have no pods left and whose status is current are eligible.
 */
export function historyToClean(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec.revisionHistoryLimit ?? 10;
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const excess = alive.length - limit;
  if (excess <= 0) return [];
  const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreationOldestFirst(a, b));
  const out: ReplicaSet[] = [];
  for (const rs of byRevision.slice(0, excess)) {
    const idle = (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0;
    const current = (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 1);
    if (idle && current) out.push(rs);
  }
  return out;
}
