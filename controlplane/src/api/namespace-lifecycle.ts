// Namespace lifecycle admission, as the API server's NamespaceLifecycle plugin: an object can be
// created only in a namespace that exists and is not being deleted.

import type { KObject, Namespace } from '@kip/shared';
import type { Store } from '../store/store.js';
import { ApiError } from './errors.js';
import type { AdmissionHook } from './registry.js';

export function namespaceLifecycle(store: Store): AdmissionHook {
  return (op, obj: KObject) => {
    const name = obj.metadata.namespace;
    if (op !== 'create' || !name) return;
    const ns = store.get<Namespace>('Namespace', undefined, name);
    if (!ns) throw new ApiError('NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' });
    if (ns.metadata.deletionTimestamp)
      throw new ApiError(
        'Forbidden',
        `${obj.kind.toLowerCase()}s "${obj.metadata.name || obj.metadata.generateName || ''}" is forbidden: unable to create new content in namespace ${name} because it is being terminated`,
      );
  };
}
