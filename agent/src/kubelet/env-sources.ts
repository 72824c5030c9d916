// Values a container takes from elsewhere: the keys of ConfigMaps and Secrets (env valueFrom and
// envFrom) and its own requests and limits (resourceFieldRef), resolved at container start as the
// kubelet's makeEnvironmentVariables does. A missing object or key that is not optional is a
// ContainerConfigError, in the kubelet's words; the container waits (CreateContainerConfigError)
// and is retried until it appears.

import { ENV_NAME, parseBytes, parseCpuMillis, type Container, type EnvFromSource, type Pod, type ResourceList } from '@kip/shared';
import type { ConfigSource } from './config-objects.js';

export class ContainerConfigError extends Error {
  readonly code = 'CreateContainerConfigError';
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/** A Secret's value, decoded from its base64. */
export function secretValue(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

/** The variables of a container's envFrom, in order (later sources win); invalid names are skipped and reported. */
export function envFromVars(
  pod: Pod,
  envFrom: readonly EnvFromSource[] | undefined,
  config: ConfigSource,
  skipped: (kind: string, ref: string, keys: string[]) => void,
): Record<string, string> {
  const ns = pod.metadata.namespace ?? 'default';
  const out: Record<string, string> = {};
  for (const src of envFrom ?? []) {
    const prefix = src.prefix ?? '';
    let values: Record<string, string>;
    let kind: string;
    let name: string;
    if (src.configMapRef) {
      ({ name } = src.configMapRef);
      kind = 'configMap';
      const cm = config.configMap(ns, name);
      if (!cm) {
        if (src.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      values = { ...(cm.data ?? {}) };
    } else if (src.secretRef) {
      ({ name } = src.secretRef);
      kind = 'secret';
      const secret = config.secret(ns, name);
      if (!secret) {
        if (src.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      values = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, secretValue(v)]));
    } else continue;
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(values)) {
      const key = prefix + k;
      if (!ENV_NAME.test(key)) invalid.push(key);
      else out[key] = v;
    }
    if (invalid.length > 0) skipped(kind, `${ns}/${name}`, invalid.sort());
  }
  return out;
}

/** The value of one `configMapKeyRef` or `secretKeyRef`; undefined when optional and missing. */
export function keyRefValue(pod: Pod, source: NonNullable<Container['env']>[number]['valueFrom'], config: ConfigSource): string | undefined {
  const ns = pod.metadata.namespace ?? 'default';
  const cmRef = source?.configMapKeyRef;
  if (cmRef) {
    const cm = config.configMap(ns, cmRef.name);
    if (!cm) {
      if (cmRef.optional) return undefined;
      throw new ContainerConfigError(`configmap "${cmRef.name}" not found`);
    }
    const v = cm.data?.[cmRef.key];
    if (v === undefined) {
      if (cmRef.optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${cmRef.key} in ConfigMap ${ns}/${cmRef.name}`);
    }
    return v;
  }
  const sRef = source?.secretKeyRef;
  if (sRef) {
    const secret = config.secret(ns, sRef.name);
    if (!secret) {
      if (sRef.optional) return undefined;
      throw new ContainerConfigError(`secret "${sRef.name}" not found`);
    }
    const v = secret.data?.[sRef.key];
    if (v === undefined) {
      if (sRef.optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${sRef.key} in Secret ${ns}/${sRef.name}`);
    }
    return secretValue(v);
  }
  return undefined;
}

/**
 * A container's request or limit in units of the divisor, rounded up, as the downward API gives
 * it; a limit left out is the node's allocatable, as the kubelet fills it in.
 */
export function resourceFieldValue(
  pod: Pod,
  ref: { containerName?: string; resource: string; divisor?: string | number },
  current: Container | undefined,
  allocatable: ResourceList,
): string {
  const container = ref.containerName ? pod.spec.containers.find((c) => c.name === ref.containerName) : current;
  if (!container) throw new ContainerConfigError(`container ${ref.containerName ?? ''} not found in pod ${pod.metadata.name}`);
  const [kind, resource] = ref.resource.split('.') as ['limits' | 'requests', string];
  let q = container.resources?.[kind]?.[resource];
  if (q === undefined && kind === 'limits') q = allocatable[resource];
  const divisor = ref.divisor === undefined || String(ref.divisor) === '0' ? '1' : String(ref.divisor);
  if (resource === 'cpu') return String(Math.ceil(parseCpuMillis(q ?? '0') / Math.max(1, parseCpuMillis(divisor))));
  return String(Math.ceil(parseBytes(q ?? '0') / Math.max(1, parseBytes(divisor))));
}
