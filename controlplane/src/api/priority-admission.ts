// Priority admission, as the API server's Priority plugin: a pod's priorityClassName becomes its
// spec.priority and spec.preemptionPolicy at create (the global default class, or 0, when it names
// none), so the scheduler reads one number; and at most one PriorityClass is the global default.
// The system classes are created when the server starts, as the API server does.

import { SYSTEM_PRIORITY_CLASSES, isoNow, type KObject, type Pod, type PriorityClass } from '@kip/shared';
import type { Store } from '../store/store.js';
import { ApiError } from './errors.js';
import type { AdmissionHook } from './registry.js';

/** The class with globalDefault set (the lowest value if several slipped in, as Kubernetes picks). */
function globalDefault(store: Store): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const pc of store.list<PriorityClass>('PriorityClass').items) if (pc.globalDefault && (!best || pc.value < best.value)) best = pc;
  return best;
}

function forbiddenPod(pod: KObject, why: string): ApiError {
  return new ApiError('Forbidden', `pods "${pod.metadata.name || pod.metadata.generateName || ''}" is forbidden: ${why}`, {
    name: pod.metadata.name,
    kind: 'pods',
  });
}

function admitPod(store: Store, pod: Pod): void {
  const name = pod.spec.priorityClassName;
  let value = 0;
  let policy: Pod['spec']['preemptionPolicy'] = 'PreemptLowerPriority';
  if (name) {
    const pc = store.get<PriorityClass>('PriorityClass', undefined, name);
    if (!pc) throw forbiddenPod(pod, `no PriorityClass with name ${name} was found`);
    value = pc.value;
    policy = pc.preemptionPolicy ?? policy;
  } else {
    const pc = globalDefault(store);
    if (pc) {
      pod.spec.priorityClassName = pc.metadata.name;
      value = pc.value;
      policy = pc.preemptionPolicy ?? policy;
    }
  }
  if (pod.spec.priority !== undefined && pod.spec.priority !== value)
    throw forbiddenPod(
      pod,
      `the integer value of priority (${pod.spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    );
  if (pod.spec.preemptionPolicy !== undefined && pod.spec.preemptionPolicy !== policy)
    throw forbiddenPod(
      pod,
      `the string value of PreemptionPolicy (${pod.spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
    );
  pod.spec.priority = value;
  pod.spec.preemptionPolicy = policy;
}

function admitPriorityClass(store: Store, pc: PriorityClass): void {
  if (!pc.globalDefault) return;
  const other = globalDefault(store);
  if (other && other.metadata.name !== pc.metadata.name)
    throw new ApiError(
      'Forbidden',
      `priorityclasses.scheduling.k8s.io "${pc.metadata.name}" is forbidden: PriorityClass ${other.metadata.name} is already marked as default. Only one default can exist`,
      { name: pc.metadata.name, kind: 'priorityclasses.scheduling.k8s.io' },
    );
}

export function priorityAdmission(store: Store): AdmissionHook {
  return (op, obj) => {
    if (obj.kind === 'Pod' && op === 'create') admitPod(store, obj as Pod);
    else if (obj.kind === 'PriorityClass') admitPriorityClass(store, obj as PriorityClass);
  };
}

/** Creates the system classes that are missing; they cannot be deleted, so this runs once per start. */
export function ensureSystemPriorityClasses(store: Store): void {
  for (const [name, { value, description }] of Object.entries(SYSTEM_PRIORITY_CLASSES)) {
    if (store.get('PriorityClass', undefined, name)) continue;
    const pc: PriorityClass = {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name, creationTimestamp: isoNow() },
      value,
      description,
      preemptionPolicy: 'PreemptLowerPriority',
    };
    store.create(pc);
  }
}
