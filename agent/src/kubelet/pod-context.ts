// What a container worker needs from the pod it belongs to. The pod worker implements it; the
// container worker never reaches past it, so the two can be read (and changed) separately.

import type { Clock, Container, Logger, Pod, Probe, Timing } from '@kip/shared';
import type { ProbeResult, ProbeTarget } from './probe-handlers.js';
import type { ContainerProcess, GroupRegistry, SpawnGroupOptions } from './process-group.js';
import type { Mount } from './sandbox.js';
import type { SandboxSupport } from './sandbox-probe.js';

export type EventType = 'Normal' | 'Warning';

export interface PodContext {
  /** The latest version of the pod object. */
  readonly pod: Pod;
  /** "namespace/name", for log lines. */
  readonly podKey: string;
  readonly podDir: string;
  readonly podIP: string;
  /** "container/containerPort" -> host port. */
  readonly hostPorts: Record<string, number>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly groups: GroupRegistry;
  /** Whether this node can give containers a sandbox, and the host layout it rebuilds. */
  readonly sandbox: SandboxSupport;
  timing(): Timing;
  /** The volumes mounted into a container of this pod (bind mounts in its sandbox). */
  mounts(container: Container): Mount[];
  /** The full environment of a container of this pod. */
  env(container: Container): Record<string, string>;
  /** Records a kubelet event about the pod, or about one of its containers. */
  event(type: EventType, reason: string, message: string, container?: string): void;
  /** Something that shows in the pod's status changed. */
  changed(): void;
  /** Starts a container's program in its own process group; throws if it cannot be started. */
  spawn(opts: SpawnGroupOptions): ContainerProcess;
  /** Holds a running container to its CPU limit (millicores); the returned function lets it go. */
  limitCpu(group: ContainerProcess, millis: number): () => void;
  /** One attempt of a probe against a container of this pod. */
  probe(probe: Probe, target: ProbeTarget): Promise<ProbeResult>;
}

/** The pod's grace period on deletion: the deletion's own, else the spec's, else 30 s. */
export function gracePeriodMs(pod: Pod): number {
  const s = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, s) * 1000;
}

/** The pod's own grace period (spec.terminationGracePeriodSeconds, else 30 s), when it is not being deleted. */
export function specGracePeriodMs(pod: Pod): number {
  return Math.max(0, pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
}
