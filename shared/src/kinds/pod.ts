// Pod: the unit the scheduler places and an agent runs as OS processes.

import { Type, type Static } from '@sinclair/typebox';
import { jsonEqual } from '../json-equal.js';
import { controllerOf } from '../api/meta.js';
import { podDisplayStatus, SCHEDULING_GATED_REASON } from '../api/pod.js';
import { parseBytes, parseCpuMillis } from '../api/quantity.js';
import { READ_ONLY, StringEnum } from '../validation/schema.js';
import { mergeByKey } from '../validation/patch-keys.js';
import { ageSince } from './age.js';
import { formatToleration, NONE, writeAnnotations, writeContainers, writeEvents, writeLabels, writeMultiline } from './describe.js';
import { defineKind } from './kind.js';
import { ConditionStatus, ObjectMeta } from './meta.js';
import { DEFAULT_TERMINATION_GRACE_SECONDS, defaultPodSpec, PodSpec } from './pod-spec.js';
import { writeVolumes } from './pod-volumes-describe.js';

export const PodPhase = StringEnum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
export type PodPhase = Static<typeof PodPhase>;

export const PodCondition = Type.Object({
  // Any type: besides the kubelet's and the scheduler's, DisruptionTarget and readiness gates' own.
  type: Type.String(),
  status: ConditionStatus,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
  lastProbeTime: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type PodCondition = Static<typeof PodCondition>;

export const ContainerStateWaiting = Type.Object({ reason: Type.Optional(Type.String()), message: Type.Optional(Type.String()) });
export type ContainerStateWaiting = Static<typeof ContainerStateWaiting>;
export const ContainerStateRunning = Type.Object({ startedAt: Type.Optional(Type.String()) });
export type ContainerStateRunning = Static<typeof ContainerStateRunning>;
export const ContainerStateTerminated = Type.Object({
  exitCode: Type.Integer(),
  signal: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
});
export type ContainerStateTerminated = Static<typeof ContainerStateTerminated>;
export const ContainerState = Type.Object({
  waiting: Type.Optional(ContainerStateWaiting),
  running: Type.Optional(ContainerStateRunning),
  terminated: Type.Optional(ContainerStateTerminated),
});
export type ContainerState = Static<typeof ContainerState>;

export const ContainerStatus = Type.Object({
  name: Type.String(),
  state: ContainerState,
  lastState: ContainerState,
  ready: Type.Boolean(),
  started: Type.Optional(Type.Boolean()),
  restartCount: Type.Integer(),
  image: Type.String(),
  imageID: Type.String(),
  containerID: Type.Optional(Type.String()),
});
export type ContainerStatus = Static<typeof ContainerStatus>;

export const PodStatus = Type.Object(
  {
    phase: Type.Optional(PodPhase),
    conditions: Type.Optional(Type.Array(PodCondition, mergeByKey('type'))),
    message: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    hostIP: Type.Optional(Type.String()),
    podIP: Type.Optional(Type.String()),
    podIPs: Type.Optional(Type.Array(Type.Object({ ip: Type.String() }))),
    startTime: Type.Optional(Type.String()),
    initContainerStatuses: Type.Optional(Type.Array(ContainerStatus)),
    containerStatuses: Type.Optional(Type.Array(ContainerStatus)),
    qosClass: Type.Optional(StringEnum(['Guaranteed', 'Burstable', 'BestEffort'])),
    /** The node the scheduler preempted pods on for this pod, while it waits for them to go. */
    nominatedNodeName: Type.Optional(Type.String()),
    /** kip extension: the host ports that back each declared container port, "container/port" -> host port. */
    kipHostPorts: Type.Optional(Type.Record(Type.String(), Type.Integer())),
    /** kip extension: what isolates the pod's containers ("user+mount+uts namespaces", or "none (why)"). */
    kipSandbox: Type.Optional(Type.String()),
  },
  READ_ONLY,
);
export type PodStatus = Static<typeof PodStatus>;

export const Pod = Type.Object({
  apiVersion: Type.Literal('v1'),
  kind: Type.Literal('Pod'),
  metadata: ObjectMeta,
  spec: PodSpec,
  status: Type.Optional(PodStatus),
});
export type Pod = Static<typeof Pod>;

// ---------------------------------------------------------------------------------------------
// Printing

export function podReady(pod: Pod): string {
  const total = pod.spec?.containers?.length ?? 0;
  const ready = (pod.status?.containerStatuses ?? []).filter((cs) => cs.ready && cs.state?.running).length;
  return `${ready}/${total}`;
}

/** RESTARTS, with how long ago the last one was, as kubectl 1.22+ shows it: `3 (2m ago)`. */
export function podRestarts(pod: Pod, now: number): string {
  let restarts = 0;
  let last = 0;
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    restarts += cs.restartCount ?? 0;
    const finished = cs.lastState?.terminated?.finishedAt;
    if (finished) last = Math.max(last, Date.parse(finished) || 0);
  }
  if (restarts !== 0 && last > 0) return `${restarts} (${ageSince(new Date(last).toISOString(), now)} ago)`;
  return String(restarts);
}

/** The QoS class as Kubernetes derives it, for pods whose status does not carry it. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = pod.spec?.containers ?? [];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      // A request left out defaults to the limit, so only a different request breaks Guaranteed.
      const q = req[r] ?? l;
      if (l === undefined || q === undefined) guaranteed = false;
      else if (r === 'cpu' ? parseCpuMillis(q) !== parseCpuMillis(l) : parseBytes(q) !== parseBytes(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** A gated pod says so from its creation, as the API server's pod strategy writes it. */
function schedulingGatedConditions(pod: Pod): PodCondition[] {
  if (!pod.spec.schedulingGates?.length) return [];
  return [
    {
      type: 'PodScheduled',
      status: 'False',
      reason: SCHEDULING_GATED_REASON,
      message: 'Scheduling is blocked due to non-empty scheduling gates',
      lastProbeTime: null,
      lastTransitionTime: new Date().toISOString(),
    },
  ];
}

/** Pod specs are immutable apart from container images and added tolerations, as in Kubernetes. */
function validatePodUpdate(next: Pod, old: Pod) {
  if (old.spec.nodeName && next.spec.nodeName && old.spec.nodeName !== next.spec.nodeName)
    return [{ field: 'spec.nodeName', message: 'Forbidden: a pod bound to a node cannot move' }];
  // Scheduling gates may be removed, never added, as in Kubernetes: the scheduler takes the pod once none is left.
  const oldGates = new Set((old.spec.schedulingGates ?? []).map((g) => g.name));
  const added = (next.spec.schedulingGates ?? []).find((g) => !oldGates.has(g.name));
  if (added) return [{ field: 'spec.schedulingGates', message: `Forbidden: only deletion is allowed, but found new scheduling gate '${added.name}'` }];
  const strip = (p: Pod) => ({
    ...p.spec,
    schedulingGates: undefined,
    nodeName: p.spec.nodeName || old.spec.nodeName,
    containers: p.spec.containers.map((c) => ({ ...c, image: undefined })),
    initContainers: p.spec.initContainers?.map((c) => ({ ...c, image: undefined })),
    tolerations: undefined,
  });
  if (!jsonEqual(strip(next), strip(old)))
    return [
      {
        field: 'spec',
        message:
          'Forbidden: pod updates may not change fields other than `spec.containers[*].image` or `spec.tolerations` (only additions to existing tolerations)',
      },
    ];
  return [];
}

export const podKind = defineKind<Pod>({
  resource: { kind: 'Pod', plural: 'pods', singular: 'pod', shortNames: ['po'], group: '', version: 'v1', namespaced: true },
  schema: Pod,
  defaults: (pod) => defaultPodSpec(pod.spec),
  status: { subresource: true, onCreate: (pod) => ({ phase: 'Pending', conditions: schedulingGatedConditions(pod) }) },
  subresources: ['log', 'eviction', 'binding', 'exec', 'attach', 'portforward', 'proxy'],
  // A replace that leaves out the node keeps it: otherwise the stored pod would come unbound.
  prepareForUpdate: (next, old) => {
    if (!next.spec.nodeName && old.spec.nodeName) next.spec.nodeName = old.spec.nodeName;
    // Priority admission filled these in at create from priorityClassName; a replace need not repeat them.
    if (next.spec.priority === undefined && old.spec.priority !== undefined) next.spec.priority = old.spec.priority;
    if (next.spec.preemptionPolicy === undefined && old.spec.preemptionPolicy !== undefined) next.spec.preemptionPolicy = old.spec.preemptionPolicy;
  },
  validateUpdate: validatePodUpdate,
  deletion: {
    // A pod on a node that can stop it goes when the node reports it stopped; otherwise at once.
    gracePeriod: (pod, requested, env) => {
      const grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
      const node = pod.spec.nodeName;
      const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      return !node || terminal || !env.nodeCanTerminate(node) ? 0 : grace;
    },
  },
  columns: {
    nameColumn: true,
    headers: ['READY', 'STATUS', 'RESTARTS', 'AGE'],
    wideHeaders: ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    cells: (p, now) => [podReady(p), podDisplayStatus(p), podRestarts(p, now), ageSince(p.metadata.creationTimestamp, now)],
    wideCells: (p) => [p.status?.podIP || NONE, p.spec?.nodeName || NONE, NONE, NONE],
  },
  describe: {
    // kubectl's layout, with kip's host ports in place of container host ports.
    write(w, pod, { events }) {
      const st = pod.status ?? {};
      w.field(0, 'Name', pod.metadata.name);
      w.field(0, 'Namespace', pod.metadata.namespace ?? '');
      if (pod.spec?.priority !== undefined) w.field(0, 'Priority', pod.spec.priority);
      if (pod.spec?.priorityClassName) w.field(0, 'Priority Class Name', pod.spec.priorityClassName);
      w.field(0, 'Node', pod.spec?.nodeName ? `${pod.spec.nodeName}/${st.hostIP ?? ''}` : NONE);
      if (st.startTime) w.field(0, 'Start Time', w.date(st.startTime));
      writeLabels(w, '', 'Labels', pod.metadata.labels);
      writeAnnotations(w, '', 'Annotations', pod.metadata.annotations);
      if (pod.metadata.deletionTimestamp) {
        w.field(0, 'Status', `Terminating (lasts ${w.age(pod.metadata.deletionTimestamp)})`);
        w.field(0, 'Termination Grace Period', `${pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30}s`);
      } else {
        w.field(0, 'Status', st.phase ?? 'Pending');
      }
      if (st.reason) w.field(0, 'Reason', st.reason);
      if (st.message) w.field(0, 'Message', st.message.replace(/\n/g, ' '));
      if (st.nominatedNodeName) w.field(0, 'NominatedNodeName', st.nominatedNodeName);
      w.field(0, 'IP', st.podIP ?? '');
      const ips = st.podIPs?.length ? st.podIPs.map((p) => p.ip) : st.podIP ? [st.podIP] : [];
      if (ips.length === 0) w.field(0, 'IPs', NONE);
      else {
        w.write(0, 'IPs:\n');
        for (const ip of ips) w.write(1, `IP:\t${ip}\n`);
      }
      if (st.kipSandbox) w.field(0, 'Sandbox', st.kipSandbox);
      const owner = controllerOf(pod);
      if (owner) w.field(0, 'Controlled By', `${owner.kind}/${owner.name}`);
      if (pod.spec?.initContainers?.length)
        writeContainers(w, '', 'Init Containers', pod.spec.initContainers, { statuses: st.initContainerStatuses ?? [], hostPorts: st.kipHostPorts ?? {} });
      writeContainers(w, '', 'Containers', pod.spec?.containers ?? [], { statuses: st.containerStatuses ?? [], hostPorts: st.kipHostPorts ?? {} });
      if (st.conditions?.length) {
        w.write(0, 'Conditions:\n  Type\tStatus\n');
        for (const c of st.conditions) w.write(1, `${c.type} \t${c.status} \n`);
      }
      writeVolumes(w, '', pod.spec?.volumes);
      w.field(0, 'QoS Class', st.qosClass ?? qosClass(pod));
      writeLabels(w, '', 'Node-Selectors', pod.spec?.nodeSelector);
      writeMultiline(w, '', 'Tolerations', (pod.spec?.tolerations ?? []).map(formatToleration));
      writeEvents(w, events);
    },
  },
});
