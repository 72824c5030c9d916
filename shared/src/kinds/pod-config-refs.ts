// Which ConfigMaps and Secrets a pod references (env, envFrom, volumes, projected sources): what
// its node may read, as Kubernetes' Node authorizer derives it from the pods bound to a node.

import type { ConfigObjectRef } from '../wire/messages.js';
import type { PodSpec } from './pod-spec.js';

export function configRefKey(r: ConfigObjectRef): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}

/** The distinct ConfigMaps and Secrets a pod spec names, in the pod's namespace. */
export function podConfigRefs(namespace: string, spec: PodSpec): ConfigObjectRef[] {
  const out = new Map<string, ConfigObjectRef>();
  const add = (kind: ConfigObjectRef['kind'], name: string | undefined) => {
    if (!name) return;
    const ref = { kind, namespace, name };
    out.set(configRefKey(ref), ref);
  };
  for (const c of spec.containers ?? []) {
    for (const e of c.env ?? []) {
      add('ConfigMap', e.valueFrom?.configMapKeyRef?.name);
      add('Secret', e.valueFrom?.secretKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add('ConfigMap', e.configMapRef?.name);
      add('Secret', e.secretRef?.name);
    }
  }
  for (const v of spec.volumes ?? []) {
    add('ConfigMap', v.configMap?.name);
    add('Secret', v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) {
      add('ConfigMap', s.configMap?.name);
      add('Secret', s.secret?.name);
    }
  }
  return [...out.values()];
}
