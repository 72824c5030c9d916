// Validation of objects coming from outside (manifests, API bodies). Each rule names the field by
// its path (`spec.template.spec.containers[0].image`) and says why, as the Kubernetes API server does.

import { isQuantity, parseQuantity } from './quantity.js';
import { resourceByKind, apiVersionOf } from './resources.js';
import { fromLabelSelector, isLabelKey, isLabelValue, matches } from './selector.js';
import { validateChaosSpec } from '../chaos/validate.js';

export interface FieldError {
  field: string;
  message: string;
}

type Obj = Record<string, unknown>;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function isDNS1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}
export function isDNS1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Collects errors under a field path. */
class Checker {
  readonly errors: FieldError[] = [];
  err(field: string, message: string): void {
    this.errors.push({ field, message });
  }
  /** Requires an object at `field`; reports and returns undefined otherwise. */
  obj(v: unknown, field: string, required = false): Obj | undefined {
    if (v === undefined || v === null) {
      if (required) this.err(field, 'Required value');
      return undefined;
    }
    if (!isObj(v)) {
      this.err(field, `must be an object, not ${describe(v)}`);
      return undefined;
    }
    return v;
  }
  arr(v: unknown, field: string, required = false): unknown[] | undefined {
    if (v === undefined || v === null) {
      if (required) this.err(field, 'Required value');
      return undefined;
    }
    if (!Array.isArray(v)) {
      this.err(field, `must be a list, not ${describe(v)}`);
      return undefined;
    }
    return v;
  }
  str(v: unknown, field: string, required = false): string | undefined {
    if (v === undefined || v === null) {
      if (required) this.err(field, 'Required value');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.err(field, `must be a string, not ${describe(v)}`);
      return undefined;
    }
    if (required && v === '') this.err(field, 'Required value');
    return v;
  }
  strings(v: unknown, field: string): string[] | undefined {
    const a = this.arr(v, field);
    if (!a) return undefined;
    // A list item cannot be left out: null is not a string (where str alone would let it pass).
    a.forEach((s, i) => (s === null || s === undefined ? this.err(`${field}[${i}]`, `must be a string, not ${describe(null)}`) : this.str(s, `${field}[${i}]`)));
    return a as string[];
  }
  int(v: unknown, field: string, min?: number, max?: number): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isInt(v)) {
      this.err(field, `must be an integer, not ${describe(v)}`);
      return undefined;
    }
    if (min !== undefined && v < min) this.err(field, `must be greater than or equal to ${min}`);
    if (max !== undefined && v > max) this.err(field, `must be less than or equal to ${max}`);
    return v;
  }
  bool(v: unknown, field: string): void {
    if (v !== undefined && typeof v !== 'boolean') this.err(field, `must be true or false, not ${describe(v)}`);
  }
  oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): void {
    if (v === undefined) return;
    if (typeof v !== 'string' || !allowed.includes(v as T))
      this.err(field, `Unsupported value: ${JSON.stringify(v)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  stringMap(v: unknown, field: string): Record<string, string> | undefined {
    const o = this.obj(v, field);
    if (!o) return undefined;
    for (const [k, val] of Object.entries(o)) if (typeof val !== 'string') this.err(`${field}.${k}`, `must be a string, not ${describe(val)}`);
    return o as Record<string, string>;
  }
  labels(v: unknown, field: string): void {
    const m = this.stringMap(v, field);
    if (!m) return;
    for (const [k, val] of Object.entries(m)) {
      if (!isLabelKey(k)) this.err(`${field}`, `Invalid value: "${k}": a label key must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS prefix and '/'`);
      if (typeof val === 'string' && !isLabelValue(val))
        this.err(`${field}.${k}`, `Invalid value: "${val}": a label value must be 63 characters or less, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character`);
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Validates any object the API accepts. An empty list means valid. */
export function validateObject(o: unknown): FieldError[] {
  const c = new Checker();
  if (!isObj(o)) {
    c.err('', `the body must be a JSON or YAML object, not ${describe(o)}`);
    return c.errors;
  }
  const kind = c.str(o.kind, 'kind', true);
  const apiVersion = c.str(o.apiVersion, 'apiVersion', true);
  if (!kind || !apiVersion) return c.errors;
  const r = resourceByKind(kind);
  if (!r) {
    c.err('kind', `Unsupported value: "${kind}": kip does not serve this kind`);
    return c.errors;
  }
  if (apiVersionOf(r) !== apiVersion) c.err('apiVersion', `Invalid value: "${apiVersion}": ${kind} is served as "${apiVersionOf(r)}"`);
  validateMeta(c, o.metadata, r.namespaced);
  switch (kind) {
    case 'Pod':
      validatePodSpec(c, o.spec, 'spec');
      break;
    case 'ReplicaSet':
    case 'Deployment':
      validateWorkload(c, o, kind);
      break;
    case 'Node':
      validateNode(c, o);
      break;
    case 'Namespace': {
      const name = (o.metadata as Obj | undefined)?.name;
      if (typeof name === 'string' && name && !isDNS1123Label(name))
        c.err('metadata.name', `Invalid value: "${name}": a namespace name must be a lowercase RFC 1123 label (at most 63 characters)`);
      break;
    }
    case 'Service':
      validateService(c, o.spec, 'spec');
      break;
    case 'Event':
      c.obj(o.involvedObject, 'involvedObject', true);
      c.str(o.reason, 'reason');
      c.str(o.message, 'message');
      c.oneOf(o.type, 'type', ['Normal', 'Warning']);
      break;
    case 'NodeChaos':
    case 'NetworkChaos':
      c.errors.push(...validateChaosSpec(kind, o.spec));
      break;
    default:
      break;
  }
  return c.errors;
}

function validateMeta(c: Checker, m: unknown, namespaced: boolean): void {
  const meta = c.obj(m, 'metadata', true);
  if (!meta) return;
  const name = c.str(meta.name, 'metadata.name');
  const generateName = c.str(meta.generateName, 'metadata.generateName');
  if (!name && !generateName) c.err('metadata.name', 'Required value: name or generateName is required');
  if (name && !isDNS1123Subdomain(name))
    c.err('metadata.name', `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`);
  if (generateName && !isDNS1123Subdomain(`${generateName}a`)) c.err('metadata.generateName', `Invalid value: "${generateName}": must be a valid name prefix`);
  const ns = c.str(meta.namespace, 'metadata.namespace');
  if (ns !== undefined && namespaced && !isDNS1123Label(ns)) c.err('metadata.namespace', `Invalid value: "${ns}": a namespace must be a lowercase RFC 1123 label`);
  c.labels(meta.labels, 'metadata.labels');
  c.stringMap(meta.annotations, 'metadata.annotations');
  const owners = c.arr(meta.ownerReferences, 'metadata.ownerReferences');
  owners?.forEach((or, i) => {
    const f = `metadata.ownerReferences[${i}]`;
    const o = c.obj(or, f, true);
    if (!o) return;
    c.str(o.kind, `${f}.kind`, true);
    c.str(o.name, `${f}.name`, true);
    c.str(o.uid, `${f}.uid`, true);
    c.str(o.apiVersion, `${f}.apiVersion`, true);
  });
}

function validateResources(c: Checker, v: unknown, f: string): void {
  const res = c.obj(v, f);
  if (!res) return;
  for (const part of ['requests', 'limits'] as const) {
    const list = c.obj(res[part], `${f}.${part}`);
    if (!list) continue;
    for (const [name, q] of Object.entries(list)) {
      const field = `${f}.${part}.${name}`;
      if (!['cpu', 'memory', 'ephemeral-storage', 'pods'].includes(name)) {
        c.err(field, `Unsupported value: "${name}": supported resources: "cpu", "memory"`);
        continue;
      }
      if (!isQuantity(q)) c.err(field, `Invalid value: ${JSON.stringify(q)}: must be a quantity such as "250m", "0.5", "128Mi" or "1Gi"`);
      else if ((parseQuantity(q as string) ?? 0) < 0) c.err(field, `Invalid value: ${JSON.stringify(q)}: must be greater than or equal to 0`);
    }
  }
  const req = isObj(res.requests) ? res.requests : {};
  const lim = isObj(res.limits) ? res.limits : {};
  for (const name of Object.keys(req)) {
    if (lim[name] === undefined || !isQuantity(req[name]) || !isQuantity(lim[name])) continue;
    if (parseQuantity(req[name] as string)! > parseQuantity(lim[name] as string)!)
      c.err(`${f}.requests`, `Invalid value: "${String(req[name])}": must be less than or equal to ${name} limit of ${String(lim[name])}`);
  }
}

function validatePortRef(c: Checker, v: unknown, f: string, portNames: Set<string>): void {
  if (v === undefined) return c.err(f, 'Required value');
  if (typeof v === 'number') {
    c.int(v, f, 1, 65535);
    return;
  }
  if (typeof v === 'string') {
    if (!portNames.has(v)) c.err(f, `Invalid value: "${v}": must be a port number or the name of a declared container port`);
    return;
  }
  c.err(f, `must be a port number or name, not ${describe(v)}`);
}

function validateProbe(c: Checker, v: unknown, f: string, portNames: Set<string>): void {
  const p = c.obj(v, f);
  if (!p) return;
  const handlers = (['exec', 'httpGet', 'tcpSocket'] as const).filter((h) => p[h] !== undefined);
  if (handlers.length !== 1) c.err(f, `must specify exactly one of exec, httpGet, tcpSocket (found ${handlers.length})`);
  const exec = c.obj(p.exec, `${f}.exec`);
  if (exec) {
    const cmd = c.strings(exec.command, `${f}.exec.command`);
    if (!cmd || cmd.length === 0) c.err(`${f}.exec.command`, 'Required value');
  }
  const http = c.obj(p.httpGet, `${f}.httpGet`);
  if (http) {
    validatePortRef(c, http.port, `${f}.httpGet.port`, portNames);
    c.str(http.path, `${f}.httpGet.path`);
    c.oneOf(http.scheme, `${f}.httpGet.scheme`, ['HTTP']);
  }
  const tcp = c.obj(p.tcpSocket, `${f}.tcpSocket`);
  if (tcp) validatePortRef(c, tcp.port, `${f}.tcpSocket.port`, portNames);
  c.int(p.initialDelaySeconds, `${f}.initialDelaySeconds`, 0);
  c.int(p.periodSeconds, `${f}.periodSeconds`, 1);
  c.int(p.timeoutSeconds, `${f}.timeoutSeconds`, 1);
  c.int(p.successThreshold, `${f}.successThreshold`, 1);
  c.int(p.failureThreshold, `${f}.failureThreshold`, 1);
}

function validatePodSpec(c: Checker, v: unknown, f: string): void {
  const spec = c.obj(v, f, true);
  if (!spec) return;
  const containers = c.arr(spec.containers, `${f}.containers`, true);
  if (containers && containers.length === 0) c.err(`${f}.containers`, 'Required value: a pod needs at least one container');
  const names = new Set<string>();
  containers?.forEach((cv, i) => {
    const cf = `${f}.containers[${i}]`;
    const ct = c.obj(cv, cf, true);
    if (!ct) return;
    const name = c.str(ct.name, `${cf}.name`, true);
    if (name) {
      if (!isDNS1123Label(name)) c.err(`${cf}.name`, `Invalid value: "${name}": a container name must be a lowercase RFC 1123 label`);
      if (names.has(name)) c.err(`${cf}.name`, `Duplicate value: "${name}"`);
      names.add(name);
    }
    const image = c.str(ct.image, `${cf}.image`);
    const command = c.strings(ct.command, `${cf}.command`);
    c.strings(ct.args, `${cf}.args`);
    c.str(ct.workingDir, `${cf}.workingDir`);
    if (!image && (!command || command.length === 0)) c.err(`${cf}.image`, 'Required value: a container needs an image or a command');
    const env = c.arr(ct.env, `${cf}.env`);
    env?.forEach((ev, j) => {
      const ef = `${cf}.env[${j}]`;
      const e = c.obj(ev, ef, true);
      if (!e) return;
      const n = c.str(e.name, `${ef}.name`, true);
      if (n && !ENV_NAME.test(n)) c.err(`${ef}.name`, `Invalid value: "${n}": an environment variable name must consist of alphabetic characters, digits, '_', '-' or '.', and must not start with a digit`);
      c.str(e.value, `${ef}.value`);
      const from = c.obj(e.valueFrom, `${ef}.valueFrom`);
      if (from) {
        const ref = c.obj(from.fieldRef, `${ef}.valueFrom.fieldRef`, true);
        if (ref) c.oneOf(ref.fieldPath, `${ef}.valueFrom.fieldRef.fieldPath`, ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'status.podIP', 'status.hostIP']);
      }
    });
    const ports = c.arr(ct.ports, `${cf}.ports`);
    const portNames = new Set<string>();
    ports?.forEach((pv, j) => {
      const pf = `${cf}.ports[${j}]`;
      const p = c.obj(pv, pf, true);
      if (!p) return;
      if (p.containerPort === undefined) c.err(`${pf}.containerPort`, 'Required value');
      c.int(p.containerPort, `${pf}.containerPort`, 1, 65535);
      const pn = c.str(p.name, `${pf}.name`);
      if (pn !== undefined) {
        if (pn.length > 15 || !PORT_NAME.test(pn) || !/[a-z]/.test(pn)) c.err(`${pf}.name`, `Invalid value: "${pn}": a port name must be at most 15 lowercase alphanumeric characters or '-', with at least one letter`);
        if (portNames.has(pn)) c.err(`${pf}.name`, `Duplicate value: "${pn}"`);
        portNames.add(pn);
      }
      c.oneOf(p.protocol, `${pf}.protocol`, ['TCP']);
    });
    validateResources(c, ct.resources, `${cf}.resources`);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) validateProbe(c, ct[probe], `${cf}.${probe}`, portNames);
  });
  c.oneOf(spec.restartPolicy, `${f}.restartPolicy`, ['Always', 'OnFailure', 'Never']);
  c.int(spec.terminationGracePeriodSeconds, `${f}.terminationGracePeriodSeconds`, 0);
  const nodeName = c.str(spec.nodeName, `${f}.nodeName`);
  if (nodeName && !isDNS1123Subdomain(nodeName)) c.err(`${f}.nodeName`, `Invalid value: "${nodeName}": must be a valid node name`);
  c.stringMap(spec.nodeSelector, `${f}.nodeSelector`);
  c.int(spec.priority, `${f}.priority`);
  const tolerations = c.arr(spec.tolerations, `${f}.tolerations`);
  tolerations?.forEach((tv, i) => {
    const tf = `${f}.tolerations[${i}]`;
    const t = c.obj(tv, tf, true);
    if (!t) return;
    c.str(t.key, `${tf}.key`);
    c.oneOf(t.operator, `${tf}.operator`, ['Exists', 'Equal']);
    c.oneOf(t.effect, `${tf}.effect`, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
    c.int(t.tolerationSeconds, `${tf}.tolerationSeconds`);
    if (t.operator === 'Exists' && t.value) c.err(`${tf}.value`, 'Invalid value: must be empty when operator is Exists');
  });
  const affinity = c.obj(spec.affinity, `${f}.affinity`);
  const na = affinity && c.obj(affinity.nodeAffinity, `${f}.affinity.nodeAffinity`);
  if (na) {
    const af = `${f}.affinity.nodeAffinity`;
    const req = c.obj(na.requiredDuringSchedulingIgnoredDuringExecution, `${af}.requiredDuringSchedulingIgnoredDuringExecution`);
    if (req) {
      const terms = c.arr(req.nodeSelectorTerms, `${af}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`, true);
      terms?.forEach((t, i) => validateNodeSelectorTerm(c, t, `${af}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}]`));
    }
    const pref = c.arr(na.preferredDuringSchedulingIgnoredDuringExecution, `${af}.preferredDuringSchedulingIgnoredDuringExecution`);
    pref?.forEach((pv, i) => {
      const pf = `${af}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      const p = c.obj(pv, pf, true);
      if (!p) return;
      if (p.weight === undefined) c.err(`${pf}.weight`, 'Required value');
      c.int(p.weight, `${pf}.weight`, 1, 100);
      validateNodeSelectorTerm(c, p.preference, `${pf}.preference`);
    });
  }
}

