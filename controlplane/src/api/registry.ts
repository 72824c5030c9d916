// The registry: the API's semantics over the Store, shared by the REST handlers and the in-process
// controllers so that both see the same rules: validation, defaulting, generateName, generation,
// the status subresource, admission, and graceful deletion of pods.

import {
  applyDefaults,
  isoTime,
  kindDefinition,
  jsonEqual,
  parseSelector,
  randomSuffix,
  realClock,
  SelectorError,
  validateObject,
  type Clock,
  type KindDefinition,
  type KObject,
  type List,
  type Logger,
  type Pod,
  type PodRef,
  type ResourceType,
  type Selector,
} from '@kip/shared';
import { StoreError, type Store } from '../store/store.js';
import { ApiError, invalid, notFound, toApiError } from './errors.js';
import { fieldsMatch, parseFieldSelector } from './field-selector.js';
import { applyMergePatch } from './merge-patch.js';

export { PERMANENT_NAMESPACES } from '@kip/shared';

/** Admission: may change the object being written, or refuse it with an ApiError. */
export type AdmissionHook = (op: 'create' | 'update', obj: KObject, old: KObject | undefined) => void;

export interface DeleteOptions {
  /** 0 deletes at once; undefined takes the pod's own terminationGracePeriodSeconds. */
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListQuery {
  namespace?: string;
  labelSelector?: string | Selector;
  fieldSelector?: string;
}

export interface RegistryOptions {
  store: Store;
  log: Logger;
  clock?: Clock;
  /** Whether a node can stop a pod gracefully now (connected and Ready); otherwise deletion is immediate. */
  nodeCanTerminate?: (nodeName: string) => boolean;
}

export class Registry {
  readonly store: Store;
  private readonly clock: Clock;
  private readonly admission: AdmissionHook[] = [];

  constructor(private readonly opts: RegistryOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? realClock;
  }

  addAdmission(hook: AdmissionHook): void {
    this.admission.push(hook);
  }

  /** The kind's definition: its resource, defaults and status rules. */
  definition(kind: string): KindDefinition {
    const def = kindDefinition(kind);
    if (!def) throw new ApiError('NotFound', `the server could not find the requested resource (kind ${kind})`);
    return def;
  }

  resource(kind: string): ResourceType {
    return this.definition(kind).resource;
  }

  get<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string): T {
    const r = this.resource(kind);
    const obj = this.store.get<T>(kind, r.namespaced ? namespace : undefined, name);
    if (!obj) throw notFound(qualified(r), name);
    return obj;
  }

  list<T extends KObject = KObject>(kind: string, q: ListQuery = {}): List<T> {
    const r = this.resource(kind);
    let selector: Selector | undefined;
    try {
      selector = typeof q.labelSelector === 'string' ? parseSelector(q.labelSelector) : q.labelSelector;
    } catch (err) {
      if (err instanceof SelectorError) throw new ApiError('BadRequest', err.message);
      throw err;
    }
    const fields = parseFieldSelector(q.fieldSelector);
    const res = this.store.list<T>(kind, {
      namespace: r.namespaced ? q.namespace : undefined,
      labelSelector: selector,
      filter: fields.length ? (o) => fieldsMatch(fields, o) : undefined,
    });
    // Sorted by namespace and name, as the Kubernetes API lists them.
    res.items.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
    return {
      apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
      kind: `${kind}List`,
      metadata: { resourceVersion: res.resourceVersion },
      items: res.items,
    };
  }

  /** Validates, defaults and stores a new object. `urlNamespace` is the namespace of the request path. */
  create<T extends KObject = KObject>(body: unknown, urlNamespace?: string): T {
    const obj = this.checked(body);
    const def = this.definition(obj.kind);
    const r = def.resource;
    if (r.namespaced && urlNamespace !== undefined) {
      if (obj.metadata.namespace && obj.metadata.namespace !== urlNamespace)
        throw new ApiError(
          'BadRequest',
          `the namespace of the provided object (${obj.metadata.namespace}) does not match the namespace sent on the request (${urlNamespace})`,
        );
      obj.metadata.namespace = urlNamespace;
    }
    applyDefaults(obj, r.namespaced);
    delete obj.metadata.deletionTimestamp;
    delete obj.metadata.deletionGracePeriodSeconds;
    delete obj.metadata.resourceVersion;
    delete obj.metadata.uid;
    delete obj.metadata.creationTimestamp;
    if (def.generation) obj.metadata.generation = 1;
    const onCreate = def.status.onCreate;
    if (typeof onCreate === 'function') (obj as { status?: unknown }).status = onCreate(obj as never);
    else if (onCreate === 'drop') delete (obj as { status?: unknown }).status;
    for (const hook of this.admission) hook('create', obj, undefined);
    const generate = !obj.metadata.name && obj.metadata.generateName;
    for (let attempt = 0; ; attempt++) {
      if (generate) obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
      try {
        return this.store.create(obj) as T;
      } catch (err) {
        if (generate && err instanceof StoreError && err.code === 'AlreadyExists' && attempt < 8) continue;
        throw toApiError(err, qualified(r), obj.metadata.name);
      }
    }
  }

