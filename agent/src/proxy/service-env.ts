// The environment a pod gets from the network: its HTTP proxy, and for every service of its
// namespace that exists when it starts, the variables Kubernetes' kubelet sets (envvars.FromServices):
// <NAME>_SERVICE_HOST/_PORT/_PORT_<PORTNAME> and the Docker-link style <NAME>_PORT... family. In
// kip's userspace model they point at this agent's listener for each service port, so the host is
// 127.0.0.1 and each port is that listener's; the Docker-link names keep the service's own port
// number (WEB_PORT_80_TCP), so programs that look those names up find them.

import type { ServiceRoute } from '@kip/shared';

/** Kubernetes' makeEnvVariableName: upper case, '-' becomes '_'. */
export function envVariableName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

export interface ServiceListenerPorts {
  service: ServiceRoute;
  /** listener port per service port number; a port without a listener yet is missing */
  listeners: ReadonlyMap<number, number>;
}

/**
 * Variables for the given services, in Kubernetes' order. A service is left out until it has a
 * listener for every port, so a pod never gets half of a service's variables.
 */
export function serviceEnv(services: readonly ServiceListenerPorts[], host = '127.0.0.1'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { service, listeners } of services) {
    if (service.ports.length === 0 || service.ports.some((p) => !listeners.has(p.port))) continue;
    const prefix = envVariableName(service.name);
    const first = service.ports[0]!;
    env[`${prefix}_SERVICE_HOST`] = host;
    env[`${prefix}_SERVICE_PORT`] = String(listeners.get(first.port));
    for (const p of service.ports) if (p.name) env[`${prefix}_SERVICE_PORT_${envVariableName(p.name)}`] = String(listeners.get(p.port));
    service.ports.forEach((p, i) => {
      const proto = (p.protocol || 'TCP').toUpperCase();
      const url = `${proto.toLowerCase()}://${host}:${listeners.get(p.port)}`;
      if (i === 0) env[`${prefix}_PORT`] = url;
      const pp = `${prefix}_PORT_${p.port}_${proto}`;
      env[pp] = url;
      env[`${pp}_PROTO`] = proto.toLowerCase();
      env[`${pp}_PORT`] = String(listeners.get(p.port));
      env[`${pp}_ADDR`] = host;
    });
  }
  return env;
}

/**
 * The `kubernetes` service's variables, which the kubelet gives every pod of every namespace
 * (KUBERNETES_SERVICE_HOST/PORT, what in-cluster clients read). In Kubernetes they name the
 * service's cluster IP and port 443; a pod here is a process on the control plane's host, so they
 * name the API server's own address, where such a client reaches it directly.
 */
export function apiServerEnv(apiServer: URL): Record<string, string> {
  const host = apiServer.hostname;
  const port = apiServer.port || (apiServer.protocol === 'wss:' || apiServer.protocol === 'https:' ? '443' : '80');
  const url = `tcp://${host}:${port}`;
  return {
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: url,
    [`KUBERNETES_PORT_${port}_TCP`]: url,
    [`KUBERNETES_PORT_${port}_TCP_PROTO`]: 'tcp',
    [`KUBERNETES_PORT_${port}_TCP_PORT`]: port,
    [`KUBERNETES_PORT_${port}_TCP_ADDR`]: host,
  };
}

/**
 * HTTP_PROXY for a pod: the agent's HTTP proxy, with the pod's namespace and name as proxy
 * credentials, so that the proxy knows who is asking (bare service names resolve in the pod's
 * namespace; ClientIP affinity sticks per pod although every connection comes from 127.0.0.1).
 */
export function proxyEnv(proxyEndpoint: string, namespace: string, podName: string): Record<string, string> {
  const url = `http://${encodeURIComponent(namespace)}:${encodeURIComponent(podName)}@${proxyEndpoint}`;
  const noProxy = '127.0.0.1,localhost';
  return { HTTP_PROXY: url, http_proxy: url, NO_PROXY: noProxy, no_proxy: noProxy };
}

/** The client identity in proxy credentials ("Basic base64(ns:name)"), or undefined. */
export function identityFromProxyAuthorization(header: string | undefined): { namespace: string; name: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) return undefined;
  try {
    const namespace = decodeURIComponent(decoded.slice(0, i));
    const name = decodeURIComponent(decoded.slice(i + 1));
    return name ? { namespace, name } : undefined;
  } catch {
    return undefined;
  }
}
