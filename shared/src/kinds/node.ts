// Node: one agent process, registered by the agent and watched by the node lifecycle controller.

import { Type, type Static } from '@sinclair/typebox';
import { isPodTerminal } from '../api/meta.js';
import { formatBytes, formatCpuMillis, parseBytes, parseCpuMillis } from '../api/quantity.js';
import { isLabelKey } from '../api/selector.js';
import type { Pod } from './pod.js';
import { child, type Obj } from '../validation/errors.js';
import { notRequiredOnInput, READ_ONLY, StringEnum, withCheck } from '../validation/schema.js';
import { mergeByKey } from '../validation/patch-keys.js';
import { ageSince } from './age.js';
import { formatTaint, NONE, writeAnnotations, writeEvents, writeLabels, writeMultiline, type DescribeOutput } from './describe.js';
import { defineKind } from './kind.js';
import { ConditionStatus, ObjectMeta, ResourceList, TaintEffect } from './meta.js';

export const Taint = withCheck(
  Type.Object({
    key: Type.String({ minLength: 1 }),
    value: Type.Optional(Type.String()),
    effect: TaintEffect,
    timeAdded: Type.Optional(Type.String()),
  }),
  (t: Obj, field, errors) => {
    if (typeof t.key === 'string' && t.key && !isLabelKey(t.key)) errors.invalid(child(field, 'key'), t.key, 'must be a valid label key');
  },
);
export type Taint = Static<typeof Taint>;

export const NodeCondition = Type.Object({
  type: StringEnum(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']),
  status: ConditionStatus,
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastHeartbeatTime: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
});
export type NodeCondition = Static<typeof NodeCondition>;

export const NodeAddress = Type.Object({ type: StringEnum(['InternalIP', 'Hostname', 'ExternalIP']), address: Type.String() });
export type NodeAddress = Static<typeof NodeAddress>;

export const NodeSystemInfo = Type.Object({
  operatingSystem: Type.String(),
  architecture: Type.String(),
  kernelVersion: Type.Optional(Type.String()),
  kubeletVersion: Type.String(),
  /** kip extension: the OS pid of the agent process that is this node. */
  agentPid: Type.Integer(),
  /** kip extension: where the agent's tunnel listens for traffic from other agents. */
  tunnelEndpoint: Type.Optional(Type.String()),
});
export type NodeSystemInfo = Static<typeof NodeSystemInfo>;

export const NodeSpec = Type.Object({
  podCIDR: Type.Optional(Type.String()),
  podCIDRs: Type.Optional(Type.Array(Type.String())),
  unschedulable: Type.Optional(Type.Boolean()),
  taints: Type.Optional(Type.Array(Taint)),
});
export type NodeSpec = Static<typeof NodeSpec>;

export const NodeStatus = Type.Object(
  {
    capacity: Type.Optional(ResourceList),
    allocatable: Type.Optional(ResourceList),
    conditions: Type.Optional(Type.Array(NodeCondition, mergeByKey('type'))),
    addresses: Type.Optional(Type.Array(NodeAddress, mergeByKey('type'))),
    nodeInfo: Type.Optional(NodeSystemInfo),
  },
  READ_ONLY,
);
export type NodeStatus = Static<typeof NodeStatus>;

// A manifest may leave the spec out: a node needs none to register.
export const Node = notRequiredOnInput(
  Type.Object({
    apiVersion: Type.Literal('v1'),
    kind: Type.Literal('Node'),
    metadata: ObjectMeta,
    spec: NodeSpec,
    status: Type.Optional(NodeStatus),
  }),
  'spec',
);
export type Node = Static<typeof Node>;

// ---------------------------------------------------------------------------------------------
// Printing

/** STATUS of a node: Ready, NotReady or Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatus(node: Node): string {
  const parts: string[] = [];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready) parts.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else parts.push('Unknown');
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size === 0 ? NONE : [...roles].sort().join(',');
}

function nodeAddress(node: Node, type: 'InternalIP' | 'ExternalIP'): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address || NONE;
}

type NodeInfoExtras = { osImage?: string; containerRuntimeVersion?: string };

interface PodTotals {
  cpuReq: number;
  cpuLim: number;
  memReq: number;
  memLim: number;
}

/** Requests and limits as kubectl's describe sums them (a container's limit does not default its request here). */
export function podTotals(pod: Pod): PodTotals {
  const t: PodTotals = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0 };
  for (const c of pod.spec?.containers ?? []) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    t.cpuReq += parseCpuMillis(req.cpu ?? lim.cpu);
    t.memReq += parseBytes(req.memory ?? lim.memory);
    t.cpuLim += parseCpuMillis(lim.cpu);
    t.memLim += parseBytes(lim.memory);
  }
  return t;
}

const pct = (v: number, of: number) => (of > 0 ? Math.trunc((v / of) * 100) : 0);
const cpu = (m: number) => (m === 0 ? '0' : formatCpuMillis(m));
const mem = (b: number) => (b === 0 ? '0' : formatBytes(b));

