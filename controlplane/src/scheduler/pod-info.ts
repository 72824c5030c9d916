// What the scheduler keeps about each bound pod besides its requests: the labels and namespace
// other pods' affinity terms and spread constraints select on, its priority (for preemption), and
// its own inter-pod affinity terms compiled once (kube-scheduler's PodInfo), since existing pods'
// anti-affinity is checked against every incoming pod.

import { fromLabelSelector, matches, type LabelSelector, type Pod, type PodAffinityTerm, type Selector, type WeightedPodAffinityTerm } from '@kip/shared';

/** An inter-pod affinity term, ready to match pods. */
export interface AffinityTerm {
  /** Undefined: a nil labelSelector, which selects no pod. */
  readonly selector: Selector | undefined;
  /** Namespaces named outright; with namespaceSelector undefined and this empty, the owner's namespace. */
  readonly namespaces: ReadonlySet<string>;
  /** Undefined: none given; empty: every namespace. */
  readonly namespaceSelector: Selector | undefined;
  readonly topologyKey: string;
}

export interface WeightedAffinityTerm {
  readonly term: AffinityTerm;
  readonly weight: number;
}

/** A pod's affinity terms, compiled; undefined on pods with neither podAffinity nor podAntiAffinity. */
export interface PodAffinityTerms {
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

export interface PodInfo {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly priority: number;
  /** Has a deletionTimestamp: spreading no longer counts it, preemption does not pick it again. */
  readonly terminating: boolean;
  readonly affinity: PodAffinityTerms | undefined;
  /** The pod itself, for preemption (which deletes victims and records events on them). */
  readonly pod: Pod;
}

/** Resolves a namespace's labels, for namespaceSelector; undefined when the namespace is unknown. */
export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>> | undefined;

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_TERMS: readonly never[] = Object.freeze([]);

/**
 * A label selector with matchLabelKeys folded in: each key adds "key in (the pod's value)", as the
 * API server merges them (a key the pod lacks adds nothing). A nil selector stays nil.
 */
export function selectorWithMatchLabelKeys(
  sel: LabelSelector | undefined,
  keys: readonly string[] | undefined,
  labels: Readonly<Record<string, string>>,
): Selector | undefined {
  if (!sel) return undefined;
  const out = [...fromLabelSelector(sel)];
  for (const k of keys ?? []) {
    const v = labels[k];
    if (v !== undefined) out.push({ key: k, operator: 'In', values: [v] });
  }
  return out;
}

function compileTerm(t: PodAffinityTerm, pod: Pod): AffinityTerm {
  return {
    selector: selectorWithMatchLabelKeys(t.labelSelector, t.matchLabelKeys, pod.metadata.labels ?? NO_LABELS),
    namespaces: new Set(t.namespaces ?? []),
    namespaceSelector: t.namespaceSelector ? fromLabelSelector(t.namespaceSelector) : undefined,
    topologyKey: t.topologyKey,
  };
}

function compileWeighted(list: readonly WeightedPodAffinityTerm[] | undefined, pod: Pod): WeightedAffinityTerm[] {
  return (list ?? []).map((w) => ({ term: compileTerm(w.podAffinityTerm, pod), weight: w.weight }));
}

/** The pod's inter-pod affinity, compiled; undefined when it has none. */
export function podAffinityTerms(pod: Pod): PodAffinityTerms | undefined {
  const a = pod.spec.affinity;
  if (!a?.podAffinity && !a?.podAntiAffinity) return undefined;
  const terms = (list: readonly PodAffinityTerm[] | undefined) => (list ?? NO_TERMS).map((t) => compileTerm(t, pod));
  return {
    requiredAffinity: terms(a.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinity: terms(a.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinity: compileWeighted(a.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution, pod),
    preferredAntiAffinity: compileWeighted(a.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, pod),
  };
}

export function podInfoOf(pod: Pod): PodInfo {
  return {
    uid: pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`,
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? 'default',
    labels: pod.metadata.labels ?? NO_LABELS,
    priority: pod.spec.priority ?? 0,
    terminating: !!pod.metadata.deletionTimestamp,
    affinity: podAffinityTerms(pod),
    pod,
  };
}

/**
 * Whether a term owned by a pod in ownerNamespace selects a pod in namespace with labels: the
 * namespace must be listed or selected (the owner's own when neither is given), and the labels
 * selected (a nil selector selects nothing).
 */
export function termMatches(
  term: AffinityTerm,
  ownerNamespace: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  namespaceLabels: NamespaceLabels | undefined,
): boolean {
  if (!term.selector) return false;
  if (term.namespaceSelector === undefined) {
    if (term.namespaces.size === 0 ? namespace !== ownerNamespace : !term.namespaces.has(namespace)) return false;
  } else if (!term.namespaces.has(namespace)) {
    // An empty namespaceSelector selects every namespace; otherwise the namespace's labels decide.
    if (term.namespaceSelector.length > 0 && !matches(term.namespaceSelector, namespaceLabels?.(namespace) ?? NO_LABELS)) return false;
  }
  return matches(term.selector, labels);
}
