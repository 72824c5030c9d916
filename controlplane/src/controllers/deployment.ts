// The Deployment controller: owns ReplicaSets, one per pod template, and moves pods from the old
// ones to the new one by the strategy (RollingUpdate within maxSurge/maxUnavailable, or Recreate),
// as Kubernetes' deployment controller does. A change of replicas alone only resizes (in
// proportion, mid-rollout); `paused` stops the rollout but not scaling. ReplicaSets created here
// are named `<deployment>-<pod-template-hash>` and carry the revision annotation.

import {
  ANNOTATION_REVISION,
  controllerOf,
  fromLabelSelector,
  keyOf,
  ownerReferenceTo,
  splitKey,
  type Deployment,
  type Pod,
  type ReplicaSet,
} from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { StoreEvent, Unsubscribe } from '../store/store.js';
import { claimObjects } from './claim.js';
import type { ControllerDeps, Enqueue, ReconcileResult } from './controller.js';
import { OwnerController } from './owner-controller.js';
import {
  findNewReplicaSet,
  historyToClean,
  labelsWithHash,
  maxRevision,
  replicasAnnotationsFor,
  revisionOf,
  setReplicasAnnotations,
  syncNewReplicaSetAnnotations,
} from './deployment-revisions.js';
import { calculateStatus, deploymentComplete, deploymentStatusEqual, pausedConditionChange, rolloutStatus, setCondition } from './deployment-status.js';
import { computeTemplateHash, templatesEqualIgnoringHash } from './pod-template-hash.js';
import {
  activeReplicaSets,
  desiredReplicas,
  desiredReplicasAnnotation,
  findActiveOrLatest,
  isRollingUpdate,
  isSaturated,
  newRSNewReplicas,
  planOldScaleDown,
  planProportionalScale,
  rsReplicas,
} from './rollout-plan.js';

export const DEPLOYMENT_COMPONENT = 'deployment-controller';
/** How many names are tried when `<deployment>-<hash>` is taken by a ReplicaSet that is not ours. */
const MAX_HASH_COLLISIONS = 10;

export function scalingMessage(rsName: string, from: number, to: number): string {
  return `Scaled ${to > from ? 'up' : 'down'} replica set ${rsName} from ${from} to ${to}`;
}

/** One reconcile's view: the Deployment as stored, the status it is compared against, its ReplicaSets as written so far. */
interface Sync {
  d: Deployment;
  prevStatus: Deployment['status'];
  rss: ReplicaSet[];
  createdNewRS: boolean;
}

export class DeploymentController extends OwnerController {
  constructor(deps: ControllerDeps) {
    super('deployment', 'Deployment', { kind: 'ReplicaSet' }, deps);
  }

  override register(enqueue: Enqueue): Unsubscribe[] {
    return [...super.register(enqueue), this.store.watch({ kind: 'Pod' }, (ev) => this.onPod(ev as StoreEvent<Pod>, enqueue))];
  }

