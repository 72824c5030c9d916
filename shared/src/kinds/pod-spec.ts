// The pod spec, shared by pods and the templates of workloads: its schema with the checks the
// schema cannot say (names, ports a probe refers to, operators that need values), and its defaults.

import { Type, type Static } from '@sinclair/typebox';
import { child, index, isObj, type FieldErrors, type Obj } from '../validation/errors.js';
import { ENV_NAME, isDNS1123Label, isDNS1123Subdomain, PORT_NAME } from '../validation/names.js';
import { IntOrString, StringEnum, withCheck } from '../validation/schema.js';
import { checkConfigKey } from './config-data.js';
import { mergeByKey } from '../validation/patch-keys.js';
import { ResourceRequirements, StringMap, TaintEffect, TemplateMeta } from './meta.js';
import {
  checkVolumeMounts,
  checkVolumes,
  defaultVolumes,
  DOWNWARD_ENV_FIELDS,
  objectFieldSelector,
  resourceFieldSelector,
  Volume,
  VolumeMount,
} from './pod-volumes.js';
import { PodAffinity, PodAntiAffinity, PreemptionPolicy, TopologySpreadConstraints } from './pod-scheduling.js';

export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

const KeySelector = Type.Object({ name: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }), optional: Type.Optional(Type.Boolean()) });

const ENV_SOURCES = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const;

