// The registry: the API's semantics over the Store, shared by the REST handlers and the in-process
// controllers so that both see the same rules: validation, defaulting, generateName, generation,
// the status subresource, admission, and graceful deletion of pods.

import { newUid } from '../store/uid.js';
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
import { applyJsonPatch } from './json-patch.js';
import { sortByKey } from './paging.js';
import { recordUpdate } from './managed-fields.js';
import { applyMergePatch } from './merge-patch.js';
import type { SchemaNode } from './patch-meta.js';
import { serverSideApply } from './server-side-apply.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

export { PERMANENT_NAMESPACES } from '@kip/shared';

/** Admission: may change the object being written, or refuse it with an ApiError. */
export type AdmissionHook = (op: 'create' | 'update', obj: KObject, old: KObject | undefined) => void;

/** How a write is made: for real or as a dry run, and by whom. */
export interface WriteOptions {
  /** dryRun=All: validation, defaulting and admission run and the object is returned, but nothing is stored. */
  dryRun?: boolean;
  /**
   * Who writes: the write is recorded in managedFields as this manager's Update. Requests always
   * name one (the user agent's by default); the in-process controllers leave it out and their
   * writes keep managedFields as they are.
   */
  fieldManager?: string;
}

/** The body of a PATCH, by its content type. */
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface PatchOptions extends WriteOptions {
  /** merge (RFC 7386) unless said otherwise. */
  type?: PatchType;
  /** Server-side apply: take the fields other managers hold instead of failing with a conflict. */
  force?: boolean;
  /** A patch of the /status subresource: only the status of the patched object is kept. */
  status?: boolean;
}

