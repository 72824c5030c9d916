// What a pod asks of a node, and how a pod is summed up in one word for tables.

import { parseBytes, parseCpuMillis } from './quantity.js';
import type { Container, Pod, PodSpec } from '../kinds/index.js';

/** An init container with restartPolicy Always: a sidecar, as Kubernetes calls it (a restartable init container). */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

export interface PodRequests {
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
}

/**
 * The sum of the containers' requests. A container that sets only a limit requests its limit,
 * as Kubernetes defaults requests from limits.
 */
export function podRequests(spec: PodSpec): PodRequests {
  let cpu = 0;
  let memory = 0;
  for (const c of spec.containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    cpu += parseCpuMillis(req.cpu ?? lim.cpu);
    memory += parseBytes(req.memory ?? lim.memory);
  }
  // Init containers run one at a time before the others: the pod needs the largest of them, if more.
  for (const c of spec.initContainers ?? []) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    cpu = Math.max(cpu, parseCpuMillis(req.cpu ?? lim.cpu));
    memory = Math.max(memory, parseBytes(req.memory ?? lim.memory));
  }
  return { cpu, memory };
}

/** The PodScheduled condition's reason while a pod's schedulingGates hold it back. */
export const SCHEDULING_GATED_REASON = 'SchedulingGated';

/** The STATUS column of `kubectl get pods`, computed as kubectl computes it. */
export function podDisplayStatus(pod: Pod): string {
  let reason = pod.status?.reason || pod.status?.phase || 'Pending';
  if (pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === SCHEDULING_GATED_REASON)) reason = SCHEDULING_GATED_REASON;
  let hasRunning = false;
  const init = initDisplayStatus(pod);
  if (init) reason = init;
  for (const cs of init ? [] : [...(pod.status?.containerStatuses ?? [])].reverse()) {
    if (cs.state.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state.terminated?.reason) reason = cs.state.terminated.reason;
    else if (cs.state.terminated) reason = cs.state.terminated.signal ? `Signal:${cs.state.terminated.signal}` : `ExitCode:${cs.state.terminated.exitCode}`;
    else if (cs.state.running && cs.ready) hasRunning = true;
  }
  if (reason === 'Completed' && hasRunning) reason = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && pod.status?.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';
  return reason;
}

/**
 * While init containers have not all completed: `Init:<reason>` for one that failed or waits
 * for a reason (`Init:Error`, `Init:CrashLoopBackOff`), else `Init:<done>/<total>`, as kubectl shows.
 */
function initDisplayStatus(pod: Pod): string | undefined {
  const total = pod.spec?.initContainers?.length ?? 0;
  const statuses = pod.status?.initContainerStatuses ?? [];
  // Initialized: what sidecars do later (stopped with the pod's end) is not initialization, as kubectl reads it.
  if (pod.status?.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True')) return undefined;
  for (let i = 0; i < total; i++) {
    const cs = statuses[i];
    // A sidecar that has started counts as initialized, whatever it does later, as kubectl counts it.
    if (isSidecar(pod.spec.initContainers![i]!) && (cs?.started || (cs?.restartCount ?? 0) > 0)) continue;
    const t = cs?.state.terminated;
    if (t && t.exitCode === 0) continue;
    if (t) return t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    const waiting = cs?.state.waiting?.reason;
    if (waiting && waiting !== 'PodInitializing') return `Init:${waiting}`;
    return `Init:${i}/${total}`;
  }
  return undefined;
}