  /** Replaces an object's spec and metadata; its status is kept (status has its own subresource). */
  update<T extends KObject = KObject>(body: unknown, target?: { namespace?: string; name?: string }): T {
    const obj = this.checked(body);
    const def = this.definition(obj.kind);
    const r = def.resource;
    if (target?.name !== undefined && obj.metadata.name !== target.name)
      throw new ApiError('BadRequest', `the name of the object (${obj.metadata.name}) does not match the name on the URL (${target.name})`);
    if (r.namespaced) {
      if (target?.namespace !== undefined && obj.metadata.namespace && obj.metadata.namespace !== target.namespace)
        throw new ApiError(
          'BadRequest',
          `the namespace of the provided object (${obj.metadata.namespace}) does not match the namespace sent on the request (${target.namespace})`,
        );
      obj.metadata.namespace = target?.namespace ?? obj.metadata.namespace;
    }
    applyDefaults(obj, r.namespaced);
    const old = this.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    def.prepareForUpdate?.(obj as never, old as never);
    const refused = def.validateUpdate?.(obj as never, old as never) ?? [];
    if (refused.length > 0) throw invalid(obj.kind, obj.metadata.name, refused);
    // Fields the server owns.
    obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    obj.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    if (obj.metadata.deletionTimestamp === undefined) delete obj.metadata.deletionTimestamp;
    if (obj.metadata.deletionGracePeriodSeconds === undefined) delete obj.metadata.deletionGracePeriodSeconds;
    if (def.status.subresource) (obj as { status?: unknown }).status = structuredClone((old as { status?: unknown }).status);
    if (def.generation) {
      const specChanged = !jsonEqual((obj as { spec?: unknown }).spec, (old as { spec?: unknown }).spec);
      obj.metadata.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    }
    for (const hook of this.admission) hook('update', obj, old);
    try {
      return this.store.update(obj) as T;
    } catch (err) {
      throw toApiError(err, qualified(r), obj.metadata.name);
    }
  }

