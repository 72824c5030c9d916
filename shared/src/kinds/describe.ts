// Describe output as kubectl's describe.go writes it: the writer a section writes to, and the
// sections several kinds share (labels, annotations, containers with their state, probes and
// resources, pod templates, tolerations, and the closing Events table). The CLI supplies the
// writer, which aligns the tab-separated cells.

import { createRequire } from 'node:module';
import type { KObject } from '../api/types.js';
import { envLine, writeEnvFrom, writeMounts, writeVolumes } from './pod-volumes-describe.js';
import type { Container, ContainerState, ContainerStatus, Event, Probe, ResourceList, PodTemplateSpec, Taint, Toleration } from './index.js';

// yaml is loaded on first use: only the CLI describes, and every agent process would otherwise
// pay for loading it at start.
const require = createRequire(import.meta.url);
const yaml = (): typeof import('yaml') => require('yaml') as typeof import('yaml');

/** kubectl describe's PrefixWriter, as a section sees it. */
export interface DescribeOutput {
  /** Writes text at an indent level (two spaces a level); the text carries its own tabs and newline. */
  write(level: number, text: string): void;
  /** `Key:\tvalue` on its own line. */
  field(level: number, key: string, value: string | number | boolean): void;
  /** Ends the alignment runs so far, as kubectl does before the Events table. */
  flush(): void;
  /** A timestamp as describe prints dates. */
  date(ts: string | undefined): string;
  /** A timestamp's age, as tables print it. */
  age(ts: string | undefined): string;
}

/** What a table or describe shows for a value that is not there. */
export const NONE = '<none>';
/** kubectl apply's bookkeeping; describe leaves it out, as kubectl does. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

const byKey = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);

/** `Labels:  a=1` then one more `key=value` per line, aligned under the first. */
export function writeLabels(w: DescribeOutput, indent: string, title: string, labels: Record<string, string> | undefined): void {
  const entries = Object.entries(labels ?? {}).sort(byKey);
  w.write(0, `${indent}${title}:\t`);
  if (entries.length === 0) {
    w.write(0, `${NONE}\n`);
    return;
  }
  entries.forEach(([k, v], i) => {
    if (i > 0) w.write(0, `${indent}\t`);
    w.write(0, `${k}=${v}\n`);
  });
}

export function writeAnnotations(w: DescribeOutput, indent: string, title: string, annotations: Record<string, string> | undefined): void {
  const entries = Object.entries(annotations ?? {})
    .filter(([k]) => k !== LAST_APPLIED_ANNOTATION)
    .sort(byKey);
  w.write(0, `${indent}${title}:\t`);
  if (entries.length === 0) {
    w.write(0, `${NONE}\n`);
    return;
  }
  entries.forEach(([k, v], i) => {
    if (i > 0) w.write(0, `${indent}\t`);
    // Long values (JSON blobs) would swamp the page; kubectl shortens them the same way.
    const shown = v.length > 140 ? `${v.slice(0, 137)}...` : v;
    w.write(0, `${k}: ${shown.replace(/\n/g, ' ')}\n`);
  });
}

export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

export function formatToleration(t: Toleration): string {
  let s = t.key ?? '';
  if (t.value) s += `=${t.value}`;
  if (t.effect) s += `:${t.effect}`;
  if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
  if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
  return s;
}

/** A title and one value per line, aligned: Taints, Tolerations. */
export function writeMultiline(w: DescribeOutput, indent: string, title: string, values: string[]): void {
  w.write(0, `${indent}${title}:\t`);
  if (values.length === 0) {
    w.write(0, `${NONE}\n`);
    return;
  }
  values.forEach((v, i) => {
    if (i > 0) w.write(0, `${indent}\t`);
    w.write(0, `${v}\n`);
  });
}