export const EnvVarSource = withCheck(
  Type.Object({
    fieldRef: Type.Optional(objectFieldSelector(DOWNWARD_ENV_FIELDS)),
    resourceFieldRef: Type.Optional(resourceFieldSelector(false)),
    configMapKeyRef: Type.Optional(KeySelector),
    secretKeyRef: Type.Optional(KeySelector),
  }),
  (v: Obj, field, errors) => {
    const n = ENV_SOURCES.filter((k) => v[k] !== undefined).length;
    if (n === 0) errors.invalid(field, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`');
    else if (n > 1) errors.invalid(field, '', 'may not have more than one field specified at a time');
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = v[k];
      if (isObj(ref) && typeof ref.key === 'string' && ref.key) checkConfigKey(ref.key, child(field, k), errors);
    }
  },
);
export type EnvVarSource = Static<typeof EnvVarSource>;

export const EnvVar = withCheck(
  Type.Object({
    name: Type.String({ minLength: 1 }),
    value: Type.Optional(Type.String()),
    valueFrom: Type.Optional(EnvVarSource),
  }),
  (e: Obj, field, errors) => {
    if (typeof e.name === 'string' && e.name && !ENV_NAME.test(e.name))
      errors.invalid(
        child(field, 'name'),
        e.name,
        "an environment variable name must consist of alphabetic characters, digits, '_', '-' or '.', and must not start with a digit",
      );
    if (e.valueFrom !== undefined && typeof e.value === 'string' && e.value !== '')
      errors.invalid(child(field, 'valueFrom'), '', 'may not be specified when `value` is not empty');
  },
);
export type EnvVar = Static<typeof EnvVar>;

const ObjectRef = Type.Object({ name: Type.String({ minLength: 1 }), optional: Type.Optional(Type.Boolean()) });

/** Every key of a ConfigMap or Secret as a variable, its name behind `prefix`. */
export const EnvFromSource = withCheck(
  Type.Object({ prefix: Type.Optional(Type.String()), configMapRef: Type.Optional(ObjectRef), secretRef: Type.Optional(ObjectRef) }),
  (e: Obj, field, errors) => {
    const n = ['configMapRef', 'secretRef'].filter((k) => e[k] !== undefined).length;
    if (n === 0) errors.invalid(field, '', 'must specify one of: `configMapRef` or `secretRef`');
    else if (n > 1) errors.invalid(field, '', 'may not have more than one field specified at a time');
    if (typeof e.prefix === 'string' && e.prefix && !ENV_NAME.test(e.prefix))
      errors.invalid(
        child(field, 'prefix'),
        e.prefix,
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
      );
  },
);
export type EnvFromSource = Static<typeof EnvFromSource>;

export const ContainerPort = withCheck(
  Type.Object({
    name: Type.Optional(Type.String()),
    containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(StringEnum(['TCP'])),
  }),
  (p: Obj, field, errors) => {
    const pn = p.name;
    if (typeof pn === 'string' && (pn.length > 15 || !PORT_NAME.test(pn) || !/[a-z]/.test(pn)))
      errors.invalid(child(field, 'name'), pn, "a port name must be at most 15 lowercase alphanumeric characters or '-', with at least one letter");
  },
);
export type ContainerPort = Static<typeof ContainerPort>;

export const ExecAction = withCheck(Type.Object({ command: Type.Array(Type.String()) }), (e: Obj, field, errors) => {
  if (Array.isArray(e.command) && e.command.length === 0) errors.required(child(field, 'command'));
});
export type ExecAction = Static<typeof ExecAction>;

export const HTTPGetAction = Type.Object({
  path: Type.Optional(Type.String()),
  port: IntOrString(),
  host: Type.Optional(Type.String()),
  scheme: Type.Optional(StringEnum(['HTTP'])),
  httpHeaders: Type.Optional(Type.Array(Type.Object({ name: Type.String(), value: Type.String() }))),
});
export type HTTPGetAction = Static<typeof HTTPGetAction>;

export const TCPSocketAction = Type.Object({ port: IntOrString(), host: Type.Optional(Type.String()) });
export type TCPSocketAction = Static<typeof TCPSocketAction>;

const HANDLERS = ['exec', 'httpGet', 'tcpSocket'] as const;

export const Probe = withCheck(
  Type.Object({
    exec: Type.Optional(ExecAction),
    httpGet: Type.Optional(HTTPGetAction),
    tcpSocket: Type.Optional(TCPSocketAction),
    initialDelaySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    periodSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    successThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
    failureThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
  (p: Obj, field, errors) => {
    const handlers = HANDLERS.filter((h) => p[h] !== undefined);
    if (handlers.length !== 1) errors.add(field, `must specify exactly one of exec, httpGet, tcpSocket (found ${handlers.length})`);
  },
);
export type Probe = Static<typeof Probe>;

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/** A probe's port: a number, or the name of a port the container declares. */
function checkPortRef(v: unknown, field: string, portNames: Set<string>, errors: FieldErrors): void {
  if (v === undefined || v === null) return;
  if (typeof v === 'number') errors.integer(v, field, 1, 65535);
  else if (typeof v === 'string') {
    if (!portNames.has(v)) errors.invalid(field, v, 'must be a port number or the name of a declared container port');
  } else errors.wrongType(field, 'a port number or name', v);
}

/** Checks the names of a list's items are unique. */
function checkUniqueNames(items: unknown[], field: string, errors: FieldErrors): void {
  const names = new Set<string>();
  items.forEach((item, i) => {
    const name = isObj(item) ? item.name : undefined;
    if (typeof name !== 'string' || !name) return;
    if (names.has(name)) errors.duplicate(child(index(field, i), 'name'), name);
    names.add(name);
  });
}

export const SleepAction = Type.Object({ seconds: Type.Integer({ minimum: 0 }) });

const HOOK_HANDLERS = ['exec', 'httpGet', 'sleep'] as const;

/** What a postStart or preStop hook runs: exactly one of exec, httpGet, sleep. */
export const LifecycleHandler = withCheck(
  Type.Object({ exec: Type.Optional(ExecAction), httpGet: Type.Optional(HTTPGetAction), sleep: Type.Optional(SleepAction) }),
  (h: Obj, field, errors) => {
    const handlers = HOOK_HANDLERS.filter((k) => h[k] !== undefined);
    if (handlers.length !== 1) errors.add(field, `must specify exactly one of exec, httpGet, sleep (found ${handlers.length})`);
  },
);
export type LifecycleHandler = Static<typeof LifecycleHandler>;

export const Lifecycle = Type.Object({ postStart: Type.Optional(LifecycleHandler), preStop: Type.Optional(LifecycleHandler) });
export type Lifecycle = Static<typeof Lifecycle>;

export const Container = withCheck(
  Type.Object({
    name: Type.String({ minLength: 1 }),
    image: Type.Optional(Type.String()),
    command: Type.Optional(Type.Array(Type.String())),
    args: Type.Optional(Type.Array(Type.String())),
    workingDir: Type.Optional(Type.String()),
    env: Type.Optional(Type.Array(EnvVar, mergeByKey('name'))),
    envFrom: Type.Optional(Type.Array(EnvFromSource)),
    volumeMounts: Type.Optional(Type.Array(VolumeMount, mergeByKey('mountPath'))),
    ports: Type.Optional(
      withCheck(Type.Array(ContainerPort, mergeByKey('containerPort')), (ports: unknown[], field, errors) => checkUniqueNames(ports, field, errors)),
    ),
    resources: Type.Optional(ResourceRequirements),
    livenessProbe: Type.Optional(Probe),
    readinessProbe: Type.Optional(Probe),
    startupProbe: Type.Optional(Probe),
    lifecycle: Type.Optional(Lifecycle),
    /** Only on an init container, and only Always: a sidecar, started in order and kept running beside the containers. */
    restartPolicy: Type.Optional(StringEnum(['Always'])),
    // Fields every manifest may carry that change nothing for a process on this host: accepted, as
    // a Kubernetes API server knows them, so that kubectl's strict validation lets them through.
    imagePullPolicy: Type.Optional(StringEnum(['Always', 'IfNotPresent', 'Never'])),
    terminationMessagePath: Type.Optional(Type.String()),
    terminationMessagePolicy: Type.Optional(StringEnum(['File', 'FallbackToLogsOnError'])),
    securityContext: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    // stdin keeps the container's stdin open for `kubectl attach -i`; stdinOnce closes it when the first attach ends.
    stdin: Type.Optional(Type.Boolean()),
    stdinOnce: Type.Optional(Type.Boolean()),
    tty: Type.Optional(Type.Boolean()),
  }),
  (c: Obj, field, errors) => {
    if (typeof c.name === 'string' && c.name && !isDNS1123Label(c.name))
      errors.invalid(child(field, 'name'), c.name, 'a container name must be a lowercase RFC 1123 label');
    const command = Array.isArray(c.command) ? c.command : [];
    if (!(typeof c.image === 'string' && c.image) && command.length === 0) errors.required(child(field, 'image'), 'a container needs an image or a command');
    const portNames = new Set<string>();
    for (const p of Array.isArray(c.ports) ? c.ports : []) if (isObj(p) && typeof p.name === 'string') portNames.add(p.name);
    for (const name of PROBES) {
      const probe = c[name];
      if (!isObj(probe)) continue;
      const f = child(field, name);
      if (isObj(probe.httpGet)) checkPortRef(probe.httpGet.port, child(f, 'httpGet.port'), portNames, errors);
      if (isObj(probe.tcpSocket)) checkPortRef(probe.tcpSocket.port, child(f, 'tcpSocket.port'), portNames, errors);
    }
    const lifecycle = isObj(c.lifecycle) ? c.lifecycle : {};
    for (const hook of ['postStart', 'preStop'] as const) {
      const h = lifecycle[hook];
      if (isObj(h) && isObj(h.httpGet)) checkPortRef(h.httpGet.port, child(field, `lifecycle.${hook}.httpGet.port`), portNames, errors);
    }
  },
);
export type Container = Static<typeof Container>;

export const RestartPolicy = StringEnum(['Always', 'OnFailure', 'Never']);
export type RestartPolicy = Static<typeof RestartPolicy>;

const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;

export const NodeSelectorRequirement = withCheck(
  Type.Object({
    key: Type.String({ minLength: 1 }),
    operator: StringEnum(NODE_SELECTOR_OPERATORS),
    values: Type.Optional(Type.Array(Type.String())),
  }),
  (e: Obj, field, errors) => {
    const values = Array.isArray(e.values) ? e.values : [];
    const f = child(field, 'values');
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) errors.required(f, 'must be specified when operator is In or NotIn');
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0)
      errors.forbidden(f, 'may not be specified when operator is Exists or DoesNotExist');
    if ((e.operator === 'Gt' || e.operator === 'Lt') && (values.length !== 1 || !/^-?\d+$/.test(String(values[0] ?? ''))))
      errors.invalid(f, undefined, 'must be a single integer when operator is Gt or Lt');
  },
);
export type NodeSelectorRequirement = Static<typeof NodeSelectorRequirement>;

export const NodeSelectorTerm = Type.Object({
  matchExpressions: Type.Optional(Type.Array(NodeSelectorRequirement)),
  matchFields: Type.Optional(Type.Array(NodeSelectorRequirement)),
});
export type NodeSelectorTerm = Static<typeof NodeSelectorTerm>;

export const NodeSelector = Type.Object({ nodeSelectorTerms: Type.Array(NodeSelectorTerm) });
export type NodeSelector = Static<typeof NodeSelector>;

export const PreferredSchedulingTerm = Type.Object({ weight: Type.Integer({ minimum: 1, maximum: 100 }), preference: NodeSelectorTerm });
export type PreferredSchedulingTerm = Static<typeof PreferredSchedulingTerm>;

export const NodeAffinity = Type.Object({
  requiredDuringSchedulingIgnoredDuringExecution: Type.Optional(NodeSelector),
  preferredDuringSchedulingIgnoredDuringExecution: Type.Optional(Type.Array(PreferredSchedulingTerm)),
});
export type NodeAffinity = Static<typeof NodeAffinity>;

export const Affinity = Type.Object({
  nodeAffinity: Type.Optional(NodeAffinity),
  podAffinity: Type.Optional(PodAffinity),
  podAntiAffinity: Type.Optional(PodAntiAffinity),
});
export type Affinity = Static<typeof Affinity>;

export const Toleration = withCheck(
  Type.Object({
    key: Type.Optional(Type.String()),
    operator: Type.Optional(StringEnum(['Exists', 'Equal'])),
    value: Type.Optional(Type.String()),
    effect: Type.Optional(TaintEffect),
    tolerationSeconds: Type.Optional(Type.Integer()),
  }),
  (t: Obj, field, errors) => {
    if (t.operator === 'Exists' && t.value) errors.invalid(child(field, 'value'), undefined, 'must be empty when operator is Exists');
  },
);
export type Toleration = Static<typeof Toleration>;

export const PodSpec = withCheck(
  Type.Object({
    containers: withCheck(Type.Array(Container, mergeByKey('name')), (containers: unknown[], field, errors) => {
      if (containers.length === 0) errors.required(field, 'a pod needs at least one container');
      checkUniqueNames(containers, field, errors);
      containers.forEach((c, i) => {
        if (isObj(c) && c.restartPolicy !== undefined) errors.forbidden(child(index(field, i), 'restartPolicy'), 'may not be set for non-init containers');
      });
    }),
    volumes: Type.Optional(withCheck(Type.Array(Volume, mergeByKey('name')), checkVolumes)),
    /**
     * Run to completion, one after the other, before the containers start; a sidecar
     * (restartPolicy Always) is started in its turn and keeps running beside them.
     */
    initContainers: Type.Optional(
      withCheck(Type.Array(Container, mergeByKey('name')), (containers: unknown[], field, errors) => {
        checkUniqueNames(containers, field, errors);
        containers.forEach((c, i) => {
          if (!isObj(c) || c.restartPolicy === 'Always') return;
          // What only a container that keeps running can use, as Kubernetes says for init containers.
          for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'])
            if (c[k] !== undefined) errors.forbidden(child(index(field, i), k), 'may not be set for init containers without restartPolicy=Always');
        });
      }),
    ),
    restartPolicy: Type.Optional(RestartPolicy),
    terminationGracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    nodeName: Type.Optional(Type.String()),
    nodeSelector: Type.Optional(StringMap),
    priority: Type.Optional(Type.Integer()),
    tolerations: Type.Optional(Type.Array(Toleration)),
    affinity: Type.Optional(Affinity),
    topologySpreadConstraints: Type.Optional(TopologySpreadConstraints),
    preemptionPolicy: Type.Optional(PreemptionPolicy),
    schedulerName: Type.Optional(Type.String()),
    /** While any is left, the scheduler leaves the pod alone (Pending, SchedulingGated); they may only be removed. */
    schedulingGates: Type.Optional(
      withCheck(Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }), mergeByKey('name')), (gates: unknown[], field, errors) => {
        const seen = new Set<unknown>();
        gates.forEach((g, i) => {
          if (!isObj(g)) return;
          if (seen.has(g.name)) errors.duplicate(child(index(field, i), 'name'), g.name);
          seen.add(g.name);
        });
      }),
    ),
    // Known to Kubernetes and without effect here (no service accounts, DNS or image pulls).
    serviceAccountName: Type.Optional(Type.String()),
    serviceAccount: Type.Optional(Type.String()),
    automountServiceAccountToken: Type.Optional(Type.Boolean()),
    securityContext: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    dnsPolicy: Type.Optional(Type.String()),
    enableServiceLinks: Type.Optional(Type.Boolean()),
    imagePullSecrets: Type.Optional(Type.Array(Type.Object({ name: Type.String() }), mergeByKey('name'))),
    priorityClassName: Type.Optional(Type.String()),
    hostname: Type.Optional(Type.String()),
    subdomain: Type.Optional(Type.String()),
  }),
  (spec: Obj, field, errors) => {
    const nodeName = spec.nodeName;
    if (typeof nodeName === 'string' && nodeName && !isDNS1123Subdomain(nodeName))
      errors.invalid(child(field, 'nodeName'), nodeName, 'must be a valid node name');
    // A pod already given its node has nothing left to gate, as Kubernetes' validation says.
    if (typeof nodeName === 'string' && nodeName && Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0)
      errors.forbidden(child(field, 'nodeName'), 'cannot be set until all schedulingGates have been cleared');
    const volumeNames = new Set<string>();
    for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) if (isObj(v) && typeof v.name === 'string') volumeNames.add(v.name);
    for (const list of ['containers', 'initContainers'] as const) {
      const containers = Array.isArray(spec[list]) ? (spec[list] as unknown[]) : [];
      containers.forEach((c, i) => {
        if (isObj(c) && Array.isArray(c.volumeMounts))
          checkVolumeMounts(c.volumeMounts, child(index(child(field, list), i), 'volumeMounts'), volumeNames, errors);
      });
    }
    // A name is the container's in logs and statuses: an init container may not share one with a container.
    const names = new Set((Array.isArray(spec.containers) ? spec.containers : []).map((c) => (isObj(c) ? c.name : undefined)));
    (Array.isArray(spec.initContainers) ? spec.initContainers : []).forEach((c, i) => {
      if (isObj(c) && typeof c.name === 'string' && c.name && names.has(c.name))
        errors.duplicate(child(index(child(field, 'initContainers'), i), 'name'), c.name);
    });
  },
);
export type PodSpec = Static<typeof PodSpec>;

export const PodTemplateSpec = Type.Object({ metadata: Type.Optional(TemplateMeta), spec: PodSpec });
export type PodTemplateSpec = Static<typeof PodTemplateSpec>;

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.initialDelaySeconds ??= 0;
  p.periodSeconds ??= 10;
  p.timeoutSeconds ??= 1;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ??= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

/**
 * What Go's encoding of an empty ResourceRequirements looks like (`resources: {}`, or empty
 * limits and requests): unset, as the API server reads it. Dropped, so that a template a Go
 * client sends back (kubectl rollout undo) equals the one it was read from.
 */
function dropEmptyResources(c: { resources?: { limits?: object; requests?: object; claims?: unknown[] } }): void {
  const r = c.resources;
  if (!r || typeof r !== 'object') return;
  if (r.limits && Object.keys(r.limits).length === 0) delete r.limits;
  if (r.requests && Object.keys(r.requests).length === 0) delete r.requests;
  if (Array.isArray(r.claims) && r.claims.length === 0) delete r.claims;
  if (Object.keys(r).length === 0) delete c.resources;
}

/**
 * Template metadata as Go clients send it: a zero creationTimestamp, which Go writes as `null`
 * (kubectl rollout undo sends a ReplicaSet's template back so). The API server reads it as unset.
 */
export function dropTemplateZeroes(meta: { creationTimestamp?: unknown } | undefined): void {
  if (meta && meta.creationTimestamp === null) delete meta.creationTimestamp;
}

/** defaultPodSpec for a template's spec, with its metadata's Go zero values dropped. */
export function defaultPodTemplate(t: PodTemplateSpec): void {
  dropTemplateZeroes(t.metadata as { creationTimestamp?: unknown } | undefined);
  defaultPodSpec(t.spec);
}

export function defaultPodSpec(spec: PodSpec): void {
  defaultVolumes(spec.volumes);
  for (const c of spec.initContainers ?? []) dropEmptyResources(c);
  for (const c of spec.containers ?? []) dropEmptyResources(c);
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_SECONDS;
  spec.schedulerName ??= 'default-scheduler';
  for (const c of spec.initContainers ?? []) for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  for (const c of spec.containers ?? []) {
    for (const p of c.ports ?? []) p.protocol ??= 'TCP';
    for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
    defaultProbe(c.livenessProbe);
    defaultProbe(c.readinessProbe);
    defaultProbe(c.startupProbe);
  }
}
