// The ConfigMaps and Secrets this node may read: the ones its pods reference, as the control plane
// sends them (config-publisher.ts). Env variables and volume files are made from these; a change
// says which objects changed, so that only the pods using them refresh their files and retry
// their waiting containers.

import { configRefKey, jsonEqual, type ConfigMap, type ConfigObjectRef, type ConfigObjects, type Secret } from '@kip/shared';

/** What env and volume resolution read: an object by namespace and name, or undefined when the node has none. */
export interface ConfigSource {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

export class ConfigObjectCache implements ConfigSource {
  private readonly objects = new Map<string, ConfigMap | Secret>();

  /** Applies a snapshot or delta; answers the keys (configRefKey) of what changed. */
  apply(msg: ConfigObjects): Set<string> {
    const changed = new Set<string>();
    const before = new Map(this.objects);
    if (msg.full) {
      for (const key of this.objects.keys()) changed.add(key);
      this.objects.clear();
    }
    for (const r of msg.remove ?? []) {
      const key = configRefKey(r);
      if (this.objects.delete(key)) changed.add(key);
    }
    for (const o of msg.objects) {
      const key = configRefKey(refOf(o));
      const old = before.get(key);
      this.objects.set(key, o);
      // The same object again (a snapshot after a reconnect) changes nothing.
      if (old !== undefined && jsonEqual(old, o)) changed.delete(key);
      else changed.add(key);
    }
    return changed;
  }

  configMap(namespace: string, name: string): ConfigMap | undefined {
    return this.objects.get(configRefKey({ kind: 'ConfigMap', namespace, name })) as ConfigMap | undefined;
  }

  secret(namespace: string, name: string): Secret | undefined {
    return this.objects.get(configRefKey({ kind: 'Secret', namespace, name })) as Secret | undefined;
  }

  get size(): number {
    return this.objects.size;
  }
}

function refOf(o: ConfigMap | Secret): ConfigObjectRef {
  return { kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name };
}
