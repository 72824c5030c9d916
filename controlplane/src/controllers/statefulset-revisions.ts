// A StatefulSet's revisions, as ControllerRevisions named `<set>-<hash of the template>` and
// numbered in the order they became the update revision. The pods below a rollout partition are
// made from the current revision's template, the others from the update revision's: keeping the
// templates in objects is what lets a pod of an old revision be made again after it is deleted.

import { controllerOf, LABEL_CONTROLLER_REVISION_HASH, ownerReferenceTo, type ControllerRevision, type PodTemplateSpec, type StatefulSet } from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { Store } from '../store/store.js';
import { canonicalJson, computeTemplateHash } from './pod-template-hash.js';

/** What a revision keeps of its set: the template, as Kubernetes keeps it (a patch of spec.template). */
interface RevisionData {
  spec: { template: PodTemplateSpec };
}

export function statefulSetRevisionTemplate(rev: ControllerRevision): PodTemplateSpec | undefined {
  return (rev.data as RevisionData | undefined)?.spec?.template;
}

export function statefulSetRevisionName(set: StatefulSet, collisionCount = set.status?.collisionCount ?? 0): string {
  return `${set.metadata.name}-${computeTemplateHash(set.spec.template, collisionCount)}`;
}

export interface SetRevisions {
  current: ControllerRevision;
  update: ControllerRevision;
  /** Every revision the set controls, oldest first. */
  all: ControllerRevision[];
  collisionCount: number;
}

export function ownedRevisions(store: Store, set: StatefulSet): ControllerRevision[] {
  return store
    .list<ControllerRevision>('ControllerRevision', { namespace: set.metadata.namespace, filter: (o) => controllerOf(o)?.uid === set.metadata.uid })
    .items.sort((a, b) => a.revision - b.revision);
}

/**
 * The set's current and update revisions, making the update revision when the template is new
 * (or renumbering an old one the template went back to, as a rollback does in Kubernetes).
 */
export function syncRevisions(store: Store, registry: Registry, set: StatefulSet): SetRevisions {
  const all = ownedRevisions(store, set);
  const next = all.length ? all[all.length - 1]!.revision + 1 : 1;
  const wanted = canonicalJson(set.spec.template);
  let collisionCount = set.status?.collisionCount ?? 0;
  let update = all.find((r) => canonicalJson(statefulSetRevisionTemplate(r)) === wanted);
  if (update && update !== all[all.length - 1]) {
    const copy = structuredClone(update);
    copy.revision = next;
    update = registry.update<ControllerRevision>(copy);
  }
  while (!update) {
    const name = statefulSetRevisionName(set, collisionCount);
    const taken = store.get<ControllerRevision>('ControllerRevision', set.metadata.namespace, name);
    if (taken) {
      // A name held by another set's revision (or another template): step to the next hash.
      collisionCount++;
      continue;
    }
    const rev: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: set.metadata.namespace,
        labels: { ...(set.spec.template.metadata?.labels ?? {}), [LABEL_CONTROLLER_REVISION_HASH]: name },
        ownerReferences: [ownerReferenceTo(set)],
      },
      data: { spec: { template: structuredClone(set.spec.template) } } satisfies RevisionData,
      revision: next,
    };
    try {
      update = registry.create<ControllerRevision>(rev);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') {
        collisionCount++;
        continue;
      }
      throw err;
    }
  }
  const refreshed = ownedRevisions(store, set);
  const current = refreshed.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, all: refreshed, collisionCount };
}

/**
 * Deletes the oldest revisions beyond revisionHistoryLimit, never the current or update revision
 * nor one a live pod was made from.
 */
export function truncateHistory(registry: Registry, set: StatefulSet, revs: SetRevisions, inUse: ReadonlySet<string>): void {
  const limit = set.spec.revisionHistoryLimit ?? 10;
  const spare = revs.all.filter((r) => r !== revs.current && r !== revs.update && !inUse.has(r.metadata.name));
  for (const r of spare.slice(0, Math.max(0, spare.length - limit))) {
    try {
      registry.delete('ControllerRevision', r.metadata.namespace, r.metadata.name, { preconditions: { uid: r.metadata.uid } });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    }
  }
}