function validateNodeSelectorTerm(c: Checker, v: unknown, f: string): void {
  const t = c.obj(v, f, true);
  if (!t) return;
  for (const part of ['matchExpressions', 'matchFields'] as const) {
    const exprs = c.arr(t[part], `${f}.${part}`);
    exprs?.forEach((ev, i) => {
      const ef = `${f}.${part}[${i}]`;
      const e = c.obj(ev, ef, true);
      if (!e) return;
      c.str(e.key, `${ef}.key`, true);
      if (e.operator === undefined) c.err(`${ef}.operator`, 'Required value');
      c.oneOf(e.operator, `${ef}.operator`, ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
      const values = c.strings(e.values, `${ef}.values`) ?? [];
      if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) c.err(`${ef}.values`, 'Required value: must be specified when operator is In or NotIn');
      if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) c.err(`${ef}.values`, 'Forbidden: may not be specified when operator is Exists or DoesNotExist');
      if ((e.operator === 'Gt' || e.operator === 'Lt') && (values.length !== 1 || !/^-?\d+$/.test(values[0] ?? ''))) c.err(`${ef}.values`, 'Invalid value: must be a single integer when operator is Gt or Lt');
    });
  }
}

function validateLabelSelector(c: Checker, v: unknown, f: string): void {
  const s = c.obj(v, f, true);
  if (!s) return;
  c.labels(s.matchLabels, `${f}.matchLabels`);
  const exprs = c.arr(s.matchExpressions, `${f}.matchExpressions`);
  exprs?.forEach((ev, i) => {
    const ef = `${f}.matchExpressions[${i}]`;
    const e = c.obj(ev, ef, true);
    if (!e) return;
    c.str(e.key, `${ef}.key`, true);
    if (e.operator === undefined) c.err(`${ef}.operator`, 'Required value');
    c.oneOf(e.operator, `${ef}.operator`, ['In', 'NotIn', 'Exists', 'DoesNotExist']);
    c.strings(e.values, `${ef}.values`);
  });
  if (Object.keys((s.matchLabels as Obj | undefined) ?? {}).length === 0 && ((s.matchExpressions as unknown[] | undefined) ?? []).length === 0)
    c.err(f, 'Invalid value: empty selector is invalid for a workload; it would select every pod');
}

