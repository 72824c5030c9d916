// A node as the scheduler sees it: the Node object plus running sums of what the pods bound to it
// request. The cache keeps these up to date event by event; plugins only read them.

import { isNodeReady, parseBytes, parseCpuMillis, type Node, type Pod, type Taint } from '@kip/shared';
import { podInfoOf, type PodInfo } from './pod-info.js';
import { controllerUid, podResources, type PodResources } from './pod-resources.js';

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';
const LEGACY_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';
const LEGACY_REGION_LABEL = 'failure-domain.beta.kubernetes.io/region';

/** kube-scheduler's GetZoneKey: region and zone together name a failure domain; "" for none. */
export function zoneKey(node: Node): string {
  const l = node.metadata.labels ?? {};
  const region = l[REGION_LABEL] ?? l[LEGACY_REGION_LABEL] ?? '';
  const zone = l[ZONE_LABEL] ?? l[LEGACY_ZONE_LABEL] ?? '';
  if (region === '' && zone === '') return '';
  return `${region}:\u0000:${zone}`;
}

const NO_TAINTS: readonly Taint[] = Object.freeze([]);
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

export interface Allocatable {
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
  pods: number;
}

/** status.allocatable, each resource falling back to capacity when a node reports no allocatable for it. */
export function nodeAllocatable(node: Node): Allocatable {
  const a = node.status?.allocatable ?? {};
  const c = node.status?.capacity ?? {};
  return {
    cpu: parseCpuMillis(a.cpu ?? c.cpu),
    memory: parseBytes(a.memory ?? c.memory),
    pods: parseBytes(a.pods ?? c.pods),
  };
}

/** What one pod adds to its node's sums; kept by the cache so removal subtracts exactly what was added. */
export interface PodContribution extends PodResources {
  uid: string;
  nodeName: string;
  /** The controller uid counted for spreading; unset for pods being deleted, as SelectorSpread ignores them. */
  owner?: string;
  /** Labels, namespace, priority and affinity terms, for inter-pod affinity, spreading and preemption. */
  info: PodInfo;
}

export function contributionOf(pod: Pod, nodeName: string): PodContribution {
  const r = podResources(pod.spec);
  return {
    uid: pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`,
    nodeName,
    cpu: r.cpu,
    memory: r.memory,
    nonZeroCpu: r.nonZeroCpu,
    nonZeroMemory: r.nonZeroMemory,
    owner: pod.metadata.deletionTimestamp ? undefined : controllerUid(pod),
    info: podInfoOf(pod),
  };
}

export class NodeInfo {
  // Hot numbers sit directly on the object: every cycle reads them for hundreds of nodes, and one
  // object per node keeps that to one or two cache lines instead of a pointer chase per resource.
  /** Undefined while pods name a node the cache has not seen (or no longer has). */
  node: Node | undefined;
  /** status.allocatable: millicores, bytes, pod count. */
  allocatableCpu = 0;
  allocatableMemory = 0;
  allocatablePods = 0;
  /** Sums of the bound pods' requests (millicores, bytes). */
  requestedCpu = 0;
  requestedMemory = 0;
  /** The same sums with kube-scheduler's defaults for pods that request nothing, for scoring. */
  nonZeroRequestedCpu = 0;
  nonZeroRequestedMemory = 0;
  /** How many pods hold resources here (podInfos.size, kept as a number for the filter's hot path). */
  podCount = 0;
  /**
   * The pods bound here that still hold resources, by uid, with what other pods' terms and
   * preemption need to know of each.
   */
  readonly podInfos = new Map<string, PodInfo>();
  /** How many pods here have inter-pod affinity or anti-affinity terms (kube-scheduler's PodsWithAffinity). */
  podsWithAffinity = 0;
  /** How many of those have required anti-affinity terms (PodsWithRequiredAntiAffinity). */
  podsWithRequiredAntiAffinity = 0;
  /** controller uid -> how many of its pods are here. */
  readonly ownerCounts = new Map<string, number>();
  /** From the Node, refreshed on every update. */
  zone = '';
  ready = false;
  unschedulable = false;
  taints: readonly Taint[] = NO_TAINTS;
  labels: Readonly<Record<string, string>> = NO_LABELS;
  /** labels['kubernetes.io/hostname'], read once: spreading by hostname asks it of every node it scores. */
  hostname: string | undefined = undefined;
  /** labels['topology.kubernetes.io/zone'], read once, for the zone spreading every ReplicaSet pod gets. */
  zoneLabel: string | undefined = undefined;
  /**
   * Scratch space of the scoring step: this node's position in the list being scored, written by
   * the scorer that needs it just before it reads it (PodTopologySpread, to find the few nodes of
   * its owner index among hundreds scored without a map lookup per node). The one field a plugin
   * writes; between cycles it is stale, so a reader checks nodes[scoreIndex] is this node.
   */
  scoreIndex = -1;

  constructor(readonly name: string) {}

  setNode(node: Node): void {
    this.node = node;
    const a = nodeAllocatable(node);
    this.allocatableCpu = a.cpu;
    this.allocatableMemory = a.memory;
    this.allocatablePods = a.pods;
    this.zone = zoneKey(node);
    this.ready = isNodeReady(node);
    this.unschedulable = !!node.spec.unschedulable;
    this.taints = node.spec.taints ?? NO_TAINTS;
    this.labels = node.metadata.labels ?? NO_LABELS;
    this.hostname = this.labels[HOSTNAME_LABEL];
    this.zoneLabel = this.labels[ZONE_LABEL];
  }

  add(c: PodContribution): void {
    this.podInfos.set(c.uid, c.info);
    this.podCount = this.podInfos.size;
    this.requestedCpu += c.cpu;
    this.requestedMemory += c.memory;
    this.nonZeroRequestedCpu += c.nonZeroCpu;
    this.nonZeroRequestedMemory += c.nonZeroMemory;
    if (c.owner) this.ownerCounts.set(c.owner, (this.ownerCounts.get(c.owner) ?? 0) + 1);
    const a = c.info.affinity;
    if (a) {
      this.podsWithAffinity++;
      if (a.requiredAntiAffinity.length > 0) this.podsWithRequiredAntiAffinity++;
    }
  }

  remove(c: PodContribution): void {
    this.podInfos.delete(c.uid);
    this.podCount = this.podInfos.size;
    this.requestedCpu -= c.cpu;
    this.requestedMemory -= c.memory;
    this.nonZeroRequestedCpu -= c.nonZeroCpu;
    this.nonZeroRequestedMemory -= c.nonZeroMemory;
    const a = c.info.affinity;
    if (a) {
      this.podsWithAffinity--;
      if (a.requiredAntiAffinity.length > 0) this.podsWithRequiredAntiAffinity--;
    }
    if (c.owner) {
      const n = (this.ownerCounts.get(c.owner) ?? 0) - 1;
      if (n > 0) this.ownerCounts.set(c.owner, n);
      else this.ownerCounts.delete(c.owner);
    }
  }

  /** A NodeInfo built directly from objects, for plugin tests and tools. */
  static of(node: Node, pods: readonly Pod[] = []): NodeInfo {
    const ni = new NodeInfo(node.metadata.name);
    ni.setNode(node);
    for (const p of pods) ni.add(contributionOf(p, node.metadata.name));
    return ni;
  }
}

/** The node's value for a label key; the hostname and zone come from fields kept for the purpose (no keyed lookup). */
export function nodeLabel(ni: NodeInfo, key: string): string | undefined {
  if (key === HOSTNAME_LABEL) return ni.hostname;
  if (key === ZONE_LABEL) return ni.zoneLabel;
  return ni.labels[key];
}
