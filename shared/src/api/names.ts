// Well-known names shared by the control plane, the agents and the CLI.

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';

export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

// Here rather than beside their schemas (api/chaos.ts, kinds/pod-volumes.ts), which build the
// schemas when loaded: the agent needs these values and not the schemas.

/** kip's own API group, where the fault objects (NodeChaos, NetworkChaos) live. */
export const CHAOS_GROUP = 'chaos.kip.dev';
export const CHAOS_API_VERSION = `${CHAOS_GROUP}/v1alpha1`;

/** Files of configMap, secret, downwardAPI and projected volumes: 0644, as Kubernetes defaults them. */
export const DEFAULT_VOLUME_MODE = 0o644;

/** Default port of the control plane's API, used by the launcher and the CLI alike. */
export const DEFAULT_API_PORT = 7070;
export const DEFAULT_SERVER = `http://127.0.0.1:${DEFAULT_API_PORT}`;

/** The pod-template-hash label a Deployment puts on its ReplicaSets and their pods. */
export const LABEL_POD_TEMPLATE_HASH = 'pod-template-hash';
export const ANNOTATION_REVISION = 'deployment.kubernetes.io/revision';
