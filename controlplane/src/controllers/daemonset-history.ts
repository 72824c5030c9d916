// A DaemonSet's history as Kubernetes keeps it: one ControllerRevision per template, named
// `<daemonset>-<hash>`, labelled with the controller-revision-hash, numbered in the order the
// templates were current (a template that comes back takes the next number), and trimmed to
// revisionHistoryLimit among revisions no pod runs any more. `kubectl rollout history` lists them.

import { controllerOf, LABEL_CONTROLLER_REVISION_HASH, ownerReferenceTo, type ControllerRevision, type DaemonSet, type Pod } from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { Store } from '../store/store.js';

/** What a revision stores: the template, as the patch that would bring it back (Kubernetes' getPatch). */
export function revisionData(ds: DaemonSet): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(ds.spec.template), $patch: 'replace' } } };
}

export const revisionName = (ds: DaemonSet, hash: string): string => `${ds.metadata.name}-${hash}`;

/** The old revisions to delete: beyond the limit, oldest first, never one a pod still runs. */
export function revisionsToTrim(revisions: readonly ControllerRevision[], currentName: string, live: ReadonlySet<string>, limit: number): ControllerRevision[] {
  const old = revisions
    .filter((r) => r.metadata.name !== currentName && !live.has(r.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH] ?? ''))
    .sort((a, b) => a.revision - b.revision);
  return old.slice(0, Math.max(0, old.length - limit));
}

/** Makes the current template's revision the newest, and trims the rest. */
export function syncHistory(store: Store, registry: Registry, ds: DaemonSet, hash: string, pods: readonly Pod[]): void {
  const ns = ds.metadata.namespace;
  const mine = store.list<ControllerRevision>('ControllerRevision', { namespace: ns, filter: (o) => controllerOf(o)?.uid === ds.metadata.uid }).items;
  const max = mine.reduce((m, r) => Math.max(m, r.revision), 0);
  const name = revisionName(ds, hash);
  const current = mine.find((r) => r.metadata.name === name);
  if (!current) {
    const labels = { ...(ds.spec.template.metadata?.labels ?? {}), [LABEL_CONTROLLER_REVISION_HASH]: hash };
    const annotations = { ...(ds.metadata.annotations ?? {}) };
    delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
    registry.create<ControllerRevision>({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ns,
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ownerReferences: [ownerReferenceTo(ds)],
      },
      data: revisionData(ds),
      revision: max + 1,
    });
  } else if (current.revision < max) {
    const next = structuredClone(current);
    next.revision = max + 1;
    registry.update(next);
  }
  const live = new Set(pods.map((p) => p.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH] ?? ''));
  for (const r of revisionsToTrim(mine, name, live, ds.spec.revisionHistoryLimit ?? 10)) {
    try {
      registry.delete('ControllerRevision', ns, r.metadata.name, { preconditions: { uid: r.metadata.uid } });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    }
  }
}
