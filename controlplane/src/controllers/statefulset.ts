// The StatefulSet controller: keeps pods `<set>-<ordinal>` with stable names, hostnames and
// claims. It claims the set's pods (adopting orphans of the set's name form that its selector
// matches), keeps the set's revisions, acts on what the pure plan says (statefulset-plan.ts) and
// writes status last. Claims made from volumeClaimTemplates carry no owner: they stay when their
// pod or the set goes (Kubernetes' default retention policy, Retain), so a pod made again under
// the same name finds its data; a set whose persistentVolumeClaimRetentionPolicy says Delete
// makes itself or a scaled-away pod their owner instead (statefulset-claims.ts).

import {
  controllerOf,
  fromLabelSelector,
  isPodActive,
  LABEL_CONTROLLER_REVISION_HASH,
  LABEL_POD_INDEX,
  LABEL_STATEFULSET_POD_NAME,
  ownerReferenceTo,
  splitKey,
  type PersistentVolumeClaim,
  type Pod,
  type PodTemplateSpec,
  type StatefulSet,
} from '@kip/shared';
import { ApiError } from '../api/errors.js';
import { claimObjects } from './claim.js';
import type { ControllerDeps, ReconcileResult } from './controller.js';
import { OwnerController } from './owner-controller.js';
import { claimOwnerReferences, sameReferences } from './statefulset-claims.js';
import { claimName, ordinalOf, planStatefulSet, podName, type SetAction } from './statefulset-plan.js';
import { statefulSetRevisionTemplate, syncRevisions, truncateHistory, type SetRevisions } from './statefulset-revisions.js';
import { calculateStatefulSetStatus, statefulSetStatusEqual } from './statefulset-status.js';

export const STATEFULSET_COMPONENT = 'statefulset-controller';

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** A pod volume that mounts a claim, in the form pod-spec.ts's `volumes` takes. */
interface ClaimVolume {
  name: string;
  persistentVolumeClaim: { claimName: string };
}

/** The pod of one ordinal, made from a revision's template, with the set's identity on it. */
export function newStatefulSetPod(set: StatefulSet, template: PodTemplateSpec, revision: string, ordinal: number): Pod {
  const name = podName(set.metadata.name, ordinal);
  const spec = structuredClone(template.spec);
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  const claimVolumes: ClaimVolume[] = (set.spec.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata.name,
    persistentVolumeClaim: { claimName: claimName(t.metadata.name, set.metadata.name, ordinal) },
  }));
  if (claimVolumes.length > 0) {
    // A template volume of the same name is replaced by the claim, as Kubernetes' updateStorage does.
    const s = spec as typeof spec & { volumes?: { name: string }[] };
    const names = new Set(claimVolumes.map((v) => v.name));
    s.volumes = [...(s.volumes ?? []).filter((v) => !names.has(v.name)), ...claimVolumes];
  }
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...(template.metadata?.labels ?? {}),
        [LABEL_STATEFULSET_POD_NAME]: name,
        [LABEL_POD_INDEX]: String(ordinal),
        [LABEL_CONTROLLER_REVISION_HASH]: revision,
      },
      ownerReferences: [ownerReferenceTo(set)],
    },
    spec,
  };
  if (template.metadata?.annotations) pod.metadata.annotations = { ...template.metadata.annotations };
  return pod;
}

/** The claims of one ordinal, as the set's templates make them. */
export function newStatefulSetClaims(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  const selectorLabels = set.spec.selector.matchLabels ?? {};
  return (set.spec.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(t.metadata.name, set.metadata.name, ordinal),
      namespace: set.metadata.namespace,
      labels: { ...(t.metadata.labels ?? {}), ...selectorLabels },
      ...(t.metadata.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
    },
    spec: structuredClone(t.spec),
  }));
}

export class StatefulSetController extends OwnerController {
  constructor(deps: ControllerDeps) {
    super('statefulset', 'StatefulSet', { kind: 'Pod', adoptable: (o) => isPodActive(o as Pod) }, deps);
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const set = this.store.get<StatefulSet>('StatefulSet', namespace, name);
    if (!set) return; // deleted: the garbage collector takes its pods and revisions; claims stay
    const selector = fromLabelSelector(set.spec.selector);
    const candidates = this.store.list<Pod>('Pod', { namespace }).items;
    // Only pods of the set's name form are its members, terminating and finished ones included.
    const claim = claimObjects(this.registry, set, selector, candidates, (p) => ordinalOf(name, p.metadata.name) !== undefined);
    if (claim.adopted.length) this.log.debug('adopted pods', { statefulset: key, pods: claim.adopted.join(',') });
    if (set.metadata.deletionTimestamp) return;

    const revisions = syncRevisions(this.store, this.registry, set);
    let manageError: unknown;
    try {
      for (const pod of claim.claimed) this.syncClaimOwners(set, pod);
      const plan = planStatefulSet({ set, pods: claim.claimed, updateRevision: revisions.update.metadata.name, now: this.clock.now() });
      if (plan.waitingFor) this.log.debug('waiting', { statefulset: key, for: plan.waitingFor });
      for (const action of plan.actions) this.perform(set, revisions, action);
    } catch (err) {
      manageError = err;
    }
    const result = this.syncStatus(key, revisions);
    if (manageError !== undefined) throw manageError;
    return result;
  }

