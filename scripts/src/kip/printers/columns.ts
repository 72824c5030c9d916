// The columns of `kip get` per kind, computed as kubectl's table printers compute them
// (k8s.io/kubernetes pkg/printers/internalversion), plus kip's AGENT-PID for nodes.

import {
  fromLabelSelector,
  podDisplayStatus,
  selectorToString,
  type Deployment,
  type Endpoints,
  type Event,
  type NetworkChaos,
  type NodeChaos,
  type KObject,
  type Node,
  type Pod,
  type PodTemplateSpec,
  type ReplicaSet,
  type Namespace,
  type Service,
} from '@kip/shared';
import { ageSince, humanDuration } from './age.js';

export const NONE = '<none>';

export interface ColumnSet<T extends KObject = KObject> {
  /** Tables of most kinds start with NAME; events do not. */
  nameColumn: boolean;
  headers: string[];
  wideHeaders: string[];
  cells(obj: T, now: number): string[];
  wideCells(obj: T, now: number): string[];
}

// ---------------------------------------------------------------------------------------------
// Pods

export function podReady(pod: Pod): string {
  const total = pod.spec?.containers?.length ?? 0;
  const ready = (pod.status?.containerStatuses ?? []).filter((cs) => cs.ready && cs.state?.running).length;
  return `${ready}/${total}`;
}

/** RESTARTS, with how long ago the last one was, as kubectl 1.22+ shows it: `3 (2m ago)`. */
export function podRestarts(pod: Pod, now: number): string {
  let restarts = 0;
  let last = 0;
  for (const cs of pod.status?.containerStatuses ?? []) {
    restarts += cs.restartCount ?? 0;
    const finished = cs.lastState?.terminated?.finishedAt;
    if (finished) last = Math.max(last, Date.parse(finished) || 0);
  }
  if (restarts !== 0 && last > 0) return `${restarts} (${ageSince(new Date(last).toISOString(), now)} ago)`;
  return String(restarts);
}

const podColumns: ColumnSet<Pod> = {
  nameColumn: true,
  headers: ['READY', 'STATUS', 'RESTARTS', 'AGE'],
  wideHeaders: ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
  cells: (p, now) => [podReady(p), podDisplayStatus(p), podRestarts(p, now), ageSince(p.metadata.creationTimestamp, now)],
  wideCells: (p) => [p.status?.podIP || NONE, p.spec?.nodeName || NONE, NONE, NONE],
};

// ---------------------------------------------------------------------------------------------
// Nodes

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

const nodeColumns: ColumnSet<Node> = {
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
};

// ---------------------------------------------------------------------------------------------
// Workloads

function containerNames(t: PodTemplateSpec | undefined): string {
  return (t?.spec?.containers ?? []).map((c) => c.name).join(',') || NONE;
}
function containerImages(t: PodTemplateSpec | undefined): string {
  return (t?.spec?.containers ?? []).map((c) => c.image ?? (c.command ?? []).join(' ')).join(',') || NONE;
}
function selectorText(obj: { spec?: { selector?: Parameters<typeof fromLabelSelector>[0] } }): string {
  return selectorToString(fromLabelSelector(obj.spec?.selector)) || NONE;
}