function resourceList(w: DescribeOutput, title: string, list: Record<string, string> | undefined): void {
  w.write(0, `${title}:\n`);
  for (const [k, v] of Object.entries(list ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) w.write(1, `${k}:\t${v}\n`);
}

/** kubectl's layout, with the agent's pid in System Info, and the pods on the node with their share of its allocatable cpu and memory. */
function describeNode(w: DescribeOutput, node: Node, allPods: readonly Pod[], events: Parameters<typeof writeEvents>[1]): void {
  const pods = allPods.filter((p) => !isPodTerminal(p));
  const st = node.status ?? {};
  w.field(0, 'Name', node.metadata.name);
  w.field(0, 'Roles', nodeRoles(node));
  writeLabels(w, '', 'Labels', node.metadata.labels);
  writeAnnotations(w, '', 'Annotations', node.metadata.annotations);
  w.field(0, 'CreationTimestamp', w.date(node.metadata.creationTimestamp));
  writeMultiline(w, '', 'Taints', (node.spec?.taints ?? []).map(formatTaint));
  w.field(0, 'Unschedulable', node.spec?.unschedulable ? 'true' : 'false');
  if (st.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of st.conditions)
      w.write(1, `${c.type} \t${c.status} \t${w.date(c.lastHeartbeatTime)} \t${w.date(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
  }
  w.write(0, 'Addresses:\n');
  for (const a of st.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);
  if (st.capacity) resourceList(w, 'Capacity', st.capacity);
  if (st.allocatable) resourceList(w, 'Allocatable', st.allocatable);
  const info = st.nodeInfo;
  if (info) {
    w.write(0, 'System Info:\n');
    w.write(1, `Operating System:\t${info.operatingSystem ?? ''}\n`);
    w.write(1, `Architecture:\t${info.architecture ?? ''}\n`);
    if (info.kernelVersion) w.write(1, `Kernel Version:\t${info.kernelVersion}\n`);
    w.write(1, `Kubelet Version:\t${info.kubeletVersion ?? ''}\n`);
    w.write(1, `Agent PID:\t${info.agentPid ?? ''}\n`);
    if (info.tunnelEndpoint) w.write(1, `Tunnel Endpoint:\t${info.tunnelEndpoint}\n`);
  }
  if (node.spec?.podCIDR) w.field(0, 'PodCIDR', node.spec.podCIDR);
  if (node.spec?.podCIDRs?.length) w.field(0, 'PodCIDRs', node.spec.podCIDRs.join(','));

  const allocCpu = parseCpuMillis(st.allocatable?.cpu);
  const allocMem = parseBytes(st.allocatable?.memory);
  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  const totals: PodTotals = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0 };
  if (pods.length > 0) {
    w.write(1, 'Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
    w.write(1, '---------\t----\t------------\t----------\t---------------\t-------------\t---\n');
    for (const p of pods) {
      const t = podTotals(p);
      totals.cpuReq += t.cpuReq;
      totals.cpuLim += t.cpuLim;
      totals.memReq += t.memReq;
      totals.memLim += t.memLim;
      w.write(
        1,
        `${p.metadata.namespace ?? ''}\t${p.metadata.name}\t${cpu(t.cpuReq)} (${pct(t.cpuReq, allocCpu)}%)\t${cpu(t.cpuLim)} (${pct(t.cpuLim, allocCpu)}%)\t` +
          `${mem(t.memReq)} (${pct(t.memReq, allocMem)}%)\t${mem(t.memLim)} (${pct(t.memLim, allocMem)}%)\t${w.age(p.metadata.creationTimestamp)}\n`,
      );
    }
  }
  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  w.write(1, `cpu\t${cpu(totals.cpuReq)} (${pct(totals.cpuReq, allocCpu)}%)\t${cpu(totals.cpuLim)} (${pct(totals.cpuLim, allocCpu)}%)\n`);
  w.write(1, `memory\t${mem(totals.memReq)} (${pct(totals.memReq, allocMem)}%)\t${mem(totals.memLim)} (${pct(totals.memLim, allocMem)}%)\n`);
  writeEvents(w, events);
}

export const nodeKind = defineKind<Node>({
  resource: { kind: 'Node', plural: 'nodes', singular: 'node', shortNames: ['no'], group: '', version: 'v1', namespaced: false },
  schema: Node,
  status: { subresource: true, onCreate: 'keep' },
  columns: {
    nameColumn: true,
    headers: ['STATUS', 'ROLES', 'AGE', 'VERSION'],
    wideHeaders: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME', 'AGENT-PID'],
    cells: (n, now) => [nodeStatus(n), nodeRoles(n), ageSince(n.metadata.creationTimestamp, now), n.status?.nodeInfo?.kubeletVersion || ''],
    wideCells: (n) => {
      const info = n.status?.nodeInfo;
      const extra = (info ?? {}) as NodeInfoExtras;
      const os = extra.osImage || (info ? `${info.operatingSystem}/${info.architecture}` : '<unknown>');
      return [
        nodeAddress(n, 'InternalIP'),
        nodeAddress(n, 'ExternalIP'),
        os,
        info?.kernelVersion || '<unknown>',
        extra.containerRuntimeVersion || (info ? 'kip-process' : '<unknown>'),
        info?.agentPid ? String(info.agentPid) : NONE,
      ];
    },
  },
  describe: {
    related: (node) => ({ pods: { kind: 'Pod', fieldSelector: `spec.nodeName=${node.metadata.name}` } }),
    write: (w, node, { events, objects }) => describeNode(w, node, (objects.pods ?? []) as Pod[], events),
  },
});