export function describeProbe(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${p.exec.command.join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const scheme = (p.httpGet.scheme ?? 'HTTP').toLowerCase();
    return `http-get ${scheme}://${p.httpGet.host ?? ''}:${p.httpGet.port}${p.httpGet.path ?? '/'} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port} ${attrs}`;
  return `unknown ${attrs}`;
}

function writeState(w: DescribeOutput, title: string, state: ContainerState | undefined): void {
  if (state?.running) {
    w.write(2, `${title}:\tRunning\n`);
    w.write(3, `Started:\t${w.date(state.running.startedAt)}\n`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.write(2, `${title}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message.trim().replace(/\n/g, ' ')}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if (t.signal) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${w.date(t.startedAt)}\n`);
    w.write(3, `Finished:\t${w.date(t.finishedAt)}\n`);
  } else {
    w.write(2, `${title}:\tWaiting\n`);
    if (state?.waiting?.reason) w.write(3, `Reason:\t${state.waiting.reason}\n`);
    if (state?.waiting?.message) w.write(3, `Message:\t${state.waiting.message.trim().replace(/\n/g, ' ')}\n`);
  }
}

function writeResources(w: DescribeOutput, title: string, list: ResourceList | undefined): void {
  const entries = Object.entries(list ?? {}).sort(byKey);
  if (entries.length === 0) return;
  w.write(2, `${title}:\n`);
  for (const [name, q] of entries) w.write(3, `${name}:\t${q}\n`);
}

export interface ContainerContext {
  statuses?: ContainerStatus[];
  /** kip's status.kipHostPorts: "container/port" -> host port. */
  hostPorts?: Record<string, number>;
}

function hostPortOf(ctx: ContainerContext, c: Container, port: { name?: string; containerPort: number }): string {
  const hp = ctx.hostPorts?.[`${c.name}/${port.containerPort}`] ?? (port.name ? ctx.hostPorts?.[`${c.name}/${port.name}`] : undefined);
  return `${hp ?? 0}/TCP`;
}

/** `Containers:` and each container, as in a pod (with statuses) or in a pod template (without). */
export function writeContainers(w: DescribeOutput, indent: string, title: string, containers: Container[], ctx: ContainerContext = {}): void {
  w.write(0, `${indent}${title}:\n`);
  const nameIndent = indent ? ' ' : '';
  for (const c of containers) {
    const status = ctx.statuses?.find((s) => s.name === c.name);
    w.write(1, `${nameIndent}${c.name}:\n`);
    if (status) w.write(2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? NONE}\n`);
    if (status) w.write(2, `Image ID:\t${status.imageID ?? ''}\n`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`);
    w.write(2, `${ports.length > 1 ? 'Ports' : 'Port'}:\t${ports.join(', ') || NONE}\n`);
    const hostPorts = (c.ports ?? []).map((p) => hostPortOf(ctx, c, p));
    w.write(2, `${hostPorts.length > 1 ? 'Host Ports' : 'Host Port'}:\t${hostPorts.join(', ') || NONE}\n`);
    if (c.command?.length) {
      w.write(2, 'Command:\n');
      for (const part of c.command) for (const line of part.split('\n')) w.write(3, `${line}\n`);
    }
    if (c.args?.length) {
      w.write(2, 'Args:\n');
      for (const part of c.args) for (const line of part.split('\n')) w.write(3, `${line}\n`);
    }
    if (status) {
      writeState(w, 'State', status.state);
      if (status.lastState?.terminated) writeState(w, 'Last State', status.lastState);
      w.write(2, `Ready:\t${status.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${status.restartCount ?? 0}\n`);
    }
    writeResources(w, 'Limits', c.resources?.limits);
    writeResources(w, 'Requests', c.resources?.requests);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    writeEnvFrom(w, c);
    if (!c.env?.length) w.write(2, `Environment:\t${NONE}\n`);
    else {
      w.write(2, 'Environment:\n');
      for (const e of c.env) w.write(3, `${envLine(c, e)}\n`);
    }
    writeMounts(w, c);
  }
}

export function writePodTemplate(w: DescribeOutput, template: PodTemplateSpec | undefined): void {
  w.write(0, 'Pod Template:\n');
  if (!template) {
    w.write(1, '<unset>\n');
    return;
  }
  writeLabels(w, '  ', 'Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) writeAnnotations(w, '  ', 'Annotations', template.metadata?.annotations);
  writeContainers(w, '  ', 'Containers', template.spec?.containers ?? []);
  if (template.spec?.volumes?.length) writeVolumes(w, '  ', template.spec.volumes);
  if (Object.keys(template.spec?.nodeSelector ?? {}).length > 0) writeLabels(w, '  ', 'Node-Selectors', template.spec?.nodeSelector);
  if ((template.spec?.tolerations ?? []).length > 0) writeMultiline(w, '  ', 'Tolerations', (template.spec?.tolerations ?? []).map(formatToleration));
}

/** The closing Events table: `Type Reason Age From Message`, or `Events: <none>`. */
export function writeEvents(w: DescribeOutput, events: readonly Event[]): void {
  if (events.length === 0) {
    w.write(0, `Events:\t${NONE}\n`);
    return;
  }
  w.flush();
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of events) {
    const first = w.age(e.firstTimestamp ?? e.metadata.creationTimestamp);
    const interval = (e.count ?? 1) > 1 ? `${w.age(e.lastTimestamp)} (x${e.count} over ${first})` : first;
    const from = e.source?.component || e.reportingComponent || '';
    w.write(1, `${e.type}\t${e.reason}\t${interval}\t${from}\t${(e.message ?? '').trim().replace(/\n/g, ' ')}\n`);
  }
}

function titleCase(key: string): string {
  return key.length === 0 ? key : key[0]!.toUpperCase() + key.slice(1);
}

/**
 * Describe for kinds without a layout of their own: the metadata kubectl always shows, then the
 * rest of the object as indented YAML, then its events unless there are none to show.
 */
export function writeGeneric(w: DescribeOutput, obj: KObject, events?: readonly Event[]): void {
  w.field(0, 'Name', obj.metadata.name);
  if (obj.metadata.namespace) w.field(0, 'Namespace', obj.metadata.namespace);
  writeLabels(w, '', 'Labels', obj.metadata.labels);
  writeAnnotations(w, '', 'Annotations', obj.metadata.annotations);
  w.field(0, 'API Version', obj.apiVersion);
  w.field(0, 'Kind', obj.kind);
  for (const [key, value] of Object.entries(obj as unknown as Record<string, unknown>)) {
    if (['apiVersion', 'kind', 'metadata'].includes(key) || value === undefined) continue;
    if (value !== null && typeof value === 'object') {
      w.write(0, `${titleCase(key)}:\n`);
      const text = yaml().stringify(value, { indentSeq: false, lineWidth: 0 }).trimEnd();
      // No tabs inside: a value's own layout must not join the aligned columns.
      for (const line of text.split('\n')) w.write(1, `${line.replace(/\t/g, ' ')}\n`);
    } else {
      w.field(0, titleCase(key), String(value));
    }
  }
  if (events) writeEvents(w, events);
}
