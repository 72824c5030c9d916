// Server-side printing: a list or an object answered as a meta.k8s.io Table when the client asks
// for one in its Accept header, as kubectl `get` does. The columns are the ones `kip get` prints
// (each kind's ColumnSet), so both tools show the same table.

import { type KindDefinition, type KObject, ageSince } from '@kip/shared';
import { ApiError } from './errors.js';

export const TABLE_GROUP = 'meta.k8s.io';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  /** 0: always shown; 1: shown with `-o wide`. */
  priority: number;
}

export interface TableRow {
  cells: string[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** What each row carries besides its cells, as the `includeObject` query parameter says. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** meta.k8s.io/v1, or v1beta1 for a client that asked only for that. */
  apiVersion: string;
  includeObject: IncludeObject;
  /** Leaves out columnDefinitions: a watch sends them with its first event only. */
  noHeaders?: boolean;
  now: number;
}

/**
 * The Table version the Accept header asks for, or undefined when it asks for plain objects.
 * Media types are taken in the order given: kubectl lists Table v1, then v1beta1, then plain JSON.
 */
export function tableVersionAccepted(accept: string | undefined): string | undefined {
  if (!accept) return undefined;
  for (const entry of accept.split(',')) {
    const [type = '', ...params] = entry.split(';').map((s) => s.trim());
    const p = new Map(
      params.map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim()] as const;
      }),
    );
    const as = p.get('as');
    if (as === undefined) {
      // A plain type the server can answer ends the search; one it cannot (protobuf) does not.
      if (['application/json', 'application/*', '*/*', 'application/yaml'].includes(type.toLowerCase())) return undefined;
      continue;
    }
    if (as === 'Table' && p.get('g') === TABLE_GROUP && (p.get('v') === 'v1' || p.get('v') === 'v1beta1')) return `${TABLE_GROUP}/${p.get('v')}`;
  }
  return undefined;
}

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw new ApiError('BadRequest', `includeObject: Unsupported value: "${value}": supported values: "None", "Metadata", "Object"`);
}

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.';
const AGE_DESCRIPTION = 'CreationTimestamp is a timestamp representing the server time when this object was created.';

/** Kinds without columns of their own print as Kubernetes prints custom resources: NAME and AGE. */
const DEFAULT_COLUMNS = {
  nameColumn: true,
  headers: ['AGE'],
  wideHeaders: [] as string[],
  cells: (o: KObject, now: number) => [ageSince(o.metadata.creationTimestamp, now)],
  wideCells: () => [] as string[],
};

function column(name: string, priority: number, description: string, format = ''): TableColumnDefinition {
  return { name, type: 'string', format, description, priority };
}

export function columnDefinitions(def: KindDefinition): TableColumnDefinition[] {
  const cols = def.columns ?? DEFAULT_COLUMNS;
  const out: TableColumnDefinition[] = [];
  if (cols.nameColumn) out.push(column('NAME', 0, NAME_DESCRIPTION, 'name'));
  for (const h of cols.headers) out.push(column(h, 0, h === 'AGE' ? AGE_DESCRIPTION : `${def.resource.kind} ${h.toLowerCase()}`));
  for (const h of cols.wideHeaders) out.push(column(h, 1, `${def.resource.kind} ${h.toLowerCase()}`));
  return out;
}

function rowObject(obj: KObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** The objects as a Table, in the order the kind lists them in (events by time). */
export function toTable(def: KindDefinition, objs: readonly KObject[], meta: Table['metadata'], opts: TableOptions): Table {
  const cols = def.columns ?? DEFAULT_COLUMNS;
  const ordered = def.listOrder ? def.listOrder([...objs]) : objs;
  const rows = ordered.map((o): TableRow => {
    const cells = [...(cols.nameColumn ? [o.metadata.name] : []), ...cols.cells(o, opts.now), ...cols.wideCells(o, opts.now)];
    const object = rowObject(o, opts.includeObject);
    return object === undefined ? { cells } : { cells, object };
  });
  return {
    kind: 'Table',
    apiVersion: opts.apiVersion,
    metadata: meta,
    columnDefinitions: opts.noHeaders ? [] : columnDefinitions(def),
    rows,
  };
}
