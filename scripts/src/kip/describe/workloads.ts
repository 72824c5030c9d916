// `kip describe deployment` and `kip describe replicaset`, in kubectl's layout.

import {
  ANNOTATION_REVISION,
  controllerOf,
  fromLabelSelector,
  LABEL_POD_TEMPLATE_HASH,
  selectorToString,
  type Deployment,
  type Event,
  type Pod,
  type PodTemplateSpec,
  type ReplicaSet,
} from '@kip/shared';
import { NONE } from '../printers/columns.js';
import { writeAnnotations, writeEvents, writeLabels, writePodTemplate } from './sections.js';
import { DescribeWriter, type DescribeEnv } from './writer.js';

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  if (!t) return undefined;
  const copy = structuredClone(t);
  if (copy.metadata?.labels) delete copy.metadata.labels[LABEL_POD_TEMPLATE_HASH];
  return copy;
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  return v;
}

/**
 * The deployment's new ReplicaSet (the one whose template is the deployment's, the hash label
 * aside, or failing that the one at the deployment's revision) and the old ones that still have pods.
 */
export function splitReplicaSets(d: Deployment, all: readonly ReplicaSet[]): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
  const owned = all.filter((rs) => {
    const owner = controllerOf(rs);
    return owner?.kind === 'Deployment' && (d.metadata.uid ? owner.uid === d.metadata.uid : owner.name === d.metadata.name);
  });
  const want = withoutHash(d.spec?.template);
  const revision = d.metadata.annotations?.[ANNOTATION_REVISION];
  const newRS =
    owned.find((rs) => sameJSON(withoutHash(rs.spec?.template), want)) ??
    (revision ? owned.find((rs) => rs.metadata.annotations?.[ANNOTATION_REVISION] === revision) : undefined);
  const oldRSs = owned.filter((rs) => rs !== newRS && ((rs.spec?.replicas ?? 0) > 0 || (rs.status?.replicas ?? 0) > 0));
  return newRS ? { newRS, oldRSs } : { oldRSs };
}

function rsSummary(rs: ReplicaSet): string {
  return `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
}

export function describeDeployment(d: Deployment, replicaSets: readonly ReplicaSet[], events: readonly Event[], env: DescribeEnv): string {
  const w = new DescribeWriter(env);
  const st = d.status ?? {};
  w.field(0, 'Name', d.metadata.name);
  w.field(0, 'Namespace', d.metadata.namespace ?? '');
  w.field(0, 'CreationTimestamp', w.date(d.metadata.creationTimestamp));
  writeLabels(w, '', 'Labels', d.metadata.labels);
  writeAnnotations(w, '', 'Annotations', d.metadata.annotations);
  w.field(0, 'Selector', selectorToString(fromLabelSelector(d.spec?.selector)) || NONE);
  w.field(
    0,
    'Replicas',
    `${d.spec?.replicas ?? 0} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
  );
  const strategy = d.spec?.strategy?.type ?? 'RollingUpdate';
  w.field(0, 'StrategyType', strategy);
  w.field(0, 'MinReadySeconds', d.spec?.minReadySeconds ?? 0);
  if (strategy === 'RollingUpdate') {
    const ru = d.spec?.strategy?.rollingUpdate ?? {};
    w.field(0, 'RollingUpdateStrategy', `${ru.maxUnavailable ?? '25%'} max unavailable, ${ru.maxSurge ?? '25%'} max surge`);
  }
  writePodTemplate(w, d.spec?.template);
  if (st.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(1, '----\t------\t------\n');
    for (const c of st.conditions) w.write(1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  const { newRS, oldRSs } = splitReplicaSets(d, replicaSets);
  w.field(0, 'OldReplicaSets', oldRSs.length ? oldRSs.map(rsSummary).join(', ') : NONE);
  w.field(0, 'NewReplicaSet', newRS ? rsSummary(newRS) : NONE);
  writeEvents(w, events);
  return w.toString();
}

export function podPhaseCounts(pods: readonly Pod[]): { running: number; waiting: number; succeeded: number; failed: number } {
  const c = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  for (const p of pods) {
    switch (p.status?.phase) {
      case 'Running':
        c.running++;
        break;
      case 'Succeeded':
        c.succeeded++;
        break;
      case 'Failed':
        c.failed++;
        break;
      default:
        c.waiting++;
    }
  }
  return c;
}

export function describeReplicaSet(rs: ReplicaSet, pods: readonly Pod[], events: readonly Event[], env: DescribeEnv): string {
  const w = new DescribeWriter(env);
  w.field(0, 'Name', rs.metadata.name);
  w.field(0, 'Namespace', rs.metadata.namespace ?? '');
  w.field(0, 'Selector', selectorToString(fromLabelSelector(rs.spec?.selector)) || NONE);
  writeLabels(w, '', 'Labels', rs.metadata.labels);
  writeAnnotations(w, '', 'Annotations', rs.metadata.annotations);
  const owner = controllerOf(rs);
  if (owner) w.field(0, 'Controlled By', `${owner.kind}/${owner.name}`);
  w.field(0, 'Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 0} desired`);
  const c = podPhaseCounts(pods);
  w.field(0, 'Pods Status', `${c.running} Running / ${c.waiting} Waiting / ${c.succeeded} Succeeded / ${c.failed} Failed`);
  writePodTemplate(w, rs.spec?.template);
  writeEvents(w, events);
  return w.toString();
}
