// The agent's public API: the process (Agent) and the parts it is built from, for the tests that
// drive them one at a time: the kubelet, the built-in images, the node proxy, and fault injection.

export * from './agent.js';
export * from './reports.js';

export * from './chaos/agent-chaos.js';
export * from './chaos/link-shaper.js';
export * from './chaos/node-actions.js';

export * from './images/flags.js';
export * from './images/registry.js';
export * from './images/run.js';
export * from './images/stress-args.js';
export * from './images/wget-args.js';
export * from './images/stand-ins.js';
export { parseUserImages, UserImagesError, type UserImage } from './images/catalog/user-images.js';
export type { CatalogImage, ImageConfig, ImageHost } from './images/catalog/types.js';

export * from './kubelet/command.js';
export * from './kubelet/container-lifecycle.js';
export * from './kubelet/container-worker.js';
export * from './kubelet/exec.js';
export * from './kubelet/container-logs.js';
export * from './kubelet/crash-backoff.js';
export * from './kubelet/config-objects.js';
export * from './kubelet/env.js';
export * from './kubelet/env-sources.js';
export * from './kubelet/ipam.js';
export * from './kubelet/kubelet.js';
export * from './kubelet/listen-ports.js';
export * from './kubelet/log-stream.js';
export * from './kubelet/pod-addresses.js';
export * from './kubelet/pod-context.js';
export * from './kubelet/pod-status.js';
export * from './kubelet/pvc-volume.js';
export * from './kubelet/probe-handlers.js';
export * from './kubelet/prober.js';
export * from './kubelet/proc.js';
export * from './kubelet/cpu-throttle.js';
export * from './kubelet/empty-dir.js';
export * from './kubelet/process-group.js';
export * from './kubelet/sandbox.js';
export * from './kubelet/sandbox-probe.js';
export * from './kubelet/sandbox-probe-shared.js';
export * from './kubelet/termination-message.js';
export * from './kubelet/resource-sampler.js';
export * from './kubelet/volumes.js';
export * from './kubelet/volumes-atomic-writer.js';

export * from './proxy/balancer.js';
export * from './proxy/link.js';
export * from './proxy/node-proxy.js';
export * from './proxy/peer-identity.js';
export * from './proxy/resolve.js';
export * from './proxy/routing-table.js';
export * from './proxy/tunnel-server.js';
export * from './proxy/service-env.js';
export * from './proxy/external-listeners.js';