function isIntOrPercent(v: unknown): boolean {
  return (isInt(v) && v >= 0) || (typeof v === 'string' && /^\d+%$/.test(v));
}

function validateWorkload(c: Checker, o: Obj, kind: 'ReplicaSet' | 'Deployment'): void {
  const spec = c.obj(o.spec, 'spec', true);
  if (!spec) return;
  c.int(spec.replicas, 'spec.replicas', 0);
  c.int(spec.minReadySeconds, 'spec.minReadySeconds', 0);
  validateLabelSelector(c, spec.selector, 'spec.selector');
  const tpl = c.obj(spec.template, 'spec.template', true);
  if (tpl) {
    const meta = c.obj(tpl.metadata, 'spec.template.metadata');
    c.labels(meta?.labels, 'spec.template.metadata.labels');
    validatePodSpec(c, tpl.spec, 'spec.template.spec');
    const rp = isObj(tpl.spec) ? tpl.spec.restartPolicy : undefined;
    if (rp !== undefined && rp !== 'Always') c.err('spec.template.spec.restartPolicy', `Unsupported value: "${String(rp)}": supported values: "Always"`);
    if (isObj(spec.selector)) {
      try {
        const labels = (meta?.labels ?? {}) as Record<string, string>;
        if (!matches(fromLabelSelector(spec.selector as never), labels))
          c.err('spec.template.metadata.labels', '`selector` does not match template `labels`');
      } catch {
        // selector errors were reported above
      }
    }
  }
  if (kind === 'Deployment') {
    c.int(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', 0);
    c.bool(spec.paused, 'spec.paused');
    const strategy = c.obj(spec.strategy, 'spec.strategy');
    if (strategy) {
      c.oneOf(strategy.type, 'spec.strategy.type', ['RollingUpdate', 'Recreate']);
      const ru = c.obj(strategy.rollingUpdate, 'spec.strategy.rollingUpdate');
      if (ru) {
        if (strategy.type === 'Recreate') c.err('spec.strategy.rollingUpdate', 'Forbidden: may not be specified when strategy `type` is \'Recreate\'');
        for (const k of ['maxSurge', 'maxUnavailable'] as const)
          if (ru[k] !== undefined && !isIntOrPercent(ru[k])) c.err(`spec.strategy.rollingUpdate.${k}`, `Invalid value: ${JSON.stringify(ru[k])}: must be a non-negative integer or a percentage such as "25%"`);
        const zero = (x: unknown) => x === 0 || x === '0%';
        if (zero(ru.maxSurge) && zero(ru.maxUnavailable)) c.err('spec.strategy.rollingUpdate.maxUnavailable', 'Invalid value: may not be 0 when `maxSurge` is 0');
      }
    }
  }
}

function validateNode(c: Checker, o: Obj): void {
  const spec = c.obj(o.spec, 'spec');
  if (!spec) return;
  c.bool(spec.unschedulable, 'spec.unschedulable');
  c.str(spec.podCIDR, 'spec.podCIDR');
  const taints = c.arr(spec.taints, 'spec.taints');
  taints?.forEach((tv, i) => {
    const tf = `spec.taints[${i}]`;
    const t = c.obj(tv, tf, true);
    if (!t) return;
    const key = c.str(t.key, `${tf}.key`, true);
    if (key && !isLabelKey(key)) c.err(`${tf}.key`, `Invalid value: "${key}": must be a valid label key`);
    c.str(t.value, `${tf}.value`);
    if (t.effect === undefined) c.err(`${tf}.effect`, 'Required value');
    c.oneOf(t.effect, `${tf}.effect`, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
  });
}

function validateService(c: Checker, v: unknown, f: string): void {
  const spec = c.obj(v, f, true);
  if (!spec) return;
  c.labels(spec.selector, `${f}.selector`);
  c.oneOf(spec.type, `${f}.type`, ['ClusterIP']);
  c.oneOf(spec.sessionAffinity, `${f}.sessionAffinity`, ['None', 'ClientIP']);
  const ip = c.str(spec.clusterIP, `${f}.clusterIP`);
  const octets = /^10\.96\.(\d{1,3})\.(\d{1,3})$/.exec(ip ?? '');
  if (ip && ip !== 'None' && (!octets || Number(octets[1]) > 255 || Number(octets[2]) > 255)) c.err(`${f}.clusterIP`, `Invalid value: "${ip}": must be an address in 10.96.0.0/16`);
  const ports = c.arr(spec.ports, `${f}.ports`, true);
  if (ports && ports.length === 0) c.err(`${f}.ports`, 'Required value: a service needs at least one port');
  const names = new Set<string>();
  ports?.forEach((pv, i) => {
    const pf = `${f}.ports[${i}]`;
    const p = c.obj(pv, pf, true);
    if (!p) return;
    if (p.port === undefined) c.err(`${pf}.port`, 'Required value');
    c.int(p.port, `${pf}.port`, 1, 65535);
    c.oneOf(p.protocol, `${pf}.protocol`, ['TCP']);
    const name = c.str(p.name, `${pf}.name`);
    if (name !== undefined) {
      if (!isDNS1123Label(name)) c.err(`${pf}.name`, `Invalid value: "${name}": a port name must be a lowercase RFC 1123 label`);
      if (names.has(name)) c.err(`${pf}.name`, `Duplicate value: "${name}"`);
      names.add(name);
    } else if (ports.length > 1) c.err(`${pf}.name`, 'Required value: ports must be named when a service has more than one');
    const tp = p.targetPort;
    if (tp !== undefined) {
      if (typeof tp === 'number') c.int(tp, `${pf}.targetPort`, 1, 65535);
      else if (typeof tp !== 'string' || !PORT_NAME.test(tp)) c.err(`${pf}.targetPort`, `Invalid value: ${JSON.stringify(tp)}: must be a port number or a container port name`);
    }
  });
}

/** One line per error, as the API server's message lists them. */
export function formatFieldErrors(kind: string, name: string, errors: FieldError[]): string {
  const parts = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  return `${kind} "${name}" is invalid: ${parts.join(', ')}`;
}
