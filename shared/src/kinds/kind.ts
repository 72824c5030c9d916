// What kip knows about one kind, in one place, as a Kubernetes registry strategy holds it
// (pkg/registry/core/pod/strategy.go): where it lives in the API, its schema (the TypeScript type
// is derived from it), its defaults, what create and update do to its status, how `kip get`
// prints it and how `kip describe` lays it out. The API server, the CLI and the OpenAPI document
// read the table of these (index.ts) instead of switching on kind names.

import type { TSchema } from '@sinclair/typebox';
import type { KObject } from '../api/types.js';
import type { Event } from './event.js';
import type { FieldError } from '../validation/errors.js';
import type { DescribeOutput } from './describe.js';

export interface ResourceType {
  kind: string;
  /** Lower-case plural, as in the URL path. */
  plural: string;
  singular: string;
  shortNames: string[];
  /** "" for the core group (/api/v1), else the group name (/apis/GROUP/VERSION). */
  group: string;
  version: string;
  namespaced: boolean;
}

/** The columns of `kip get`, as kubectl's table printers compute them. */
export interface ColumnSet<T extends KObject = KObject> {
  /** Tables of most kinds start with NAME; events do not. */
  nameColumn: boolean;
  headers: string[];
  wideHeaders: string[];
  cells(obj: T, now: number): string[];
  wideCells(obj: T, now: number): string[];
}

/** Other objects describe shows with this one: a node's pods, a service's endpoints. */
export interface RelatedQuery {
  kind: string;
  /** Omitted for cluster-wide kinds and to list across namespaces. */
  namespace?: string;
  /** One object by name (missing is no error), instead of a list. */
  name?: string;
  fieldSelector?: string;
}

export interface Describer<T extends KObject = KObject> {
  /** What to fetch besides the object's events, by the names `write` reads them under. */
  related?(obj: T): Record<string, RelatedQuery>;
  /** Writes the sections; related lookups that failed come as empty lists. */
  write(w: DescribeOutput, obj: T, related: { events: readonly Event[]; objects: Record<string, readonly KObject[]> }): void;
}

export interface StatusRules<T extends KObject = KObject> {
  /** Status is written only through /status: a create or update of the object keeps the stored one. */
  subresource: boolean;
  /**
   * What create stores as status: the client's ('keep'), none because the controller writes it
   * ('drop'), or the initial status the function gives.
   */
  onCreate: 'keep' | 'drop' | ((obj: T) => unknown);
}

/** How a delete proceeds when the object should not simply go at once. */
export interface DeletionRules<T extends KObject = KObject> {
  /** Why this object may never be deleted (answered as Forbidden), or undefined when it may. */
  forbidden?(obj: T): string | undefined;
  /**
   * Graceful deletion, as Kubernetes' CheckGracefulDelete: the seconds the object stays, marked
   * with a deletionTimestamp, while whoever runs it stops it; 0 deletes it at once.
   */
  gracePeriod?(obj: T, requested: number | undefined, env: { nodeCanTerminate(nodeName: string): boolean }): number;
  /** The object stays until a controller has deleted what is in it; this marks its status as Terminating. */
  terminate?(obj: T): void;
}

/** A subresource a kind serves (besides status, which every kind with one has). */
export type Subresource = 'scale' | 'log' | 'eviction' | 'binding' | 'exec' | 'attach' | 'portforward' | 'proxy';

export interface KindDefinition<T extends KObject = KObject> {
  resource: ResourceType;
  /** JSON Schema of the whole object, with its semantic checks attached (validation/schema.ts). */
  schema: TSchema;
  /** Fills what a manifest left out, in place, after validation and before storing. */
  defaults?(obj: T): void;
  status: StatusRules<T>;
  /** metadata.generation counts changes of the spec. */
  generation?: boolean;
  /**
   * Served subresources besides status, as discovery lists them: `scale` (replicas), `log` (a
   * pod's output), `eviction` (a budget-checked delete), `binding` (a pod's node), and the
   * streaming ones served beside the REST handlers: `exec`, `attach`, `portforward`, `proxy`.
   */
  subresources?: readonly Subresource[];
  /** Adjusts an update before it is checked: fields a replace may leave out that must be kept. */
  prepareForUpdate?(next: T, old: T): void;
  /** Refuses updates that the object's own rules forbid (a pod cannot move); empty when allowed. */
  validateUpdate?(next: T, old: T): FieldError[];
  deletion?: DeletionRules<T>;
  columns?: ColumnSet<T>;
  /** The order `kip get` shows objects in unless told otherwise; the server's (namespace, name) when absent. */
  listOrder?(objs: T[]): T[];
  describe?: Describer<T>;
}

/** Types a definition for the table; the kind's own code keeps its object type. */
export function defineKind<T extends KObject>(def: KindDefinition<T>): KindDefinition {
  return def as unknown as KindDefinition;
}

export function apiVersionOf(r: ResourceType): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}
