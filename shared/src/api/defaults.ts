// Defaulting, as the API server applies it before storing: what a manifest leaves out takes
// Kubernetes' default, so that every reader of the stored object sees the same values. Each
// kind's own defaults are in its definition (kinds/).

import { kindDefinition } from '../kinds/index.js';
import type { KObject } from './types.js';

export { DEFAULT_TERMINATION_GRACE_SECONDS, defaultPodSpec } from '../kinds/pod-spec.js';

export const DEFAULT_NAMESPACE = 'default';

/** Fills defaults in place; the caller passes its own copy. */
export function applyDefaults(obj: KObject, namespaced: boolean): void {
  if (namespaced) obj.metadata.namespace ||= DEFAULT_NAMESPACE;
  else delete obj.metadata.namespace;
  kindDefinition(obj.kind)?.defaults?.(obj as never);
}