  private perform(set: StatefulSet, revisions: SetRevisions, action: SetAction): void {
    if (action.type === 'delete') {
      this.deletePod(set, action.pod);
      return;
    }
    const rev = action.revision === 'current' ? revisions.current : revisions.update;
    const template = statefulSetRevisionTemplate(rev) ?? set.spec.template;
    this.createClaims(set, action.ordinal);
    this.createPod(set, newStatefulSetPod(set, template, rev.metadata.name, action.ordinal));
  }

  /** Claim ownership as the retention policy says (statefulset-claims.ts), for a live pod's claims. */
  private syncClaimOwners(set: StatefulSet, pod: Pod): void {
    const ordinal = ordinalOf(set.metadata.name, pod.metadata.name);
    if (ordinal === undefined || pod.metadata.deletionTimestamp) return;
    const start = set.spec.ordinals?.start ?? 0;
    const condemned = ordinal < start || ordinal >= start + (set.spec.replicas ?? 1);
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const claim = this.store.get<PersistentVolumeClaim>(
        'PersistentVolumeClaim',
        set.metadata.namespace,
        claimName(t.metadata.name, set.metadata.name, ordinal),
      );
      if (!claim || claim.metadata.deletionTimestamp) continue;
      const refs = claimOwnerReferences(set, claim, pod, condemned);
      if (sameReferences(claim.metadata.ownerReferences, refs)) continue;
      const next = structuredClone(claim);
      if (refs.length > 0) next.metadata.ownerReferences = refs;
      else delete next.metadata.ownerReferences;
      this.registry.update(next);
    }
  }

  private createClaims(set: StatefulSet, ordinal: number): void {
    const pod = podName(set.metadata.name, ordinal);
    for (const claim of newStatefulSetClaims(set, ordinal)) {
      if (this.store.get('PersistentVolumeClaim', claim.metadata.namespace, claim.metadata.name)) continue;
      const refs = claimOwnerReferences(set, claim, undefined, false);
      if (refs.length > 0) claim.metadata.ownerReferences = refs;
      try {
        this.registry.create(claim);
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'AlreadyExists') continue;
        this.event(
          set,
          'Warning',
          'FailedCreate',
          `create Claim ${claim.metadata.name} for Pod ${pod} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`,
        );
        throw err;
      }
      this.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${pod} in StatefulSet ${set.metadata.name} success`);
    }
  }

  private createPod(set: StatefulSet, pod: Pod): void {
    try {
      this.registry.create<Pod>(pod);
    } catch (err) {
      // The old pod of that name is still on its way out: the next reconcile sees it.
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return;
      this.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
      throw err;
    }
    this.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  private deletePod(set: StatefulSet, pod: Pod): void {
    try {
      this.registry.delete('Pod', pod.metadata.namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return;
      this.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
      throw err;
    }
    this.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  private event(set: StatefulSet, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.record(set, type, reason, message, { component: STATEFULSET_COMPONENT });
  }

  private syncStatus(key: string, revisions: SetRevisions): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const set = this.store.get<StatefulSet>('StatefulSet', namespace, name);
    if (!set) return;
    const pods = this.store.list<Pod>('Pod', { namespace, filter: (o) => controllerOf(o)?.uid === set.metadata.uid }).items;
    const { status, recheckInMs } = calculateStatefulSetStatus(
      set,
      pods,
      { current: revisions.current.metadata.name, update: revisions.update.metadata.name, collisionCount: revisions.collisionCount },
      this.clock.now(),
    );
    if (!statefulSetStatusEqual(set.status, status)) {
      const next = structuredClone(set);
      next.status = status;
      this.registry.updateStatus(next);
    }
    const inUse = new Set(pods.map((p) => p.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH] ?? ''));
    inUse.add(status.currentRevision ?? '');
    truncateHistory(this.registry, set, revisions, inUse);
    return recheckInMs === undefined ? undefined : { requeueAfterMs: Math.max(1, recheckInMs) };
  }
}
