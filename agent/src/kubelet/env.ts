// The environment of a container, built in Kubernetes' order: a minimal base from the agent, then
// what kip provides (Downward API, ports), then extra variables (services, proxy), then the
// container's own `env`, which wins. `$(VAR)` references in env values, command and args are
// expanded as Kubernetes expands them.

import type { Container, Pod, ResourceList } from '@kip/shared';
import type { ConfigSource } from './config-objects.js';
import { envFromVars, keyRefValue, resourceFieldValue } from './env-sources.js';

export interface EnvContext {
  pod: Pod;
  container: Container;
  nodeName: string;
  podIP: string;
  hostIP: string;
  /** The pod's directory: HOME and the base of relative working directories. */
  podDir: string;
  /** "container/containerPort" -> host port, for every port the pod declares. */
  hostPorts: Record<string, number>;
  /** The agent's own environment, from which only PATH, LANG and TZ are passed on. */
  agentEnv: Record<string, string | undefined>;
  extraEnv?: Record<string, string>;
  /** The ConfigMaps and Secrets this node holds, for envFrom and key references (none when absent). */
  config?: ConfigSource;
  /** The node's allocatable resources: a resourceFieldRef to a limit left out reads these. */
  allocatable?: ResourceList;
  /** envFrom keys that are no valid variable names, skipped (the kubelet's InvalidEnvironmentVariableNames). */
  skippedKeys?: (kind: string, ref: string, keys: string[]) => void;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** PORT_<NAME> for a named port: upper-cased, '-' becomes '_'. */
export function portEnvName(portName: string): string {
  return `PORT_${portName.toUpperCase().replace(/-/g, '_')}`;
}

/** The value a Downward API fieldRef names, or undefined for a path kip does not know. */
export function fieldRefValue(fieldPath: string, ctx: Pick<EnvContext, 'pod' | 'nodeName' | 'podIP' | 'hostIP'>): string | undefined {
  switch (fieldPath) {
    case 'metadata.name':
      return ctx.pod.metadata.name;
    case 'metadata.namespace':
      return ctx.pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return ctx.pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return ctx.pod.spec.nodeName ?? ctx.nodeName;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'spec.serviceAccountName':
      return ctx.pod.spec.serviceAccountName ?? 'default';
    default: {
      // metadata.labels['x'] and metadata.annotations['x'], as the Downward API allows.
      const m = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(fieldPath);
      if (m) return (m[1] === 'labels' ? ctx.pod.metadata.labels : ctx.pod.metadata.annotations)?.[m[2]!] ?? '';
      return undefined;
    }
  }
}

/**
 * Expands $(NAME) with the variables defined so far; $$ is a literal $, and a reference to an
 * undefined variable is left as written, exactly as Kubernetes does.
 */
export function expandVars(s: string, vars: Record<string, string>): string {
  if (!s.includes('$')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== '$' || i === s.length - 1) {
      out += ch;
      continue;
    }
    const next = s[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = s.indexOf(')', i + 2);
      if (close < 0) {
        out += s.slice(i);
        break;
      }
      const name = s.slice(i + 2, close);
      out += Object.hasOwn(vars, name) ? vars[name] : s.slice(i, close + 1);
      i = close;
    } else out += ch;
  }
  return out;
}

const NO_CONFIG: ConfigSource = { configMap: () => undefined, secret: () => undefined };

/**
 * The full environment of one container; throws ContainerConfigError when a ConfigMap or Secret
 * (or a key) it needs and that is not optional is missing.
 */
export function buildContainerEnv(ctx: EnvContext): Record<string, string> {
  const env: Record<string, string> = {};
  env.PATH = ctx.agentEnv.PATH || DEFAULT_PATH;
  if (ctx.agentEnv.LANG) env.LANG = ctx.agentEnv.LANG;
  if (ctx.agentEnv.TZ) env.TZ = ctx.agentEnv.TZ;
  env.HOME = ctx.podDir;
  env.HOSTNAME = ctx.pod.metadata.name;

  env.POD_NAME = ctx.pod.metadata.name;
  env.POD_NAMESPACE = ctx.pod.metadata.namespace ?? 'default';
  env.POD_IP = ctx.podIP;
  env.NODE_NAME = ctx.pod.spec.nodeName ?? ctx.nodeName;
  const ports = ctx.container.ports ?? [];
  ports.forEach((p, i) => {
    const host = ctx.hostPorts[`${ctx.container.name}/${p.containerPort}`];
    if (host === undefined) return;
    if (i === 0) env.PORT = String(host);
    if (p.name) env[portEnvName(p.name)] = String(host);
  });

  for (const [k, v] of Object.entries(ctx.extraEnv ?? {})) env[k] = v;

  const config = ctx.config ?? NO_CONFIG;
  Object.assign(env, envFromVars(ctx.pod, ctx.container.envFrom, config, ctx.skippedKeys ?? (() => {})));
  for (const e of ctx.container.env ?? []) {
    const from = e.valueFrom;
    if (from?.fieldRef) env[e.name] = fieldRefValue(from.fieldRef.fieldPath, ctx) ?? '';
    else if (from?.resourceFieldRef) env[e.name] = resourceFieldValue(ctx.pod, from.resourceFieldRef, ctx.container, ctx.allocatable ?? {});
    else if (from?.configMapKeyRef || from?.secretKeyRef) {
      const v = keyRefValue(ctx.pod, from, config);
      if (v !== undefined) env[e.name] = v;
    } else env[e.name] = expandVars(e.value ?? '', env);
  }
  return env;
}

/** The container's working directory: workingDir, relative to the pod directory when relative. */
export function workingDirOf(container: Container, podDir: string): string {
  const wd = container.workingDir;
  if (!wd) return podDir;
  if (wd.startsWith('/')) return wd;
  return `${podDir}/${wd}`.replace(/\/+$/, '');
}
