// Well-known names shared by the control plane, the agents and the CLI.

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';

export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** Default port of the control plane's API, used by the launcher and the CLI alike. */
export const DEFAULT_API_PORT = 7070;
export const DEFAULT_SERVER = `http://127.0.0.1:${DEFAULT_API_PORT}`;

/** The pod-template-hash label a Deployment puts on its ReplicaSets and their pods. */
export const LABEL_POD_TEMPLATE_HASH = 'pod-template-hash';
export const ANNOTATION_REVISION = 'deployment.kubernetes.io/revision';
