// Defaulting, as the API server applies it before storing: what a manifest leaves out takes
// Kubernetes' default, so that every reader of the stored object sees the same values.

import type { Deployment, KObject, Pod, PodSpec, Probe, ReplicaSet, Service } from './types.js';

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

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

export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_SECONDS;
  spec.schedulerName ??= 'default-scheduler';
  for (const c of spec.containers ?? []) {
    for (const p of c.ports ?? []) p.protocol ??= 'TCP';
    defaultProbe(c.livenessProbe);
    defaultProbe(c.readinessProbe);
    defaultProbe(c.startupProbe);
  }
}

/** Fills defaults in place; the caller passes its own copy. */
export function applyDefaults(obj: KObject, namespaced: boolean): void {
  if (namespaced) obj.metadata.namespace ||= DEFAULT_NAMESPACE;
  else delete obj.metadata.namespace;
  switch (obj.kind) {
    case 'Pod':
      defaultPodSpec((obj as Pod).spec);
      break;
    case 'ReplicaSet': {
      const rs = obj as ReplicaSet;
      rs.spec.replicas ??= 1;
      rs.spec.minReadySeconds ??= 0;
      defaultPodSpec(rs.spec.template.spec);
      break;
    }
    case 'Deployment': {
      const d = obj as Deployment;
      d.spec.replicas ??= 1;
      d.spec.minReadySeconds ??= 0;
      d.spec.revisionHistoryLimit ??= 10;
      d.spec.strategy ??= {};
      d.spec.strategy.type ??= 'RollingUpdate';
      if (d.spec.strategy.type === 'RollingUpdate') {
        d.spec.strategy.rollingUpdate ??= {};
        d.spec.strategy.rollingUpdate.maxSurge ??= '25%';
        d.spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      }
      defaultPodSpec(d.spec.template.spec);
      break;
    }
    case 'Service': {
      const s = obj as Service;
      s.spec.type ??= 'ClusterIP';
      s.spec.sessionAffinity ??= 'None';
      for (const p of s.spec.ports ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      break;
    }
    default:
      break;
  }
}