  /** Replaces only the status of an object (the /status subresource). */
  updateStatus<T extends KObject = KObject>(obj: T): T {
    const r = this.resource(obj.kind);
    const old = this.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw new ApiError(
        'Conflict',
        `Operation cannot be fulfilled on ${r.plural} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    // The store copies what changed and shares the rest: only the status is new here.
    const next = { ...old, status: (obj as { status?: unknown }).status } as unknown as T;
    try {
      return this.store.update(next);
    } catch (err) {
      throw toApiError(err, qualified(r), obj.metadata.name);
    }
  }

  patch<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string, patch: unknown): T {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new ApiError('BadRequest', 'a merge patch must be a JSON object');
    const current = this.get(kind, namespace, name);
    const merged = applyMergePatch(structuredClone(current), patch) as KObject;
    const p = patch as { metadata?: { resourceVersion?: string } };
    // Without an explicit resourceVersion in the patch, a merge patch applies to whatever is current.
    merged.metadata.resourceVersion = p.metadata?.resourceVersion ?? current.metadata.resourceVersion;
    const statusOnly = Object.keys(patch).every((k) => k === 'status');
    return statusOnly && this.definition(kind).status.subresource ? this.updateStatus(merged as T) : this.update<T>(merged, { namespace, name });
  }

  /**
   * Deletes an object, as its kind's deletion rules say. A pod bound to a Ready node is deleted
   * gracefully: it gets a deletionTimestamp, its node stops it, and it leaves the store when the
   * node reports it gone (finalizePod). A namespace turns Terminating until the namespace
   * controller has emptied it. Dependents of other objects are removed by the garbage collector,
   * or orphaned.
   */
  delete<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string, opts: DeleteOptions = {}): T {
    const r = this.resource(kind);
    const ns = r.namespaced ? namespace : undefined;
    const obj = this.get(kind, ns, name);
    if (opts.preconditions?.uid && opts.preconditions.uid !== obj.metadata.uid)
      throw new ApiError('Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`);
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== obj.metadata.resourceVersion)
      throw new ApiError(
        'Conflict',
        `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
      );
    if (opts.gracePeriodSeconds !== undefined && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0))
      throw new ApiError('BadRequest', `gracePeriodSeconds: Invalid value: ${opts.gracePeriodSeconds}: must be a non-negative integer`);
    const rules = this.definition(kind).deletion ?? {};
    const forbidden = rules.forbidden?.(obj as never);
    if (forbidden) throw new ApiError('Forbidden', `${qualified(r)} "${name}" is forbidden: ${forbidden}`);
    const grace = rules.gracePeriod?.(obj as never, opts.gracePeriodSeconds, { nodeCanTerminate: (node) => this.opts.nodeCanTerminate?.(node) ?? false }) ?? 0;
    if (grace > 0) return this.markForDeletion(obj, grace) as T;
    if (rules.terminate) return this.terminate(obj, rules.terminate) as T;
    if (opts.propagationPolicy === 'Orphan') this.orphanDependents(obj);
    try {
      return this.store.delete<T>(kind, ns, name, { uid: obj.metadata.uid });
    } catch (err) {
      throw toApiError(err, qualified(r), name);
    }
  }

  /** Graceful deletion: the object stays, with the time it goes by, until whoever runs it has stopped it. */
  private markForDeletion(obj: KObject, grace: number): KObject {
    const deadline = this.clock.now() + grace * 1000;
    const current = obj.metadata.deletionTimestamp ? Date.parse(obj.metadata.deletionTimestamp) : Infinity;
    if (deadline >= current) return obj; // already terminating, at least as soon
    const next = structuredClone(obj);
    next.metadata.deletionTimestamp = isoTime(deadline);
    next.metadata.deletionGracePeriodSeconds = grace;
    return this.store.update(next);
  }

  /** The object stays, Terminating, until its controller has deleted what is in it and then deletes it. */
  private terminate(obj: KObject, mark: (obj: never) => void): KObject {
    if (obj.metadata.deletionTimestamp) return obj;
    const next = structuredClone(obj);
    next.metadata.deletionTimestamp = isoTime(this.clock.now());
    mark(next as never);
    return this.store.update(next);
  }

  /** The node has stopped a pod that was being deleted: it can leave the store. */
  finalizePod(ref: PodRef): void {
    const pod = this.store.get<Pod>('Pod', ref.namespace, ref.name);
    if (!pod || pod.metadata.uid !== ref.uid || !pod.metadata.deletionTimestamp) return;
    try {
      this.store.delete('Pod', ref.namespace, ref.name, { uid: ref.uid });
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
    }
  }

  private orphanDependents(owner: KObject): void {
    for (const r of ['ReplicaSet', 'Pod']) {
      for (const dep of this.store.list(r, { namespace: owner.metadata.namespace }).items) {
        const refs = dep.metadata.ownerReferences ?? [];
        if (!refs.some((o) => o.uid === owner.metadata.uid)) continue;
        const next = structuredClone(dep);
        next.metadata.ownerReferences = refs.filter((o) => o.uid !== owner.metadata.uid);
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
        try {
          this.store.update(next);
        } catch (err) {
          this.opts.log.warn('could not orphan dependent', { object: `${dep.kind}/${dep.metadata.name}`, error: err });
        }
      }
    }
  }

  /** Validates an incoming body and returns a mutable copy, or throws a 400 naming the fields. */
  private checked(body: unknown): KObject {
    const errors = validateObject(body);
    if (errors.length > 0) {
      const b = (typeof body === 'object' && body !== null ? body : {}) as Partial<KObject>;
      throw invalid(typeof b.kind === 'string' ? b.kind : 'Object', b.metadata?.name ?? b.metadata?.generateName ?? '', errors);
    }
    return structuredClone(body) as KObject;
  }
}

/** The resource as messages name it: "pods", "deployments.apps". */
function qualified(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}
