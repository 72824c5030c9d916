// A pod's status as the kubelet reports it, computed from what its containers are doing. Pure:
// phase, conditions and QoS class follow the kubelet's own rules (getPhase, generateAPIPodStatus)
// so that tools and controllers that read Kubernetes pods read kip's the same way.

import { isSidecar, parseBytes, parseCpuMillis } from '@kip/shared';
import type { ContainerStatus, Pod, PodCondition, PodPhase, PodSpec, PodStatus } from '@kip/shared';

export interface PodStatusInput {
  pod: Pod;
  /** In spec order, one per container. */
  containerStatuses: ContainerStatus[];
  /** In spec order, one per init container. */
  initContainerStatuses?: ContainerStatus[];
  podIP?: string;
  hostIP: string;
  startTime?: string;
  hostPorts?: Record<string, number>;
  /** Nothing will run again: the pod is being stopped (deleted, node shutdown) and its containers are gone. */
  terminal: boolean;
  /** The kubelet's own verdict on the phase (an eviction fails the pod), over what its containers say. */
  phase?: PodPhase;
  /** Pod-level reason and message, e.g. for a node shutdown. */
  reason?: string;
  message?: string;
  /** The status last computed, whose conditions keep their lastTransitionTime while unchanged. */
  previous?: PodStatus;
  now: string;
  /** What isolates the pod's containers, as `kip describe pod` shows it. */
  sandbox?: string;
}

/** Init containers not completed yet, and those that failed, as the kubelet's getPhase counts them. */
export function initProgress(spec: PodSpec, statuses: readonly ContainerStatus[]): { pending: string[]; failed: string[] } {
  const pending: string[] = [];
  const failed: string[] = [];
  for (const c of spec.initContainers ?? []) {
    const cs = statuses.find((s) => s.name === c.name);
    // A sidecar is done initializing once it has started; it never fails the pod (it is restarted).
    if (isSidecar(c)) {
      if (!(cs?.started || (cs?.restartCount ?? 0) > 0 || cs?.state.terminated)) pending.push(c.name);
      continue;
    }
    const t = cs?.state.terminated;
    if (t && t.exitCode === 0) continue;
    if (t) failed.push(c.name);
    else if (cs?.state.waiting && cs.lastState.terminated && cs.lastState.terminated.exitCode !== 0) failed.push(c.name);
    else pending.push(c.name);
  }
  return { pending, failed };
}

/** The pod phase, as the kubelet's getPhase computes it. */
export function podPhase(spec: PodSpec, statuses: readonly ContainerStatus[], terminal: boolean, initStatuses: readonly ContainerStatus[] = []): PodPhase {
  const init = initProgress(spec, initStatuses);
  if (init.failed.length > 0 && spec.restartPolicy === 'Never') return 'Failed';
  if (init.pending.length > 0 || init.failed.length > 0) return terminal ? 'Failed' : 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
  for (const c of spec.containers) {
    const cs = statuses.find((s) => s.name === c.name);
    if (!cs) {
      unknown++;
      continue;
    }
    if (cs.state.running) running++;
    else if (cs.state.terminated) {
      stopped++;
      if (cs.state.terminated.exitCode === 0) succeeded++;
    } else if (cs.state.waiting) {
      // A container waiting to be restarted has run before: it counts as stopped, not pending.
      if (cs.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    const policy = spec.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    // OnFailure with a failed container: it is being restarted, unless every failed one is done.
    return 'Running';
  }
  return 'Pending';
}

/** Guaranteed, Burstable or BestEffort, by the containers' requests and limits. */
export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  let any = false;
  let guaranteed = true;
  for (const c of spec.containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined) {
        guaranteed = false;
        continue;
      }
      // A request left out defaults to the limit.
      const parse = r === 'cpu' ? parseCpuMillis : parseBytes;
      if (req[r] !== undefined && parse(req[r]) !== parse(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function unready(statuses: readonly ContainerStatus[]): string[] {
  return statuses.filter((s) => !s.ready).map((s) => s.name);
}

export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod, containerStatuses: statuses, now } = input;
  const initStatuses = input.initContainerStatuses ?? [];
  const phase = input.phase ?? podPhase(pod.spec, statuses, input.terminal, initStatuses);
  const init = initProgress(pod.spec, initStatuses);
  const incomplete = [...init.pending, ...init.failed];
  const prev = input.previous?.conditions;
  const notReady = unready(statuses);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const readyCond = (type: 'Ready' | 'ContainersReady'): PodCondition => {
    if (completed) return { type, status: 'False', reason: 'PodCompleted', lastProbeTime: null };
    if (notReady.length === 0 && statuses.length > 0) return { type, status: 'True', lastProbeTime: null };
    return { type, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]`, lastProbeTime: null };
  };
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled') ?? {
    type: 'PodScheduled' as const,
    status: 'True' as const,
    lastProbeTime: null,
  };

  // A condition keeps its lastTransitionTime for as long as its status stays the same.
  const since = (c: PodCondition): PodCondition => ({
    ...c,
    lastTransitionTime: prev?.find((p) => p.type === c.type && p.status === c.status)?.lastTransitionTime ?? now,
  });
  // Kubernetes' order: Initialized, Ready, ContainersReady, PodScheduled.
  const conditions: PodCondition[] = [
    since(
      incomplete.length === 0
        ? { type: 'Initialized', status: 'True', lastProbeTime: null }
        : {
            type: 'Initialized',
            status: 'False',
            reason: 'ContainersNotInitialized',
            message: `containers with incomplete status: [${incomplete.join(' ')}]`,
            lastProbeTime: null,
          },
    ),
    since(readyCond('Ready')),
    since(readyCond('ContainersReady')),
    { ...scheduled, lastTransitionTime: scheduled.lastTransitionTime ?? since(scheduled).lastTransitionTime },
  ];

  const status: PodStatus = { phase, conditions };
  if (input.reason) status.reason = input.reason;
  if (input.message) status.message = input.message;
  status.hostIP = input.hostIP;
  if (input.podIP) {
    status.podIP = input.podIP;
    status.podIPs = [{ ip: input.podIP }];
  }
  if (input.startTime) status.startTime = input.startTime;
  if ((pod.spec.initContainers?.length ?? 0) > 0) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  status.qosClass = qosClass(pod.spec);
  if (input.hostPorts && Object.keys(input.hostPorts).length > 0) status.kipHostPorts = { ...input.hostPorts };
  if (input.sandbox) status.kipSandbox = input.sandbox;
  return status;
}