const deploymentColumns: ColumnSet<Deployment> = {
  nameColumn: true,
  headers: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  cells: (d, now) => [
    `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
    String(d.status?.updatedReplicas ?? 0),
    String(d.status?.availableReplicas ?? 0),
    ageSince(d.metadata.creationTimestamp, now),
  ],
  wideCells: (d) => [containerNames(d.spec?.template), containerImages(d.spec?.template), selectorText(d)],
};

const replicaSetColumns: ColumnSet<ReplicaSet> = {
  nameColumn: true,
  headers: ['DESIRED', 'CURRENT', 'READY', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  cells: (rs, now) => [String(rs.spec?.replicas ?? 0), String(rs.status?.replicas ?? 0), String(rs.status?.readyReplicas ?? 0), ageSince(rs.metadata.creationTimestamp, now)],
  wideCells: (rs) => [containerNames(rs.spec?.template), containerImages(rs.spec?.template), selectorText(rs)],
};

// ---------------------------------------------------------------------------------------------
// Services and endpoints

export function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return NONE;
  return ports
    .map((p) => {
      const nodePort = (p as { nodePort?: number }).nodePort;
      return `${p.port}${nodePort ? `:${nodePort}` : ''}/${p.protocol ?? 'TCP'}`;
    })
    .join(',');
}

const serviceColumns: ColumnSet<Service> = {
  nameColumn: true,
  headers: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
  wideHeaders: ['SELECTOR'],
  cells: (s, now) => [s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP || NONE, NONE, servicePorts(s), ageSince(s.metadata.creationTimestamp, now)],
  wideCells: (s) => [
    Object.entries(s.spec?.selector ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || NONE,
  ],
};

/** `10.244.1.2:8080,10.244.2.3:8080 + 1 more...`, as kubectl shortens endpoint lists. */
export function formatEndpoints(ep: Endpoints, max = 3): string {
  const all: string[] = [];
  for (const subset of ep.subsets ?? []) {
    for (const a of subset.addresses ?? []) {
      if ((subset.ports ?? []).length === 0) all.push(a.ip);
      for (const p of subset.ports ?? []) all.push(`${a.ip}:${p.port}`);
    }
  }
  if (all.length === 0) return NONE;
  const shown = all.slice(0, max).join(',');
  return all.length > max ? `${shown} + ${all.length - max} more...` : shown;
}

const endpointsColumns: ColumnSet<Endpoints> = {
  nameColumn: true,
  headers: ['ENDPOINTS', 'AGE'],
  wideHeaders: [],
  cells: (e, now) => [formatEndpoints(e), ageSince(e.metadata.creationTimestamp, now)],
  wideCells: () => [],
};

// ---------------------------------------------------------------------------------------------
// Events

export function eventTime(e: Event): string | undefined {
  return e.lastTimestamp || e.firstTimestamp || (e as { eventTime?: string }).eventTime || e.metadata.creationTimestamp;
}

/**
 * Oldest first, as `kubectl events` and a reader of a timeline expect. Event times have whole
 * seconds only, so events of one second (Scheduled, Pulled, Created, Started) are put in the order
 * the store wrote them, by resourceVersion, instead of the random order of their names.
 */
export function sortEvents(events: Event[]): Event[] {
  const rv = (e: Event) => Number(e.metadata.resourceVersion) || 0;
  return [...events].sort((a, b) => (Date.parse(eventTime(a) ?? '') || 0) - (Date.parse(eventTime(b) ?? '') || 0) || rv(a) - rv(b));
}

function eventObject(e: Event): string {
  const kind = (e.involvedObject?.kind ?? '').toLowerCase();
  return e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
}

const eventColumns: ColumnSet<Event> = {
  nameColumn: false,
  headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  wideHeaders: ['SUBOBJECT', 'SOURCE', 'FIRST SEEN', 'COUNT', 'NAME'],
  cells: (e, now) => [ageSince(eventTime(e), now), e.type ?? '', e.reason ?? '', eventObject(e), (e.message ?? '').trim()],
  wideCells: (e, now) => [
    e.involvedObject?.fieldPath ?? '',
    [e.source?.component ?? e.reportingComponent ?? '', e.source?.host].filter(Boolean).join(', '),
    ageSince(e.firstTimestamp ?? eventTime(e), now),
    String(e.count ?? 1),
    e.metadata.name,
  ],
};

// ---------------------------------------------------------------------------------------------
// Chaos (NodeChaos, NetworkChaos)

/** MODE as `one`, `fixed 2`, `fixed-percent 50%`; `all` when none is set. */
export function chaosMode(spec: { mode?: string; value?: string | number }): string {
  const mode = spec.mode ?? 'all';
  if (spec.value === undefined) return mode;
  return mode.endsWith('percent') ? `${mode} ${String(spec.value).replace(/%$/, '')}%` : `${mode} ${spec.value}`;
}

/** SCHEDULE as `every 10s x5`, `cron 0 * * * *`, or <none>. */
export function chaosSchedule(spec: { schedule?: { interval?: string; cron?: string; count?: number } }): string {
  const s = spec.schedule;
  if (!s) return NONE;
  const base = s.interval ? `every ${s.interval}` : s.cron ? `cron ${s.cron}` : NONE;
  return s.count !== undefined ? `${base} x${s.count}` : base;
}

function chaosCells(c: NodeChaos | NetworkChaos, now: number): string[] {
  return [c.spec?.action ?? '', chaosMode(c.spec ?? {}), c.spec?.duration ?? NONE, c.status?.phase ?? 'Pending', String(c.status?.runs ?? 0), ageSince(c.metadata.creationTimestamp, now)];
}

function chaosWideCells(c: NodeChaos | NetworkChaos, now: number): string[] {
  const next = c.status?.nextRunTime;
  const nextRun = next ? (Date.parse(next) > now ? `in ${humanDuration(Date.parse(next) - now)}` : 'now') : NONE;
  return [(c.status?.affected ?? []).join(',') || NONE, (c.status?.targets ?? []).join(',') || NONE, chaosSchedule(c.spec ?? {}), nextRun];
}

const chaosColumns: ColumnSet<NodeChaos | NetworkChaos> = {
  nameColumn: true,
  headers: ['ACTION', 'MODE', 'DURATION', 'PHASE', 'RUNS', 'AGE'],
  wideHeaders: ['AFFECTED', 'TARGETS', 'SCHEDULE', 'NEXT RUN'],
  cells: chaosCells,
  wideCells: chaosWideCells,
};

// ---------------------------------------------------------------------------------------------

const namespaceColumns: ColumnSet<Namespace> = {
  nameColumn: true,
  headers: ['STATUS', 'AGE'],
  wideHeaders: [],
  cells: (n, now) => [n.status?.phase ?? 'Active', ageSince(n.metadata.creationTimestamp, now)],
  wideCells: () => [],
};

const genericColumns: ColumnSet = {
  nameColumn: true,
  headers: ['AGE'],
  wideHeaders: [],
  cells: (o, now) => [ageSince(o.metadata.creationTimestamp, now)],
  wideCells: () => [],
};

const BY_KIND: Record<string, ColumnSet<never>> = {
  Namespace: namespaceColumns,
  Pod: podColumns,
  Node: nodeColumns,
  Deployment: deploymentColumns,
  ReplicaSet: replicaSetColumns,
  Service: serviceColumns,
  Endpoints: endpointsColumns,
  Event: eventColumns,
  NodeChaos: chaosColumns,
  NetworkChaos: chaosColumns,
};

export function columnsFor(kind: string): ColumnSet {
  return (BY_KIND[kind] as unknown as ColumnSet | undefined) ?? genericColumns;
}
