// JSON merge patch (RFC 7386), what `kubectl patch --type merge` and `kip cordon` send: objects
// merge key by key, null deletes a key, anything else replaces. Of strategic merge patch it also
// reads the `$patch: replace` directive (no Kubernetes field is named `$patch`): the object it is
// in replaces the target's whole, as `kubectl rollout undo daemonset` sends a saved template.

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const replace = (patch as Record<string, unknown>).$patch === 'replace';
  const out: Record<string, unknown> =
    !replace && typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (replace && k === '$patch') continue;
    if (v === null) delete out[k];
    // A "__proto__" key from JSON is data: assigning it would set the prototype, and validation
    // would then see fields through it that the stored copy does not have.
    else
      Object.defineProperty(out, k, {
        value: applyMergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}
