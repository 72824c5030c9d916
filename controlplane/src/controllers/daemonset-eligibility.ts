// Which nodes a DaemonSet's pod belongs on, as Kubernetes' NodeShouldRunDaemonPod decides: the
// node must match the pod's nodeSelector and required node affinity, and the pod must tolerate
// the node's NoSchedule and NoExecute taints. A pod already there may stay as long as it
// tolerates the NoExecute ones (a NoSchedule taint keeps new pods off, it does not evict).
// The pod judged is the one the controller would create: its template with the tolerations every
// daemon pod gets, so a cordoned or not-ready node keeps its daemons, as in Kubernetes.

import {
  nodeSelectorTermMatches,
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  type Affinity,
  type Node,
  type NodeSelectorTerm,
  type PodSpec,
  type Toleration,
} from '@kip/shared';
import { findUntoleratedTaint } from '../scheduler/plugins/taint-toleration.js';

/**
 * The tolerations Kubernetes' DaemonSet controller adds to every daemon pod
 * (AddOrUpdateDaemonPodTolerations): a daemon is never evicted from a node that stops answering,
 * and node pressure or a cordon does not keep it off.
 */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = [
  { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
];

/** Kubernetes' Toleration.MatchToleration: the same toleration but perhaps for its tolerationSeconds. */
const sameToleration = (a: Toleration, b: Toleration) =>
  a.key === b.key && (a.operator ?? 'Equal') === (b.operator ?? 'Equal') && (a.value ?? '') === (b.value ?? '') && a.effect === b.effect;

/**
 * The spec's tolerations with the daemon ones added, as a new list. As Kubernetes'
 * AddOrUpdateTolerationInPodSpec, a daemon toleration replaces the pod's own one that matches it,
 * so a tolerationSeconds there cannot make a daemon leave a node that stops answering.
 */
export function withDaemonTolerations(tolerations: readonly Toleration[] | undefined): Toleration[] {
  const out = [...(tolerations ?? [])];
  for (const t of DAEMON_POD_TOLERATIONS) {
    const i = out.findIndex((o) => sameToleration(o, t));
    if (i >= 0) out[i] = { ...t };
    else out.push({ ...t });
  }
  return out;
}

/**
 * The pod's affinity with its required node affinity pinned to one node by name, as Kubernetes'
 * ReplaceDaemonSetPodNodeNameNodeAffinity does: every term keeps its label expressions, and its
 * field expressions become `metadata.name In [node]`. The scheduler then places the pod there,
 * with its resource checks, or leaves it Pending saying why.
 */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const pinned = { key: 'metadata.name', operator: 'In' as const, values: [nodeName] };
  const out: Affinity = structuredClone(affinity ?? {});
  out.nodeAffinity ??= {};
  const terms = out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const next: NodeSelectorTerm[] = terms.map((t) => ({ ...t, matchFields: [pinned] }));
  out.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: next.length > 0 ? next : [{ matchFields: [pinned] }] };
  return out;
}

/** The node a daemon pod is meant for: its nodeName once bound, else the node its affinity pins it to. */
export function targetNodeName(spec: PodSpec): string | undefined {
  if (spec.nodeName) return spec.nodeName;
  for (const term of spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  return undefined;
}

export interface DaemonPlacement {
  /** A daemon pod should be created here if there is none. */
  shouldRun: boolean;
  /** A daemon pod already here may stay. */
  shouldContinueRunning: boolean;
}

/** Whether the node matches the pod's nodeSelector and required node affinity. */
export function matchesNodeAffinity(spec: PodSpec, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined) return true;
  const fields = { 'metadata.name': node.metadata.name };
  return terms.some((t) => nodeSelectorTermMatches(t, labels, fields));
}

/** Kubernetes' NodeShouldRunDaemonPod, for a template spec (the daemon tolerations are added here). */
export function nodeShouldRunDaemonPod(template: PodSpec, node: Node): DaemonPlacement {
  if (!matchesNodeAffinity(template, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withDaemonTolerations(template.tolerations);
  const taints = node.spec.taints ?? [];
  if (findUntoleratedTaint(taints, tolerations) === undefined) return { shouldRun: true, shouldContinueRunning: true };
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  return { shouldRun: false, shouldContinueRunning: findUntoleratedTaint(noExecute, tolerations) === undefined };
}
