// The binding subresource (POST pods/NAME/binding), as a scheduler other than kip's binds a pod:
// a v1 Binding names the node, and the pod gets spec.nodeName and its PodScheduled condition in
// one write, refused when it is bound already or being deleted, in the API server's words.

import { isoTime, realClock, setCondition, type Clock, type Pod, type PodCondition } from '@kip/shared';
import { ApiError } from './errors.js';
import type { Registry, WriteOptions } from './registry.js';

interface BindingBody {
  kind?: unknown;
  metadata?: { name?: unknown };
  target?: { kind?: unknown; name?: unknown };
}

/** Binds the pod to the Binding's target node; answers the pod as stored. Throws ApiError (404, 409, 422). */
export function bindPod(registry: Registry, namespace: string, name: string, body: unknown, write: WriteOptions = {}, clock: Clock = realClock): Pod {
  const b = (body ?? {}) as BindingBody;
  if (b.kind !== undefined && b.kind !== 'Binding') throw new ApiError('BadRequest', `the body is a ${String(b.kind)}, but the request is for a Binding`);
  const causes: { field: string; message: string }[] = [];
  const target = b.target ?? {};
  if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node')
    causes.push({ field: 'target.kind', message: `Invalid value: ${JSON.stringify(target.kind)}: must be empty or 'Node'` });
  if (typeof target.name !== 'string' || target.name === '') causes.push({ field: 'target.name', message: 'Required value' });
  if (causes.length > 0)
    throw new ApiError('Invalid', `Binding "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, {
      kind: 'Binding',
      name,
      causes: causes.map((c) => ({ reason: 'FieldValueInvalid', field: c.field, message: c.message })),
    });
  const pod = registry.get<Pod>('Pod', namespace, name);
  const conflict = (why: string) => new ApiError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": ${why}`);
  if (pod.metadata.deletionTimestamp) throw conflict(`pod ${name} is being deleted, cannot be assigned to a host`);
  if (pod.spec.nodeName) throw conflict(`pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
  const now = isoTime(clock.now());
  const bound: Pod = {
    ...pod,
    spec: { ...pod.spec, nodeName: target.name as string },
    status: {
      ...pod.status,
      conditions: setCondition<PodCondition>(pod.status?.conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null }, now),
    },
  };
  if (write.dryRun) return bound;
  // The pod's spec is otherwise immutable: the binding is the one write allowed to set its node.
  return registry.store.update(bound);
}
