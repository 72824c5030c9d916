// Whether a rollout is done, and what to say while it is not: kubectl's status viewers
// (kubectl/pkg/polymorphichelpers/rollout_status.go) for Deployments and DaemonSets, as pure
// functions of the object, with kubectl's messages word for word.

import type { DaemonSet, Deployment, KObject } from '@kip/shared';

export interface RolloutStatus {
  message: string;
  done: boolean;
}

/** Thrown when the rollout can never finish as asked (a timed-out deployment, an OnDelete daemon set). */
export class RolloutStatusError extends Error {}

export function deploymentRolloutStatus(d: Deployment): RolloutStatus {
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) return { message: 'Waiting for deployment spec update to be observed...\n', done: false };
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') throw new RolloutStatusError(`deployment "${d.metadata.name}" exceeded its progress deadline`);
  const name = d.metadata.name;
  const want = d.spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < want)
    return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...\n`, done: false };
  if (total > updated)
    return { message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...\n`, done: false };
  if (available < updated)
    return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...\n`, done: false };
  return { message: `deployment "${name}" successfully rolled out\n`, done: true };
}

export function daemonSetRolloutStatus(ds: DaemonSet): RolloutStatus {
  if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate')
    throw new RolloutStatusError('rollout status is only available for RollingUpdate strategy type');
  const st = ds.status;
  if ((ds.metadata.generation ?? 0) > (st?.observedGeneration ?? 0)) return { message: 'Waiting for daemon set spec update to be observed...\n', done: false };
  const name = ds.metadata.name;
  const desired = st?.desiredNumberScheduled ?? 0;
  const updated = st?.updatedNumberScheduled ?? 0;
  const available = st?.numberAvailable ?? 0;
  if (updated < desired)
    return { message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...\n`, done: false };
  if (available < desired)
    return { message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...\n`, done: false };
  return { message: `daemon set "${name}" successfully rolled out\n`, done: true };
}

/** The viewer for a kind, or undefined when kubectl has none for it either. */
export function rolloutStatusViewer(kind: string): ((obj: KObject) => RolloutStatus) | undefined {
  switch (kind) {
    case 'Deployment':
      return (o) => deploymentRolloutStatus(o as unknown as Deployment);
    case 'DaemonSet':
      return (o) => daemonSetRolloutStatus(o as unknown as DaemonSet);
    default:
      return undefined;
  }
}