  /** Recreate waits for old pods to be gone, so their disappearance concerns the Deployment. */
  private onPod(ev: StoreEvent<Pod>, enqueue: Enqueue): void {
    const pod = ev.object;
    const finished = ev.type === 'DELETED' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!finished) return;
    const ref = controllerOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.store.get<ReplicaSet>('ReplicaSet', pod.metadata.namespace, ref.name);
    const owner = rs ? controllerOf(rs) : undefined;
    if (owner?.kind === 'Deployment') enqueue(`${pod.metadata.namespace}/${owner.name}`);
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const d = this.store.get<Deployment>('Deployment', namespace, name);
    if (!d) return; // deleted: the garbage collector takes its ReplicaSets
    const selector = fromLabelSelector(d.spec.selector);
    if (selector.length === 0) {
      this.recorder.record(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.', {
        component: DEPLOYMENT_COMPONENT,
      });
      return;
    }
    const candidates = this.store.list<ReplicaSet>('ReplicaSet', { namespace }).items;
    const claim = claimObjects(this.registry, d, selector, candidates);
    if (claim.adopted.length) this.log.debug('adopted replica sets', { deployment: key, replicasets: claim.adopted.join(',') });
    if (claim.released.length) this.log.debug('released replica sets', { deployment: key, replicasets: claim.released.join(',') });

    const now = this.clock.now();
    const prevStatus = structuredClone(d.status ?? {});
    const paused = pausedConditionChange(d, now);
    if (paused) setCondition(prevStatus, paused);
    const s: Sync = { d, prevStatus, rss: claim.claimed, createdNewRS: false };

    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(s);
    if (d.spec.paused || this.isScalingEvent(s)) return this.syncScaling(s);
    return d.spec.strategy?.type === 'Recreate' ? this.rolloutRecreate(s) : this.rolloutRolling(s);
  }

  /** The Deployment with the status this reconcile compares against. */
  private view(s: Sync): Deployment {
    return { ...s.d, status: s.prevStatus };
  }

  // ---------------------------------------------------------------------------------------------
  // Strategies

  private rolloutRolling(s: Sync): ReconcileResult {
    const { newRS, oldRSs } = this.newAndOld(s, true);
    const replicas = desiredReplicas(s.d);
    if (newRS && rsReplicas(newRS) !== replicas) {
      // Too big (the deployment was scaled down) or room to grow within maxSurge.
      const target = rsReplicas(newRS) > replicas ? replicas : newRSNewReplicas(s.d, [...oldRSs, newRS], newRS);
      if (this.scaleAndRecord(s, newRS, target)) return this.syncRolloutStatus(s);
    }
    let scaledDown = false;
    for (const [rsName, size] of planOldScaleDown(s.d, activeReplicaSets(oldRSs), this.current(s, newRS))) {
      const rs = s.rss.find((r) => r.metadata.name === rsName);
      if (rs && this.scaleAndRecord(s, rs, size)) scaledDown = true;
    }
    if (scaledDown) return this.syncRolloutStatus(s);
    if (deploymentComplete(s.d, s.prevStatus ?? {})) this.cleanupHistory(s);
    return this.syncRolloutStatus(s);
  }

  private rolloutRecreate(s: Sync): ReconcileResult {
    let { newRS, oldRSs } = this.newAndOld(s, false);
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) if (this.scaleAndRecord(s, rs, 0)) scaledDown = true;
    if (scaledDown || this.oldPodsRunning(s, oldRSs)) return this.syncRolloutStatus(s);
    if (!newRS) ({ newRS, oldRSs } = this.newAndOld(s, true));
    if (newRS) this.scaleAndRecord(s, newRS, desiredReplicas(s.d));
    if (deploymentComplete(s.d, s.prevStatus ?? {})) this.cleanupHistory(s);
    return this.syncRolloutStatus(s);
  }

  /** Old ReplicaSets still have pods that are not finished (terminating ones included). */
  private oldPodsRunning(s: Sync, oldRSs: ReplicaSet[]): boolean {
    if (oldRSs.some((rs) => (this.current(s, rs)?.status?.replicas ?? 0) > 0)) return true;
    const uids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    const pods = this.store.list<Pod>('Pod', { namespace: s.d.metadata.namespace, filter: (o) => uids.has(controllerOf(o)?.uid) }).items;
    return pods.some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  }

  /** A change of spec.replicas while the ReplicaSets were sized for another number. */
  private isScalingEvent(s: Sync): boolean {
    const { newRS, oldRSs } = this.newAndOld(s, false);
    const want = desiredReplicas(s.d);
    return activeReplicaSets([...oldRSs, ...(newRS ? [newRS] : [])]).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== want;
    });
  }

  /** Resizing without rollout progress (Kubernetes' sync): used for scale changes and while paused. */
  private syncScaling(s: Sync): ReconcileResult {
    const { newRS, oldRSs } = this.newAndOld(s, false);
    this.scale(s, newRS, oldRSs);
    if (s.d.spec.paused) this.cleanupHistory(s);
    return this.syncStatusOnly(s);
  }

  private scale(s: Sync, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
    const replicas = desiredReplicas(s.d);
    const only = findActiveOrLatest(newRS, oldRSs);
    if (only) {
      if (rsReplicas(only) !== replicas) this.scaleAndRecord(s, only, replicas);
      return;
    }
    if (isSaturated(s.d, newRS)) {
      for (const rs of activeReplicaSets(oldRSs)) this.scaleAndRecord(s, rs, 0);
      return;
    }
    if (!isRollingUpdate(s.d)) return;
    const active = activeReplicaSets([...oldRSs, ...(newRS ? [newRS] : [])]);
    const plan = planProportionalScale(s.d, active);
    for (const rs of active) this.scaleReplicaSet(s, rs, plan.get(rs.metadata.name) ?? rsReplicas(rs));
  }

  // ---------------------------------------------------------------------------------------------
  // ReplicaSets

  /** The latest stored version of an RS this reconcile knows. */
  private current(s: Sync, rs: ReplicaSet | undefined): ReplicaSet | undefined {
    return rs && s.rss.find((r) => r.metadata.uid === rs.metadata.uid);
  }

  /**
   * Finds the new ReplicaSet (creating it when asked and missing) and brings its annotations and
   * the Deployment's revision up to date (Kubernetes' getAllReplicaSetsAndSyncRevision).
   */
  private newAndOld(s: Sync, create: boolean): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
    const existing = findNewReplicaSet(s.d, s.rss);
    const oldRSs = s.rss.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const annotations = { ...(existing.metadata.annotations ?? {}) };
      const changed = syncNewReplicaSetAnnotations(s.d, annotations, newRevision, true);
      let newRS = existing;
      if (changed || (existing.spec.minReadySeconds ?? 0) !== (s.d.spec.minReadySeconds ?? 0)) {
        const next = structuredClone(existing);
        next.metadata.annotations = annotations;
        next.spec.minReadySeconds = s.d.spec.minReadySeconds ?? 0;
        newRS = this.writeReplicaSet(s, next);
      }
      this.setDeploymentRevision(s, revisionOf(newRS));
      return { newRS, oldRSs };
    }
    if (!create) return { oldRSs };
    const newRS = this.createReplicaSet(s, oldRSs, newRevision);
    this.setDeploymentRevision(s, newRevision);
    return { newRS, oldRSs };
  }

  private createReplicaSet(s: Sync, oldRSs: ReplicaSet[], revision: number): ReplicaSet {
    const d = s.d;
    const annotations: Record<string, string> = {};
    syncNewReplicaSetAnnotations(d, annotations, revision, false);
    const replicas = newRSNewReplicas(d, oldRSs, undefined);
    for (let collisions = 0; ; collisions++) {
      const hash = computeTemplateHash(d.spec.template, collisions);
      const template = structuredClone(d.spec.template);
      template.metadata = { ...(template.metadata ?? {}), labels: labelsWithHash(template.metadata?.labels, hash) };
      const selector = structuredClone(d.spec.selector);
      selector.matchLabels = labelsWithHash(selector.matchLabels, hash);
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: d.metadata.namespace,
          labels: { ...template.metadata.labels! },
          annotations,
          ownerReferences: [ownerReferenceTo(d)],
        },
        spec: { replicas, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
      };
      let created: ReplicaSet;
      try {
        created = this.registry.create<ReplicaSet>(rs);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
        const taken = this.store.get<ReplicaSet>('ReplicaSet', d.metadata.namespace, rs.metadata.name);
        if (taken && controllerOf(taken)?.uid === d.metadata.uid && templatesEqualIgnoringHash(taken.spec.template, d.spec.template)) {
          if (!s.rss.includes(taken)) s.rss.push(taken);
          return taken;
        }
        if (collisions + 1 >= MAX_HASH_COLLISIONS) throw err;
        this.log.info('pod-template-hash collision; trying the next name', { deployment: keyOf(d), name: rs.metadata.name });
        continue;
      }
      s.rss.push(created);
      s.createdNewRS = true;
      if (replicas > 0)
        this.recorder.record(d, 'Normal', 'ScalingReplicaSet', scalingMessage(created.metadata.name, 0, replicas), { component: DEPLOYMENT_COMPONENT });
      return created;
    }
  }

  /** Scales when the size differs (Kubernetes' scaleReplicaSetAndRecordEvent); returns whether it did. */
  private scaleAndRecord(s: Sync, rs: ReplicaSet, size: number): boolean {
    const cur = this.current(s, rs) ?? rs;
    if (rsReplicas(cur) === size) return false;
    this.scaleReplicaSet(s, cur, size);
    return true;
  }

  /** Sets the size and the replicas annotations, writing only if either changes. */
  private scaleReplicaSet(s: Sync, rs: ReplicaSet, size: number): ReplicaSet {
    const cur = this.current(s, rs) ?? rs;
    const annotations = { ...(cur.metadata.annotations ?? {}) };
    const { desired, max } = replicasAnnotationsFor(s.d);
    const annotationsChanged = setReplicasAnnotations(annotations, desired, max);
    const from = rsReplicas(cur);
    if (from === size && !annotationsChanged) return cur;
    const next = structuredClone(cur);
    next.metadata.annotations = annotations;
    next.spec.replicas = size;
    const written = this.writeReplicaSet(s, next);
    if (from !== size)
      this.recorder.record(s.d, 'Normal', 'ScalingReplicaSet', scalingMessage(cur.metadata.name, from, size), { component: DEPLOYMENT_COMPONENT });
    return written;
  }

  private writeReplicaSet(s: Sync, next: ReplicaSet): ReplicaSet {
    const written = this.registry.update<ReplicaSet>(next);
    s.rss = s.rss.map((r) => (r.metadata.uid === written.metadata.uid ? written : r));
    return written;
  }

  private setDeploymentRevision(s: Sync, revision: number): void {
    const want = String(revision);
    if (revision <= 0 || s.d.metadata.annotations?.[ANNOTATION_REVISION] === want) return;
    const next = structuredClone(s.d);
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANNOTATION_REVISION]: want };
    s.d = this.registry.update<Deployment>(next);
  }

  /** Deletes old ReplicaSets beyond revisionHistoryLimit; their pods are long gone. */
  private cleanupHistory(s: Sync): void {
    const newRS = findNewReplicaSet(s.d, s.rss);
    const oldRSs = s.rss.filter((rs) => rs !== newRS);
    for (const rs of historyToClean(s.d, oldRSs)) {
      try {
        this.registry.delete('ReplicaSet', rs.metadata.namespace, rs.metadata.name, { preconditions: { uid: rs.metadata.uid } });
        this.log.debug('deleted old replica set beyond revisionHistoryLimit', { deployment: keyOf(s.d), replicaset: rs.metadata.name });
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
      }
      s.rss = s.rss.filter((r) => r.metadata.uid !== rs.metadata.uid);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Status, written last

  private syncRolloutStatus(s: Sync): ReconcileResult {
    const newRS = findNewReplicaSet(s.d, s.rss);
    const { status, recheckInMs } = rolloutStatus(this.view(s), s.rss, newRS, this.clock.now(), s.createdNewRS);
    this.writeStatus(s, status);
    return recheckInMs === undefined ? undefined : { requeueAfterMs: recheckInMs };
  }

  private syncStatusOnly(s: Sync): ReconcileResult {
    const newRS = findNewReplicaSet(s.d, s.rss);
    this.writeStatus(s, calculateStatus(this.view(s), s.rss, newRS, this.clock.now()));
  }

  private writeStatus(s: Sync, status: NonNullable<Deployment['status']>): void {
    const stored = this.store.get<Deployment>('Deployment', s.d.metadata.namespace, s.d.metadata.name);
    if (!stored || deploymentStatusEqual(stored.status, status)) return;
    const next = structuredClone(stored);
    next.status = status;
    this.registry.updateStatus(next);
  }
}