export interface DeleteOptions {
  dryRun?: boolean;
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
    // In key order, as the Kubernetes API lists them (etcd's order), and as paging expects.
    sortByKey(res.items);
    return {
      apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
      kind: `${kind}List`,
      metadata: { resourceVersion: res.resourceVersion },
      items: res.items,
    };
  }

  /** Validates, defaults and stores a new object. `urlNamespace` is the namespace of the request path. */
  create<T extends KObject = KObject>(body: unknown, urlNamespace?: string, opts: WriteOptions = {}): T {
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
    if (opts.fieldManager) obj.metadata.managedFields = recordUpdate(undefined, obj, opts.fieldManager, schemaOf(def), this.clock.now());
    if (obj.metadata.managedFields?.length === 0) delete obj.metadata.managedFields;
    const generate = !obj.metadata.name && obj.metadata.generateName;
    for (let attempt = 0; ; attempt++) {
      if (generate) obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
      try {
        if (opts.dryRun) return this.dryRunCreate(obj) as T;
        return this.store.create(obj) as T;
      } catch (err) {
        if (generate && err instanceof StoreError && err.code === 'AlreadyExists' && attempt < 8) continue;
        throw toApiError(err, qualified(r), obj.metadata.name);
      }
    }
  }

  /** Replaces an object's spec and metadata; its status is kept (status has its own subresource). */
  update<T extends KObject = KObject>(body: unknown, target?: { namespace?: string; name?: string }, opts: WriteOptions = {}): T {
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
    // A write that leaves managedFields out keeps them; one that sends them (even empty) sets them.
    if (obj.metadata.managedFields === undefined && old.metadata.managedFields) obj.metadata.managedFields = old.metadata.managedFields;
    if (opts.fieldManager) obj.metadata.managedFields = recordUpdate(old, obj, opts.fieldManager, schemaOf(def), this.clock.now());
    if (obj.metadata.managedFields?.length === 0) delete obj.metadata.managedFields;
    try {
      if (opts.dryRun) return this.dryRunUpdate(obj, old) as T;
      return this.store.update(obj) as T;
    } catch (err) {
      throw toApiError(err, qualified(r), obj.metadata.name);
    }
  }

  /** Replaces only the status of an object (the /status subresource). */
  updateStatus<T extends KObject = KObject>(obj: T, opts: WriteOptions = {}): T {
    const r = this.resource(obj.kind);
    const old = this.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw new ApiError(
        'Conflict',
        `Operation cannot be fulfilled on ${r.plural} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    // The store copies what changed and shares the rest: only the status is new here.
    const next = { ...old, status: (obj as { status?: unknown }).status } as unknown as T;
    if (opts.fieldManager) {
      const managedFields = recordUpdate(old, next, opts.fieldManager, schemaOf(this.definition(obj.kind)), this.clock.now(), 'status');
      next.metadata = { ...old.metadata, managedFields };
      if (managedFields.length === 0) delete next.metadata.managedFields;
    }
    if (opts.dryRun) return next;
    try {
      return this.store.update(next);
    } catch (err) {
      throw toApiError(err, qualified(r), obj.metadata.name);
    }
  }

  /**
   * Patches an object: a merge patch (RFC 7386), a strategic merge patch, a JSON patch (RFC 6902),
   * or a server-side apply, which also creates the object when there is none.
   */
  patch<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string, patch: unknown, opts: PatchOptions = {}): T {
    const type = opts.type ?? 'merge';
    if (type === 'apply') return this.apply<T>(kind, namespace, name, patch, opts);
    if (type !== 'json' && (typeof patch !== 'object' || patch === null || Array.isArray(patch)))
      throw new ApiError('BadRequest', `a ${type === 'strategic' ? 'strategic ' : ''}merge patch must be a JSON object`);
    const current = this.get(kind, namespace, name);
    const def = this.definition(kind);
    const merged = (
      type === 'json'
        ? applyJsonPatch(current, patch)
        : type === 'strategic'
          ? applyStrategicMergePatch(current, patch, schemaOf(def))
          : applyMergePatch(structuredClone(current), patch)
    ) as KObject;
    if (typeof merged !== 'object' || merged === null || Array.isArray(merged) || typeof merged.metadata !== 'object' || merged.metadata === null)
      throw new ApiError('Invalid', `the patched ${kind} is not an object with metadata`);
    if (type !== 'json') {
      const p = patch as { metadata?: { resourceVersion?: string } };
      // Without an explicit resourceVersion in the patch, a merge patch applies to whatever is current.
      // A copy: the merges share the parts a patch does not touch with the stored (frozen) object.
      merged.metadata = { ...merged.metadata, resourceVersion: p.metadata?.resourceVersion ?? current.metadata.resourceVersion };
    }
    const write = { dryRun: opts.dryRun, fieldManager: opts.fieldManager };
    if (opts.status)
      return this.updateStatus({ ...current, metadata: merged.metadata, status: (merged as { status?: unknown }).status } as unknown as T, write);
    const statusOnly = type !== 'json' && Object.keys(patch as object).every((k) => k === 'status');
    // Not a write of the status subresource, though it changes only the status: no status entry in managedFields.
    return statusOnly && def.status.subresource ? this.updateStatus(merged as T, { dryRun: opts.dryRun }) : this.update<T>(merged, { namespace, name }, write);
  }

  /**
   * Server-side apply of `config` by `opts.fieldManager` (server-side-apply.ts): creates the
   * object when it is absent, else merges and records ownership, or fails with the conflicts.
   */
  apply<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string, config: unknown, opts: PatchOptions): T {
    const def = this.definition(kind);
    const r = def.resource;
    if (!opts.fieldManager) throw new ApiError('Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw new ApiError('BadRequest', 'an apply patch must be an object: the configuration to apply');
    const c = config as { apiVersion?: unknown; kind?: unknown; metadata?: Record<string, unknown> };
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    if (c.kind !== kind || c.apiVersion !== apiVersion)
      throw invalid(kind, name, [
        ...(c.apiVersion !== apiVersion
          ? [{ field: 'apiVersion', message: `Invalid value: ${JSON.stringify(c.apiVersion ?? '')}: must be ${apiVersion}` }]
          : []),
        ...(c.kind !== kind ? [{ field: 'kind', message: `Invalid value: ${JSON.stringify(c.kind ?? '')}: must be ${kind}` }] : []),
      ]);
    const meta = typeof c.metadata === 'object' && c.metadata !== null && !Array.isArray(c.metadata) ? c.metadata : {};
    if (meta.name !== undefined && meta.name !== name)
      throw new ApiError('BadRequest', `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    const ns = r.namespaced ? namespace : undefined;
    if (ns !== undefined && meta.namespace !== undefined && meta.namespace !== ns)
      throw new ApiError(
        'BadRequest',
        `the namespace of the provided object (${String(meta.namespace)}) does not match the namespace sent on the request (${ns})`,
      );
    const body = { ...c, metadata: { ...meta, name, ...(ns !== undefined ? { namespace: ns } : {}) } };
    const live = this.store.get(kind, ns, name);
    const result = serverSideApply(live, body, { manager: opts.fieldManager, force: opts.force ?? false, schema: schemaOf(def), now: this.clock.now() });
    const write = { dryRun: opts.dryRun };
    if (!live) return this.create<T>(result, ns, write);
    // An apply that changes nothing writes nothing, as in Kubernetes: the same resourceVersion, no watch event.
    if (
      jsonEqual(
        { ...result, metadata: { ...result.metadata, resourceVersion: undefined } },
        { ...live, metadata: { ...live.metadata, resourceVersion: undefined } },
      )
    )
      return live as T;
    // A resourceVersion in the configuration is a precondition; without one, the apply is to what is current.
    result.metadata.resourceVersion = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : live.metadata.resourceVersion;
    return this.update<T>(result, { namespace: ns, name }, write);
  }

  /** A dry-run create: what the store would assign, without storing; a name taken is still AlreadyExists. */
  private dryRunCreate(obj: KObject): KObject {
    if (this.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name))
      throw new StoreError('AlreadyExists', `${obj.kind.toLowerCase()}s "${obj.metadata.name}" already exists`);
    return { ...obj, metadata: { ...obj.metadata, uid: newUid(), creationTimestamp: isoTime(this.clock.now()) } };
  }

  /** A dry-run update: the store's checks (a stale resourceVersion is a Conflict), without storing. */
  private dryRunUpdate(obj: KObject, old: KObject): KObject {
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw new StoreError(
        'Conflict',
        `Operation cannot be fulfilled on ${obj.kind.toLowerCase()}s "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    return {
      ...obj,
      metadata: { ...obj.metadata, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, resourceVersion: old.metadata.resourceVersion },
    };
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
    // A dry run has passed every check a delete makes: the object is as it would be answered, and stays.
    if (opts.dryRun) return obj as T;
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

/** A kind's schema as the merges read it. */
function schemaOf(def: KindDefinition): SchemaNode {
  return def.schema as unknown as SchemaNode;
}

/** The resource as messages name it: "pods", "deployments.apps". */
function qualified(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}
